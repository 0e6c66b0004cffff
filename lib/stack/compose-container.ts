/** A service's container keys (image, command, entrypoint, environment, healthcheck, …) to its ContainerSpec. */
import { normalizeImageName } from '../model/image-ref.js';
import type { ContainerSpec, HealthConfig } from '../model/types.js';
import { withStack, type ComposeContext, type Obj } from './compose-context.js';

export function containerSpec(c: ComposeContext, s: Obj, p: string, stack: string): ContainerSpec {
  const container: ContainerSpec = {
    // As the docker CLI sends it: tagged and familiar (`y` → `y:latest`, `library/y:2` → `y:2`); the label keeps the file's spelling.
    Image: normalizeImageName(c.str(s.image, `${p}.image`)),
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
  return container;
}

/** A KEY=VALUE list or a mapping (a null value: the bare KEY), sorted as the docker CLI sends it. */
function environment(c: ComposeContext, v: unknown, path: string): string[] {
  if (Array.isArray(v)) return v.map((x, i) => c.str(x, `${path}[${i}]`)).sort();
  return Object.entries(c.obj(v, path)).map(([k, x]) => (x === null ? k : `${k}=${typeof x === 'boolean' ? String(x) : c.str(x, `${path}.${k}`)}`)).sort();
}

function healthcheck(c: ComposeContext, v: unknown, path: string): HealthConfig {
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
