/**
 * The flag groups shared by `service create` and `service update` (docker/cli cli/command/service/opts.go,
 * update.go): each builder takes the options and the current value, and returns the new value, changing
 * only what an option was given for. With no current value this is exactly what `create` sends.
 */
import { invalid } from '../errors.js';
import { parseConstraints } from './constraints.js';
import { parseDuration } from './durations.js';
import { parseMemoryBytes } from './memory-size.js';
import { checkMemoryBytes, checkNanoCpus, parseCpus } from './resource-limits.js';
import type { ServiceOptions } from './service-options.js';
import type {
  FailureAction, HealthConfig, Placement, RestartCondition, RestartPolicy, TaskSpec, UpdateConfig, UpdateOrder,
} from './types.js';
import { DEFAULT_RESTART_POLICY, DEFAULT_UPDATE_CONFIG } from './defaults.js';

type Opts = Omit<ServiceOptions, 'name' | 'mode' | 'env' | 'labels' | 'containerLabels' | 'constraints' | 'publish'>;

const FAILURE_ACTIONS = ['pause', 'continue', 'rollback'];
const ORDERS = ['stop-first', 'start-first'];
const CONDITIONS = ['none', 'on-failure', 'any'];

/** A whole number ≥ 0 or a SwarmletError naming the option. */
export function nonNegativeInt(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`invalid ${field} ${JSON.stringify(value)}: expected a non-negative integer`, field);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: string[], field: string): T {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalid(`invalid ${field} ${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`, field);
  }
  return value as T;
}

/**
 * --update-* or --rollback-*: nothing given → `current` unchanged; otherwise the current object (or the
 * Swarm defaults {Parallelism 1, FailureAction pause, Monitor 5s, MaxFailureRatio 0, Order stop-first})
 * with the given members set. A zero Delay is left out, as the CLI's omitempty does.
 */
export function updateConfigFromOptions(opts: Opts, which: 'update' | 'rollback', current: UpdateConfig | undefined): UpdateConfig | undefined {
  const o = opts as Record<string, unknown>;
  const key = (member: string) => `${which}${member}`;
  const members = ['Parallelism', 'Delay', 'Monitor', 'FailureAction', 'MaxFailureRatio', 'Order', 'StartTimeout'];
  if (!members.some((m) => o[key(m)] !== undefined)) return current;
  const { Delay: _zeroDelay, ...defaults } = DEFAULT_UPDATE_CONFIG;
  const cfg: UpdateConfig = current ? { ...current } : { ...defaults };
  if (o[key('Parallelism')] !== undefined) cfg.Parallelism = nonNegativeInt(o[key('Parallelism')], key('Parallelism'));
  if (o[key('Delay')] !== undefined) cfg.Delay = parseDuration(o[key('Delay')] as string | number, key('Delay'));
  if (o[key('Monitor')] !== undefined) cfg.Monitor = parseDuration(o[key('Monitor')] as string | number, key('Monitor'));
  if (o[key('FailureAction')] !== undefined) {
    const allowed = which === 'rollback' ? ['pause', 'continue'] : FAILURE_ACTIONS;
    cfg.FailureAction = oneOf<FailureAction>(o[key('FailureAction')], allowed, key('FailureAction'));
  }
  if (o[key('MaxFailureRatio')] !== undefined) cfg.MaxFailureRatio = ratio(o[key('MaxFailureRatio')], key('MaxFailureRatio'));
  if (o[key('Order')] !== undefined) cfg.Order = oneOf<UpdateOrder>(o[key('Order')], ORDERS, key('Order'));
  if (o[key('StartTimeout')] !== undefined) {
    cfg.StartTimeout = parseDuration(o[key('StartTimeout')] as string | number, key('StartTimeout'));
    if (cfg.StartTimeout <= 0) throw invalid(`invalid ${key('StartTimeout')}: must be greater than 0`, key('StartTimeout'));
  }
  return inOrder(cfg, ['Parallelism', 'Delay', 'FailureAction', 'Monitor', 'MaxFailureRatio', 'Order']);
}

