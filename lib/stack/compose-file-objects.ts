/**
 * Top-level `secrets:` / `configs:` to the objects the stack creates (`<stack>_<key>`, data read from
 * `file:`) or references (external), and a service's `secrets:` / `configs:` to file references.
 * Secret contents never appear in an error.
 */
import type { ConfigSpec, SecretSpec } from '../model/secret-types.js';
import { withStack, type ComposeContext, type Obj } from './compose-context.js';
import type { StackObject } from './stack-plan.js';

export function convertFileObjects<S extends SecretSpec | ConfigSpec>(c: ComposeContext, top: Obj, kind: 'secrets' | 'configs', stack: string,
  readFile: (path: string) => Buffer): Map<string, StackObject<S>> {
  const out = new Map<string, StackObject<S>>();
  for (const [key, raw] of Object.entries(c.obj(top[kind], kind))) {
    const p = `${kind}.${key}`;
    const o = c.obj(raw, p);
    c.keys(o, p, ['file', 'external', 'name', 'labels']);
    const external = c.external(o.external, `${p}.external`);
    const name = o.name !== undefined ? c.str(o.name, `${p}.name`) : external ? key : `${stack}_${key}`;
    if (external) {
      if (o.file !== undefined || o.labels !== undefined) throw c.fail(`${p}.${o.file !== undefined ? 'file' : 'labels'}`, 'not allowed on an external object');
      out.set(key, { key, name, external: true });
      continue;
    }
    if (o.file === undefined) throw c.fail(`${p}.file`, 'required (or external: true)');
    const path = c.str(o.file, `${p}.file`);
    let data: Buffer;
    try { data = readFile(path); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw c.fail(`${p}.file`, `cannot read "${path}"${code ? ` (${code})` : ''}`);
    }
    const spec = { Name: name, Labels: withStack(stack, o.labels === undefined ? undefined : c.labels(o.labels, `${p}.labels`)), Data: data.toString('base64') } as S;
    out.set(key, { key, name, external: false, spec });
  }
  return out;
}

export interface FileRef { name: string; file: { Name: string; UID: string; GID: string; Mode: number } }

/** A service's short (`- name`) or long (`- source: …, target: …`) references; the target defaults to the source key. */
export function fileRefs<S>(c: ComposeContext, v: unknown, path: string, declared: Map<string, StackObject<S>>): FileRef[] {
  return c.list(v, path).map((x, i) => {
    const rp = `${path}[${i}]`;
    let source: string;
    let target: string | undefined;
    let uid = '0';
    let gid = '0';
    let mode = 0o444;
    if (typeof x === 'string') source = x;
    else {
      const o = c.obj(x, rp);
      c.keys(o, rp, ['source', 'target', 'uid', 'gid', 'mode']);
      source = c.str(o.source, `${rp}.source`);
      if (o.target !== undefined) target = c.str(o.target, `${rp}.target`);
      if (o.uid !== undefined) uid = c.str(o.uid, `${rp}.uid`);
      if (o.gid !== undefined) gid = c.str(o.gid, `${rp}.gid`);
      if (o.mode !== undefined) mode = c.int(o.mode, `${rp}.mode`);
    }
    const obj = declared.get(source);
    if (!obj) throw c.fail(rp, `"${source}" is not declared at the top level`);
    return { name: obj.name, file: { Name: target ?? source, UID: uid, GID: gid, Mode: mode } };
  });
}
