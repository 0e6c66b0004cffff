/**
 * A Compose file (v3, the subset Swarm supports) to the objects `docker stack deploy` creates, as the
 * docker CLI converts it client-side (cli/compose/convert): `<stack>_<name>` networks, secrets, configs and
 * services labelled `com.docker.stack.namespace=<stack>`. Pure: the only I/O is the injected `readFile`
 * (secret/config `file:`). Any key it does not know is refused, naming the file, the key path and the
 * problem, so nothing is deployed from a half-understood file. Secret contents never appear in an error.
 */
import { parse } from 'yaml';
import { invalid, isSwarmletError, type SwarmletError } from '../errors.js';
import { splitCommandLine } from '../model/command-line.js';
import { parseDuration } from '../model/durations.js';
import { parseMemoryBytes } from '../model/memory-size.js';
import type { ConfigReference, ConfigSpec, SecretReference, SecretSpec } from '../model/secret-types.js';
import type { HealthConfig, PortConfig, ResourceSet, ServiceSpec, UpdateConfig } from '../model/types.js';

export const STACK_LABEL = 'com.docker.stack.namespace';
/** The image as the file names it (docker stack deploy sets it; it tells a changed image apart from a resolved digest). */
export const IMAGE_LABEL = 'com.docker.stack.image';

export interface ComposeInput {
  /** Shown in errors. */
  fileName: string;
  text: string;
  stack: string;
  /** Reads a `file:` path (relative to the compose file's directory: the caller resolves). */
  readFile(path: string): Buffer;
}

export interface NetworkCreate { Name: string; Driver: string; Attachable: boolean; Internal: boolean; Labels: Record<string, string>; Options?: Record<string, string>; IPAM?: { Config: Array<{ Subnet: string }> } }
export interface StackNetwork { key: string; name: string; external: boolean; create?: NetworkCreate }
export interface StackObject<S> { key: string; name: string; external: boolean; spec?: S }

export interface StackPlan {
  networks: StackNetwork[];
  secrets: Array<StackObject<SecretSpec>>;
  configs: Array<StackObject<ConfigSpec>>;
  /** Secret/config references carry the name; the deployer fills in the IDs. Sorted by name. */
  services: ServiceSpec[];
}

type Obj = Record<string, unknown>;

class Ctx {
  constructor(readonly file: string) {}
  fail(path: string, problem: string): SwarmletError {
    return invalid(`${this.file}: ${path}: ${problem}`, path);
  }
  /** Refuses keys outside `allowed` (x-* extension keys are ignored, as Compose does). */
  keys(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (k.startsWith('x-')) continue;
      if (!allowed.includes(k)) throw this.fail(path ? `${path}.${k}` : k, 'unsupported key');
    }
  }
  obj(v: unknown, path: string): Obj {
    if (v === null || v === undefined) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw this.fail(path, 'expected a mapping');
    return v as Obj;
  }
  str(v: unknown, path: string): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    throw this.fail(path, 'expected a string');
  }
  int(v: unknown, path: string, min = 0): number {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) throw this.fail(path, `expected a whole number >= ${min}`);
    return n;
  }
  num(v: unknown, path: string): number {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw this.fail(path, 'expected a non-negative number');
    return n;
  }
  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') throw this.fail(path, 'expected true or false');
    return v;
  }
  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
    const s = this.str(v, path);
    if (!values.includes(s as T)) throw this.fail(path, `expected one of ${values.join(', ')}`);
    return s as T;
  }
  list(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) throw this.fail(path, 'expected a list');
    return v;
  }
  strList(v: unknown, path: string): string[] {
    return this.list(v, path).map((x, i) => this.str(x, `${path}[${i}]`));
  }
  /** A string (shell-split) or a list of strings. */
  argv(v: unknown, path: string): string[] {
    if (typeof v === 'string') return this.wrap(path, () => splitCommandLine(v, path));
    return this.strList(v, path);
  }
  duration(v: unknown, path: string): number {
    if (typeof v !== 'string') throw this.fail(path, 'expected a duration like "10s"');
    return this.wrap(path, () => parseDuration(v, path));
  }
  bytes(v: unknown, path: string): number {
    return this.wrap(path, () => parseMemoryBytes(v as string | number, path));
  }
  /** Labels as a mapping or a KEY=VALUE list. */
  labels(v: unknown, path: string): Record<string, string> {
    if (Array.isArray(v)) {
      return Object.fromEntries(v.map((x, i) => { const s = this.str(x, `${path}[${i}]`); const eq = s.indexOf('='); return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)]; }));
    }
    return Object.fromEntries(Object.entries(this.obj(v, path)).map(([k, x]) => [k, x === null ? '' : this.str(x, `${path}.${k}`)]));
  }
  wrap<T>(path: string, fn: () => T): T {
    try { return fn(); } catch (e) {
      if (isSwarmletError(e)) throw this.fail(path, e.message);
      throw e;
    }
  }
}