/** The same members, known ones first in Go's struct order (how the CLI encodes them), others after. */
function inOrder<T extends object>(obj: T, order: string[]): T {
  const rec = obj as Record<string, unknown>;
  const keys = [...order.filter((k) => k in rec), ...Object.keys(rec).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, rec[k]])) as T;
}

function ratio(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw invalid(`TaskSpec: ${field === 'updateMaxFailureRatio' ? 'update' : 'rollback'}-maxfailureratio cannot be less than 0 or bigger than 1`, field);
  }
  return value;
}

/** --restart-*: nothing given → `current`; otherwise current (or {Condition any, Delay 5s, MaxAttempts 0}) with the given members. */
export function restartPolicyFromOptions(opts: Opts, current: RestartPolicy | undefined): RestartPolicy | undefined {
  const given = [opts.restartCondition, opts.restartDelay, opts.restartMaxAttempts, opts.restartWindow].some((v) => v !== undefined);
  if (!given) return current;
  const { Condition, Delay, MaxAttempts } = DEFAULT_RESTART_POLICY;
  const p: RestartPolicy = current ? { ...current } : { Condition, Delay, MaxAttempts };
  if (opts.restartCondition !== undefined) p.Condition = oneOf<RestartCondition>(opts.restartCondition, CONDITIONS, 'restartCondition');
  if (opts.restartDelay !== undefined) p.Delay = parseDuration(opts.restartDelay, 'restartDelay');
  if (opts.restartMaxAttempts !== undefined) p.MaxAttempts = nonNegativeInt(opts.restartMaxAttempts, 'restartMaxAttempts');
  if (opts.restartWindow !== undefined) p.Window = parseDuration(opts.restartWindow, 'restartWindow');
  return p;
}

/**
 * --health-* / --no-healthcheck, as docker's updateHealthcheck: --no-healthcheck gives Test ["NONE"] and
 * conflicts with any --health-*; otherwise the current config (minus a NONE test) with the given members.
 * healthCmd → ["CMD-SHELL", cmd]; healthHttp → ["HTTP", path] (swarmlet extension); "" clears the test.
 */
export function healthCheckFromOptions(opts: Opts, current: HealthConfig | undefined): HealthConfig | undefined {
  const settings = [opts.healthCmd, opts.healthHttp, opts.healthInterval, opts.healthTimeout, opts.healthRetries, opts.healthStartPeriod]
    .some((v) => v !== undefined);
  if (opts.noHealthcheck === true) {
    if (settings) throw invalid('--no-healthcheck conflicts with --health-* options', 'noHealthcheck');
    return { Test: ['NONE'] };
  }
  if (!settings) return current;
  if (opts.healthCmd !== undefined && opts.healthHttp !== undefined) throw invalid('--health-cmd conflicts with --health-http', 'healthHttp');
  const hc: HealthConfig = { ...current };
  if (hc.Test?.[0] === 'NONE') delete hc.Test;
  if (opts.healthCmd !== undefined) setTest(hc, 'CMD-SHELL', opts.healthCmd, 'healthCmd');
  if (opts.healthHttp !== undefined) setTest(hc, 'HTTP', opts.healthHttp, 'healthHttp');
  if (opts.healthInterval !== undefined) hc.Interval = parseDuration(opts.healthInterval, 'healthInterval');
  if (opts.healthTimeout !== undefined) hc.Timeout = parseDuration(opts.healthTimeout, 'healthTimeout');
  if (opts.healthStartPeriod !== undefined) hc.StartPeriod = parseDuration(opts.healthStartPeriod, 'healthStartPeriod');
  if (opts.healthRetries !== undefined) hc.Retries = nonNegativeInt(opts.healthRetries, 'healthRetries');
  return inOrder(hc, ['Test', 'Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries']);
}

function setTest(hc: HealthConfig, kind: string, value: unknown, field: string): void {
  if (typeof value !== 'string') throw invalid(`invalid ${field} ${JSON.stringify(value)}: expected a string`, field);
  if (value === '') delete hc.Test;
  else hc.Test = [kind, value];
}

