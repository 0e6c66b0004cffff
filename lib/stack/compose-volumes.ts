/**
 * Compose `volumes:` to ContainerSpec.Mounts as the docker CLI converts them (cli/compose/convert/volume.go,
 * checked against docker 28): the short syntax `src:/target[:ro|rw|nocopy|<propagation>]` (a source starting
 * with `/` or `.` is a bind, resolved from the first file's directory; a name is a top-level volume; no source
 * is an anonymous volume) and the long syntax (type bind/volume/tmpfs, source, target, read_only,
 * consistency, bind.propagation, volume.nocopy, tmpfs.size). Named volumes are `<stack>_<key>` with the
 * stack label, or their `name:`, or (external) the key itself.
 */
import { posix } from 'node:path';
import { withStack, type ComposeContext, type Obj } from './compose-context.js';

export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation: string };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number };
}

export interface StackVolume { key: string; name: string; external: boolean; labels?: Record<string, string>; driver?: string; driverOpts?: Record<string, string> }

const PROPAGATION = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'] as const;

export function convertVolumes(c: ComposeContext, top: Obj, stack: string): Map<string, StackVolume> {
  const out = new Map<string, StackVolume>();
  for (const [key, raw] of Object.entries(c.obj(top.volumes, 'volumes'))) {
    const p = `volumes.${key}`;
    const v = c.obj(raw, p);
    c.keys(v, p, ['driver', 'driver_opts', 'external', 'labels', 'name']);
    const external = c.external(v.external, `${p}.external`);
    const name = v.name !== undefined ? c.str(v.name, `${p}.name`) : external ? key : `${stack}_${key}`;
    if (external) {
      for (const k of Object.keys(v)) if (k !== 'external' && k !== 'name') throw c.fail(`${p}.${k}`, 'not allowed on an external volume');
      out.set(key, { key, name, external: true });
      continue;
    }
    out.set(key, {
      key, name, external: false, labels: withStack(stack, v.labels === undefined ? undefined : c.labels(v.labels, `${p}.labels`)),
      ...(v.driver !== undefined ? { driver: c.str(v.driver, `${p}.driver`) } : {}),
      ...(v.driver_opts !== undefined ? { driverOpts: c.labels(v.driver_opts, `${p}.driver_opts`) } : {}),
    });
  }
  return out;
}

export interface VolumeScope { volumes: Map<string, StackVolume>; workingDir: string }

export function serviceMounts(c: ComposeContext, v: unknown, path: string, scope: VolumeScope): Mount[] {
  return c.list(v, path).map((x, i) => (typeof x === 'string' ? shortMount(c, x, `${path}[${i}]`, scope) : longMount(c, x, `${path}[${i}]`, scope)));
}

function bindSource(c: ComposeContext, src: string, path: string, workingDir: string): string {
  if (src.startsWith('~')) throw c.fail(path, `"${src}": ~ is not expanded, use an absolute or ./relative path`);
  return posix.resolve(workingDir, src);
}

function namedVolume(c: ComposeContext, key: string, path: string, scope: VolumeScope, noCopy: boolean): Pick<Mount, 'Source' | 'VolumeOptions'> {
  const vol = scope.volumes.get(key);
  if (!vol) throw c.fail(path, `volume "${key}" is not declared under the top-level volumes`);
  if (vol.external) return { Source: vol.name, VolumeOptions: {} };
  return {
    Source: vol.name,
    VolumeOptions: {
      ...(noCopy ? { NoCopy: true } : {}),
      Labels: vol.labels ?? {},
      ...(vol.driver !== undefined || vol.driverOpts !== undefined ? { DriverConfig: { Name: vol.driver ?? '', ...(vol.driverOpts ? { Options: vol.driverOpts } : {}) } } : {}),
    },
  };
}