/** YAML 1.2 (yes/no/y/n stay strings) but `0440` is octal, as go-yaml (Compose) reads it. */
const GO_OCTAL = { tag: 'tag:yaml.org,2002:int', format: 'OCT', default: true, test: /^0[0-7]+$/, resolve: (s: string) => parseInt(s, 8) };

const TOP = ['version', 'name', 'services', 'networks', 'secrets', 'configs'] as const;
const SERVICE = ['image', 'command', 'entrypoint', 'environment', 'ports', 'deploy', 'healthcheck', 'secrets', 'configs', 'networks',
  'labels', 'working_dir', 'user', 'hostname', 'stop_grace_period', 'stop_signal', 'tty', 'init'] as const;
const DEPLOY = ['replicas', 'mode', 'placement', 'update_config', 'rollback_config', 'restart_policy', 'resources', 'labels', 'endpoint_mode'] as const;
const UPDATE = ['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order'] as const;

function withStack(stack: string, labels: Record<string, string> | undefined): Record<string, string> {
  return { ...(labels ?? {}), [STACK_LABEL]: stack };
}

/** Converts a Compose file to the stack's objects, or throws an invalid_argument naming file, key path and problem. */
export function composeToSpecs(input: ComposeInput): StackPlan {
  const c = new Ctx(input.fileName);
  const stack = input.stack;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(stack)) throw invalid(`invalid stack name "${stack}": letters, digits, _ . - only`, 'name');
  let doc: unknown;
  try { doc = parse(input.text, { uniqueKeys: true, customTags: (tags) => [GO_OCTAL, ...tags] }); } catch (e) {
    throw invalid(`${input.fileName}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const top = c.obj(doc, '(top level)');
  c.keys(top, '', TOP);
  const scope = (key: string) => `${stack}_${key}`;

  const networks = new Map<string, StackNetwork>();
  for (const [key, raw] of Object.entries(c.obj(top.networks, 'networks'))) {
    const p = `networks.${key}`;
    const n = c.obj(raw, p);
    c.keys(n, p, ['driver', 'external', 'name', 'attachable', 'internal', 'labels', 'driver_opts', 'ipam']);
    const external = n.external === undefined ? false : externalFlag(c, n.external, `${p}.external`);
    const name = n.name !== undefined ? c.str(n.name, `${p}.name`) : external ? key : scope(key);
    if (external) {
      for (const k of Object.keys(n)) if (k !== 'external' && k !== 'name') throw c.fail(`${p}.${k}`, 'not allowed on an external network');
      networks.set(key, { key, name, external: true });
      continue;
    }
    const driver = n.driver === undefined ? 'overlay' : c.oneOf(n.driver, `${p}.driver`, ['overlay'] as const);
    const create: NetworkCreate = {
      Name: name, Driver: driver, Labels: withStack(stack, n.labels === undefined ? undefined : c.labels(n.labels, `${p}.labels`)),
      Attachable: n.attachable === undefined ? false : c.bool(n.attachable, `${p}.attachable`),
      Internal: n.internal === undefined ? false : c.bool(n.internal, `${p}.internal`),
    };
    if (n.driver_opts !== undefined) create.Options = c.labels(n.driver_opts, `${p}.driver_opts`);
    if (n.ipam !== undefined) {
      const ipam = c.obj(n.ipam, `${p}.ipam`);
      c.keys(ipam, `${p}.ipam`, ['config']);
      create.IPAM = { Config: c.list(ipam.config ?? [], `${p}.ipam.config`).map((x, i) => {
        const cp = `${p}.ipam.config[${i}]`;
        const o = c.obj(x, cp);
        c.keys(o, cp, ['subnet']);
        return { Subnet: c.str(o.subnet, `${cp}.subnet`) };
      }) };
    }
    networks.set(key, { key, name, external: false, create });
  }

  const fileObjects = <S extends SecretSpec | ConfigSpec>(kind: 'secrets' | 'configs'): Map<string, StackObject<S>> => {
    const out = new Map<string, StackObject<S>>();
    for (const [key, raw] of Object.entries(c.obj(top[kind], kind))) {
      const p = `${kind}.${key}`;
      const o = c.obj(raw, p);
      c.keys(o, p, ['file', 'external', 'name', 'labels']);
      const external = o.external === undefined ? false : externalFlag(c, o.external, `${p}.external`);
      const name = o.name !== undefined ? c.str(o.name, `${p}.name`) : external ? key : scope(key);
      if (external) {
        if (o.file !== undefined || o.labels !== undefined) throw c.fail(`${p}.${o.file !== undefined ? 'file' : 'labels'}`, 'not allowed on an external object');
        out.set(key, { key, name, external: true });
        continue;
      }
      if (o.file === undefined) throw c.fail(`${p}.file`, 'required (or external: true)');
      const path = c.str(o.file, `${p}.file`);
      let data: Buffer;
      try { data = input.readFile(path); } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw c.fail(`${p}.file`, `cannot read "${path}"${code ? ` (${code})` : ''}`);
      }
      const spec = { Name: name, Labels: withStack(stack, o.labels === undefined ? undefined : c.labels(o.labels, `${p}.labels`)), Data: data.toString('base64') } as S;
      out.set(key, { key, name, external: false, spec });
    }
    return out;
  };
  const secrets = fileObjects<SecretSpec>('secrets');
  const configs = fileObjects<ConfigSpec>('configs');

  const services: ServiceSpec[] = [];
  const published = new Map<string, string>();
  const used = new Set<StackNetwork>();
  const defaultNetwork: StackNetwork = { key: 'default', name: scope('default'), external: false, create: { Name: scope('default'), Driver: 'overlay', Attachable: false, Internal: false, Labels: withStack(stack, undefined) } };
  const servicesObj = c.obj(top.services, 'services');
  if (Object.keys(servicesObj).length === 0) throw c.fail('services', 'at least one service is required');
  for (const [svcName, raw] of Object.entries(servicesObj)) {
    const p = `services.${svcName}`;
    const s = c.obj(raw, p);
    c.keys(s, p, SERVICE);
    if (s.image === undefined) throw c.fail(`${p}.image`, 'required');
    const deploy = c.obj(s.deploy, `${p}.deploy`);
    c.keys(deploy, `${p}.deploy`, DEPLOY);
    const dp = `${p}.deploy`;

    const container: ServiceSpec['TaskTemplate']['ContainerSpec'] = {
      Image: c.str(s.image, `${p}.image`),
      Labels: withStack(stack, s.labels === undefined ? undefined : c.labels(s.labels, `${p}.labels`)),
    };
    if (s.entrypoint !== undefined) container.Command = c.argv(s.entrypoint, `${p}.entrypoint`);
    if (s.command !== undefined) container.Args = c.argv(s.command, `${p}.command`);
    if (s.environment !== undefined) container.Env = environment(c, s.environment, `${p}.environment`);
    if (s.working_dir !== undefined) container.Dir = c.str(s.working_dir, `${p}.working_dir`);
    if (s.user !== undefined) container.User = c.str(s.user, `${p}.user`);
    if (s.hostname !== undefined) container.Hostname = c.str(s.hostname, `${p}.hostname`);
    if (s.stop_grace_period !== undefined) container.StopGracePeriod = c.duration(s.stop_grace_period, `${p}.stop_grace_period`);
    if (s.stop_signal !== undefined) container.StopSignal = c.str(s.stop_signal, `${p}.stop_signal`);
    if (s.tty !== undefined) container.TTY = c.bool(s.tty, `${p}.tty`);
    if (s.init !== undefined) container.Init = c.bool(s.init, `${p}.init`);
    if (s.healthcheck !== undefined) container.Healthcheck = healthcheck(c, s.healthcheck, `${p}.healthcheck`);
    if (s.secrets !== undefined) {
      container.Secrets = fileRefs(c, s.secrets, `${p}.secrets`, secrets, (src) => src).map(({ file, name }): SecretReference => ({ File: file, SecretID: '', SecretName: name }));
    }
    if (s.configs !== undefined) {
      container.Configs = fileRefs(c, s.configs, `${p}.configs`, configs, (src) => src).map(({ file, name }): ConfigReference => ({ File: file, ConfigID: '', ConfigName: name }));
    }

    // Networks: the stack's default network unless listed; aliases then the service's compose name.
    const attachments: Array<{ Target: string; Aliases: string[] }> = [];
    const nets: Array<[string, unknown]> = s.networks === undefined ? [['default', null]]
      : Array.isArray(s.networks) ? c.strList(s.networks, `${p}.networks`).map((n) => [n, null])
      : Object.entries(c.obj(s.networks, `${p}.networks`));
    for (const [key, cfg] of nets) {
      const np = `${p}.networks.${key}`;
      let net = networks.get(key);
      if (!net && key === 'default') {
        net = defaultNetwork;
      }
      if (!net) throw c.fail(np, `network "${key}" is not declared under the top-level networks`);
      used.add(net);
      const o = c.obj(cfg, np);
      c.keys(o, np, ['aliases']);
      const aliases = o.aliases === undefined ? [] : c.strList(o.aliases, `${np}.aliases`);
      attachments.push({ Target: net.name, Aliases: [...aliases, svcName] });
    }
    attachments.sort((a, b) => a.Target.localeCompare(b.Target));

    const spec: ServiceSpec = {
      Name: scope(svcName),
      Labels: { ...withStack(stack, deploy.labels === undefined ? undefined : c.labels(deploy.labels, `${dp}.labels`)), [IMAGE_LABEL]: container.Image },
      TaskTemplate: { ContainerSpec: container, Networks: attachments },
      Mode: {},
    };
    const mode = deploy.mode === undefined ? 'replicated' : c.oneOf(deploy.mode, `${dp}.mode`, ['replicated', 'global'] as const);
    if (mode === 'global') {
      if (deploy.replicas !== undefined) throw c.fail(`${dp}.replicas`, 'not allowed with mode: global');
      spec.Mode = { Global: {} };
    } else {
      spec.Mode = { Replicated: deploy.replicas === undefined ? {} : { Replicas: c.int(deploy.replicas, `${dp}.replicas`) } };
    }
    if (deploy.placement !== undefined) spec.TaskTemplate.Placement = placement(c, deploy.placement, `${dp}.placement`);
    if (deploy.update_config !== undefined) spec.UpdateConfig = updateConfig(c, deploy.update_config, `${dp}.update_config`);
    if (deploy.rollback_config !== undefined) spec.RollbackConfig = updateConfig(c, deploy.rollback_config, `${dp}.rollback_config`);
    if (deploy.restart_policy !== undefined) {
      const rp = c.obj(deploy.restart_policy, `${dp}.restart_policy`);
      const rpp = `${dp}.restart_policy`;
      c.keys(rp, rpp, ['condition', 'delay', 'max_attempts', 'window']);
      spec.TaskTemplate.RestartPolicy = {
        ...(rp.condition !== undefined ? { Condition: c.oneOf(rp.condition, `${rpp}.condition`, ['none', 'on-failure', 'any'] as const) } : {}),
        ...(rp.delay !== undefined ? { Delay: c.duration(rp.delay, `${rpp}.delay`) } : {}),
        ...(rp.max_attempts !== undefined ? { MaxAttempts: c.int(rp.max_attempts, `${rpp}.max_attempts`) } : {}),
        ...(rp.window !== undefined ? { Window: c.duration(rp.window, `${rpp}.window`) } : {}),
      };
    }
    if (deploy.resources !== undefined) {
      const r = c.obj(deploy.resources, `${dp}.resources`);
      c.keys(r, `${dp}.resources`, ['limits', 'reservations']);
      const set = (v: unknown, rp: string, pids: boolean): ResourceSet => {
        const o = c.obj(v, rp);
        c.keys(o, rp, pids ? ['cpus', 'memory', 'pids'] : ['cpus', 'memory']);
        return {
          ...(o.cpus !== undefined ? { NanoCPUs: Math.round(c.num(o.cpus, `${rp}.cpus`) * 1e9) } : {}),
          ...(o.memory !== undefined ? { MemoryBytes: c.bytes(o.memory, `${rp}.memory`) } : {}),
          ...(o.pids !== undefined ? { Pids: c.int(o.pids, `${rp}.pids`) } : {}),
        };
      };
      spec.TaskTemplate.Resources = {
        ...(r.limits !== undefined ? { Limits: set(r.limits, `${dp}.resources.limits`, true) } : {}),
        ...(r.reservations !== undefined ? { Reservations: set(r.reservations, `${dp}.resources.reservations`, false) } : {}),
      };
    }
    const endpoint: NonNullable<ServiceSpec['EndpointSpec']> = {};
    if (deploy.endpoint_mode !== undefined) endpoint.Mode = c.oneOf(deploy.endpoint_mode, `${dp}.endpoint_mode`, ['vip', 'dnsrr'] as const);
    if (s.ports !== undefined) {
      const ports = c.list(s.ports, `${p}.ports`).flatMap((x, i) => portConfigs(c, x, `${p}.ports[${i}]`));
      ports.sort((a, b) => (a.PublishedPort ?? 0) - (b.PublishedPort ?? 0));
      for (const port of ports) {
        if (port.PublishedPort === undefined) continue;
        const k = `${port.PublishedPort}/${port.Protocol ?? 'tcp'}`;
        const other = published.get(k);
        if (other !== undefined) throw c.fail(`${p}.ports`, `port ${k} is already published by service ${other}`);
        published.set(k, svcName);
      }
      endpoint.Ports = ports;
    }
    spec.EndpointSpec = endpoint;
    services.push(spec);
  }
  services.sort((a, b) => a.Name.localeCompare(b.Name));

  // Only the networks a service uses are created or checked (as the docker CLI).
  const usedNetworks = [...used].sort((a, b) => a.name.localeCompare(b.name));
  return { networks: usedNetworks, secrets: [...secrets.values()], configs: [...configs.values()], services };
}

function externalFlag(c: Ctx, v: unknown, path: string): boolean {
  if (typeof v === 'boolean') return v;
  const o = c.obj(v, path);
  c.keys(o, path, ['name']);
  return true;
}

function environment(c: Ctx, v: unknown, path: string): string[] {
  if (Array.isArray(v)) return v.map((x, i) => c.str(x, `${path}[${i}]`)).sort();
  return Object.entries(c.obj(v, path)).map(([k, x]) => (x === null ? k : `${k}=${typeof x === 'boolean' ? String(x) : c.str(x, `${path}.${k}`)}`)).sort();
}

function healthcheck(c: Ctx, v: unknown, path: string): HealthConfig {
  const o = c.obj(v, path);
  c.keys(o, path, ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable']);
  if (o.disable !== undefined && c.bool(o.disable, `${path}.disable`)) {
    if (o.test !== undefined) throw c.fail(`${path}.test`, 'not allowed with disable: true');
    return { Test: ['NONE'] };
  }
  const h: HealthConfig = {};
  if (o.test !== undefined) h.Test = typeof o.test === 'string' ? ['CMD-SHELL', o.test] : c.strList(o.test, `${path}.test`);
  if (o.interval !== undefined) h.Interval = c.duration(o.interval, `${path}.interval`);
  if (o.timeout !== undefined) h.Timeout = c.duration(o.timeout, `${path}.timeout`);
  if (o.start_period !== undefined) h.StartPeriod = c.duration(o.start_period, `${path}.start_period`);
  if (o.retries !== undefined) h.Retries = c.int(o.retries, `${path}.retries`);
  return h;
}

function placement(c: Ctx, v: unknown, path: string): NonNullable<ServiceSpec['TaskTemplate']['Placement']> {
  const o = c.obj(v, path);
  c.keys(o, path, ['constraints', 'preferences', 'max_replicas_per_node']);
  const out: NonNullable<ServiceSpec['TaskTemplate']['Placement']> = {};
  if (o.constraints !== undefined) out.Constraints = c.strList(o.constraints, `${path}.constraints`);
  if (o.preferences !== undefined) {
    out.Preferences = c.list(o.preferences, `${path}.preferences`).map((x, i) => {
      const pp = `${path}.preferences[${i}]`;
      const po = c.obj(x, pp);
      c.keys(po, pp, ['spread']);
      return { Spread: { SpreadDescriptor: c.str(po.spread, `${pp}.spread`) } };
    });
  }
  if (o.max_replicas_per_node !== undefined) out.MaxReplicas = c.int(o.max_replicas_per_node, `${path}.max_replicas_per_node`);
  return out;
}

function updateConfig(c: Ctx, v: unknown, path: string): UpdateConfig {
  const o = c.obj(v, path);
  c.keys(o, path, UPDATE);
  const u: UpdateConfig = { Parallelism: o.parallelism === undefined ? 1 : c.int(o.parallelism, `${path}.parallelism`), MaxFailureRatio: 0 };
  if (o.delay !== undefined) u.Delay = c.duration(o.delay, `${path}.delay`);
  if (o.failure_action !== undefined) u.FailureAction = c.oneOf(o.failure_action, `${path}.failure_action`, ['pause', 'continue', 'rollback'] as const);
  if (o.monitor !== undefined) u.Monitor = c.duration(o.monitor, `${path}.monitor`);
  if (o.max_failure_ratio !== undefined) u.MaxFailureRatio = c.num(o.max_failure_ratio, `${path}.max_failure_ratio`);
  if (o.order !== undefined) u.Order = c.oneOf(o.order, `${path}.order`, ['stop-first', 'start-first'] as const);
  return u;
}

function fileRefs<S>(c: Ctx, v: unknown, path: string, declared: Map<string, StackObject<S>>, defaultTarget: (source: string) => string) {
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
    return { name: obj.name, file: { Name: target ?? defaultTarget(source), UID: uid, GID: gid, Mode: mode } };
  });
}

const PORT_RANGE = /^(\d+)(?:-(\d+))?$/;

function portConfigs(c: Ctx, v: unknown, path: string): PortConfig[] {
  if (typeof v === 'number') return [{ Protocol: 'tcp', TargetPort: c.int(v, path, 1), PublishMode: 'ingress' }];
  if (typeof v === 'string') {
    const [spec = '', proto = 'tcp', extra] = v.split('/');
    if (extra !== undefined) throw c.fail(path, `invalid port "${v}"`);
    const protocol = c.oneOf(proto, path, ['tcp', 'udp', 'sctp'] as const);
    const parts = spec.split(':');
    if (parts.length === 3) throw c.fail(path, `a host IP ("${parts[0]}") is not supported by swarm mode`);
    if (parts.length > 3) throw c.fail(path, `invalid port "${v}"`);
    const range = (s: string) => {
      const m = PORT_RANGE.exec(s);
      if (!m) throw c.fail(path, `invalid port "${v}"`);
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      if (lo < 1 || hi > 65535 || hi < lo) throw c.fail(path, `invalid port range "${s}"`);
      return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
    };
    const targets = range(parts.length === 2 ? parts[1]! : parts[0]!);
    const pubs = parts.length === 2 ? range(parts[0]!) : undefined;
    if (pubs && pubs.length !== targets.length) throw c.fail(path, `published and target ranges differ in size in "${v}"`);
    return targets.map((t, k) => ({ Protocol: protocol, TargetPort: t, ...(pubs ? { PublishedPort: pubs[k]! } : {}), PublishMode: 'ingress' }));
  }
  const o = c.obj(v, path);
  c.keys(o, path, ['target', 'published', 'protocol', 'mode']);
  if (o.target === undefined) throw c.fail(`${path}.target`, 'required');
  const port: PortConfig = {
    // As the docker CLI: the long syntax sends only what the file says (the daemon defaults tcp/ingress).
    ...(o.protocol !== undefined ? { Protocol: c.oneOf(o.protocol, `${path}.protocol`, ['tcp', 'udp', 'sctp'] as const) } : {}),
    TargetPort: c.int(o.target, `${path}.target`, 1),
    ...(o.mode !== undefined ? { PublishMode: c.oneOf(o.mode, `${path}.mode`, ['ingress', 'host'] as const) } : {}),
  };
  if (o.published !== undefined) port.PublishedPort = c.int(o.published, `${path}.published`, 1);
  return [port];
}