/** --reserve-* / --limit-*: Resources with {Limits, Reservations} always present (as the CLI sends them), given members set. */
export function resourcesFromOptions(opts: Opts, current: TaskSpec['Resources']): NonNullable<TaskSpec['Resources']> {
  const res = { ...current, Limits: { ...current?.Limits }, Reservations: { ...current?.Reservations } };
  if (opts.limitCpu !== undefined) res.Limits.NanoCPUs = cpus(opts.limitCpu, 'limitCpu');
  if (opts.limitMemory !== undefined) res.Limits.MemoryBytes = memory(opts.limitMemory, 'limitMemory');
  if (opts.reserveCpu !== undefined) res.Reservations.NanoCPUs = cpus(opts.reserveCpu, 'reserveCpu');
  if (opts.reserveMemory !== undefined) res.Reservations.MemoryBytes = memory(opts.reserveMemory, 'reserveMemory');
  return res;
}

function cpus(value: number, field: string): number {
  const nano = parseCpus(value, field);
  checkNanoCpus(nano, field);
  return nano;
}

function memory(value: string | number, field: string): number {
  const bytes = parseMemoryBytes(value, field);
  checkMemoryBytes(bytes, field);
  return bytes;
}

/** Labels from ["k=v", "k"] (a bare key gets "") or a record; an empty key is refused. */
export function parseKeyValues(values: Record<string, string> | string[] | undefined, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (values === undefined) return out;
  const entries: Array<[string, unknown]> = Array.isArray(values)
    ? values.map((kv) => splitKeyValue(kv, field))
    : typeof values === 'object' && values !== null ? Object.entries(values) : badList(values, field);
  for (const [k, v] of entries) {
    if (k.trim() === '') throw invalid(`invalid label '${k}=${String(v)}' for ${field}: empty name`, field);
    if (typeof v !== 'string') throw invalid(`invalid ${field}: value of "${k}" must be a string`, field);
    out[k] = v;
  }
  return out;
}

function splitKeyValue(kv: unknown, field: string): [string, string] {
  if (typeof kv !== 'string') throw invalid(`invalid ${field} entry ${JSON.stringify(kv)}: expected "key=value"`, field);
  const eq = kv.indexOf('=');
  return eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)];
}

function badList(values: unknown, field: string): never {
  throw invalid(`invalid ${field} ${JSON.stringify(values)}: expected an array of "key=value" or an object`, field);
}

/** A list of strings (env entries "K=V" or a bare "K", args, constraints…), refusing anything else. */
export function stringList(values: unknown, field: string): string[] {
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
    throw invalid(`invalid ${field} ${JSON.stringify(values)}: expected an array of strings`, field);
  }
  return [...(values as string[])];
}

/** Env entries: "K=V" or a bare "K" (as docker allows); an empty name is docker's `invalid environment variable`. */
export function parseEnv(values: unknown, field: string): string[] {
  const env = stringList(values, field);
  for (const e of env) {
    if (e.split('=')[0] === '') throw invalid(`invalid environment variable: ${e}`, field);
  }
  return env;
}

/** --placement-pref spread=node.labels.zone → {Spread: {SpreadDescriptor}}, with docker's texts. */
export function parsePlacementPrefs(values: unknown): NonNullable<Placement['Preferences']> {
  return stringList(values, 'placementPrefs').map((value) => {
    const eq = value.indexOf('=');
    const strategy = eq < 0 ? '' : value.slice(0, eq);
    if (strategy === '') throw invalid('placement preference must be of the format "<strategy>=<arg>"', 'placementPrefs');
    if (strategy !== 'spread') throw invalid(`unsupported placement preference ${strategy} (only spread is supported)`, 'placementPrefs');
    return { Spread: { SpreadDescriptor: value.slice(eq + 1) } };
  });
}

/** A replica count: `Number of replicas must be non-negative` for negatives, else a non-negative integer. */
export function replicaCount(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value < 0) throw invalid('Number of replicas must be non-negative', field);
  return nonNegativeInt(value, field);
}

/** Checks constraint expressions with the scheduler's parser (Swarm's texts), reporting `field`. */
export function checkConstraintList(values: unknown, field: string): string[] {
  const list = stringList(values, field);
  try {
    parseConstraints(list);
  } catch (e) {
    throw invalid(e instanceof Error ? e.message : String(e), field);
  }
  return list;
}