function shortMount(c: ComposeContext, s: string, path: string, scope: VolumeScope): Mount {
  const parts = s.split(':');
  if (parts.length > 3 || parts.some((x) => x === '')) throw c.fail(path, `invalid volume "${s}"`);
  if (parts.length === 1) return { Type: 'volume', Target: parts[0]! };
  const [src, target, modeText] = parts as [string, string, string | undefined];
  const modes = modeText === undefined ? [] : modeText.split(',');
  for (const m of modes) if (!['ro', 'rw', 'nocopy', ...PROPAGATION].includes(m)) throw c.fail(path, `unsupported volume mode "${m}" in "${s}"`);
  const ro = modes.includes('ro') ? { ReadOnly: true } : {};
  const propagation = modes.find((m) => (PROPAGATION as readonly string[]).includes(m));
  if (src.startsWith('/') || src.startsWith('.') || src.startsWith('~')) {
    if (modes.includes('nocopy')) throw c.fail(path, `nocopy is for volumes, not the bind "${s}"`);
    return { Type: 'bind', Source: bindSource(c, src, path, scope.workingDir), Target: target, ...ro, ...(propagation ? { BindOptions: { Propagation: propagation } } : {}) };
  }
  if (propagation) throw c.fail(path, `propagation is for binds, not the volume "${s}"`);
  return { Type: 'volume', ...namedVolume(c, src, path, scope, modes.includes('nocopy')), Target: target, ...ro };
}

function longMount(c: ComposeContext, x: unknown, path: string, scope: VolumeScope): Mount {
  const o = c.obj(x, path);
  c.keys(o, path, ['type', 'source', 'target', 'read_only', 'consistency', 'bind', 'volume', 'tmpfs']);
  const type = c.oneOf(o.type, `${path}.type`, ['bind', 'volume', 'tmpfs'] as const);
  if (o.target === undefined) throw c.fail(`${path}.target`, 'required');
  const target = c.str(o.target, `${path}.target`);
  const common = {
    ...(o.read_only !== undefined && c.bool(o.read_only, `${path}.read_only`) ? { ReadOnly: true } : {}),
    ...(o.consistency !== undefined ? { Consistency: c.str(o.consistency, `${path}.consistency`) } : {}),
  };
  for (const other of ['bind', 'volume', 'tmpfs'] as const) if (other !== type && o[other] !== undefined) throw c.fail(`${path}.${other}`, `not allowed with type: ${type}`);
  if (type === 'tmpfs') {
    if (o.source !== undefined) throw c.fail(`${path}.source`, 'not allowed with type: tmpfs');
    const t = c.obj(o.tmpfs, `${path}.tmpfs`);
    c.keys(t, `${path}.tmpfs`, ['size']);
    return { Type: 'tmpfs', Target: target, ...common, ...(t.size !== undefined ? { TmpfsOptions: { SizeBytes: c.bytes(t.size, `${path}.tmpfs.size`) } } : {}) };
  }
  if (type === 'bind') {
    if (o.source === undefined) throw c.fail(`${path}.source`, 'required with type: bind');
    const b = c.obj(o.bind, `${path}.bind`);
    c.keys(b, `${path}.bind`, ['propagation']);
    return {
      Type: 'bind', Source: bindSource(c, c.str(o.source, `${path}.source`), `${path}.source`, scope.workingDir), Target: target, ...common,
      ...(b.propagation !== undefined ? { BindOptions: { Propagation: c.oneOf(b.propagation, `${path}.bind.propagation`, PROPAGATION) } } : {}),
    };
  }
  const vo = c.obj(o.volume, `${path}.volume`);
  c.keys(vo, `${path}.volume`, ['nocopy']);
  const noCopy = vo.nocopy !== undefined && c.bool(vo.nocopy, `${path}.volume.nocopy`);
  if (o.source === undefined) return { Type: 'volume', Target: target, ...common, ...(noCopy ? { VolumeOptions: { NoCopy: true } } : {}) };
  return { Type: 'volume', ...namedVolume(c, c.str(o.source, `${path}.source`), `${path}.source`, scope, noCopy), Target: target, ...common };
}
