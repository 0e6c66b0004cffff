/**
 * The `service create` / `service update` flags, declared once, and their conversion to the
 * friendly ServiceOptions / ServiceUpdateOptions that lib/model turns into a ServiceSpec.
 */
import type { Command } from 'commander';
import type { ServiceOptions } from '../lib/model/service-options.js';
import type { ServiceUpdateOptions } from '../lib/model/spec-from-options.js';
import { splitCommandLine } from './format/command-line.js';
import { collect, duration, nonNegativeInt, nonNegativeNumber, oneOf } from './options.js';

type Parser = (value: string, previous: never) => unknown;
type Use = 'both' | 'create' | 'update';

interface FlagDef {
  flags: string;
  description: string;
  parse?: Parser;
  /** Commander's key for the flag (camelCase of the long name) → the options key. */
  from: string;
  to: string;
  use: Use;
}

const ACTIONS = ['pause', 'continue', 'rollback'] as const;
const ORDERS = ['stop-first', 'start-first'] as const;

const d = (flags: string, description: string, from: string, to: string, use: Use, parse?: Parser): FlagDef => ({ flags, description, from, to, use, parse });
const many = collect as Parser;

function updateGroup(prefix: 'update' | 'rollback'): FlagDef[] {
  const P = prefix === 'update' ? 'Update' : 'Rollback';
  const actions = prefix === 'update' ? ACTIONS : (['pause', 'continue'] as const);
  return [
    d(`--${prefix}-parallelism <n>`, `Maximum number of tasks ${prefix === 'update' ? 'updated' : 'rolled back'} simultaneously (0 to ${prefix} all at once)`, `${prefix}Parallelism`, `${prefix}Parallelism`, 'both', nonNegativeInt),
    d(`--${prefix}-delay <duration>`, `Delay between ${prefix}s (ns|us|ms|s|m|h)`, `${prefix}Delay`, `${prefix}Delay`, 'both', duration),
    d(`--${prefix}-monitor <duration>`, `Duration after each task ${prefix} to monitor for failure (default 5s)`, `${prefix}Monitor`, `${prefix}Monitor`, 'both', duration),
    d(`--${prefix}-failure-action <action>`, `Action on ${prefix} failure (${actions.join('|')})`, `${prefix}FailureAction`, `${prefix}FailureAction`, 'both', oneOf(actions)),
    d(`--${prefix}-max-failure-ratio <ratio>`, `Failure rate to tolerate during a${prefix === 'update' ? 'n update' : ' rollback'} (0..1)`, `${prefix}MaxFailureRatio`, `${prefix}MaxFailureRatio`, 'both', nonNegativeNumber),
    d(`--${prefix}-order <order>`, `${P} order (start-first|stop-first)`, `${prefix}Order`, `${prefix}Order`, 'both', oneOf(ORDERS)),
    d(`--${prefix}-start-timeout <duration>`, `A new task not running (and healthy) within this time counts as failed (default 60s)`, `${prefix}StartTimeout`, `${prefix}StartTimeout`, 'both', duration),
  ];
}

const FLAGS: FlagDef[] = [
  d('--name <name>', 'Service name', 'name', 'name', 'create'),
  d('--mode <mode>', 'Service mode (replicated|global|replicated-job|global-job)', 'mode', 'mode', 'create'),
  d('--replicas <n>', 'Number of tasks (replicated-job: total completions)', 'replicas', 'replicas', 'both', nonNegativeInt),
  d('--max-concurrent <n>', 'Number of job tasks to run concurrently (default equal to --replicas)', 'maxConcurrent', 'maxConcurrent', 'both', nonNegativeInt),
  d('--replicas-max-per-node <n>', 'Maximum number of tasks per node (default 0 = unlimited)', 'replicasMaxPerNode', 'replicasMaxPerNode', 'both', nonNegativeInt),
  d('--image <image>', 'Service image tag', 'image', 'image', 'update'),
  d('--args <command>', 'Service command args (split like a shell)', 'args', 'args', 'update', (v) => splitCommandLine(v, 'args')),
  d('--entrypoint <command>', 'Overwrite the default ENTRYPOINT of the image (split like a shell)', 'entrypoint', 'command', 'both', (v) => splitCommandLine(v, 'entrypoint')),
  d('-p, --publish <port>', 'Publish a port as a node port ([published:]target[/proto] or published=,target=,mode=)', 'publish', 'publish', 'create', many),
  d('--publish-add <port>', 'Add or update a published port', 'publishAdd', 'publishAdd', 'update', many),
  d('--publish-rm <port>', 'Remove a published port by its target port', 'publishRm', 'publishRm', 'update', many),
  d('-e, --env <KEY=VALUE>', 'Set environment variables', 'env', 'env', 'create', many),
  d('--env-add <KEY=VALUE>', 'Add or update an environment variable', 'envAdd', 'envAdd', 'update', many),
  d('--env-rm <KEY>', 'Remove an environment variable', 'envRm', 'envRm', 'update', many),
  d('-l, --label <key=value>', 'Service labels', 'label', 'labels', 'create', many),
  d('--label-add <key=value>', 'Add or update a service label', 'labelAdd', 'labelAdd', 'update', many),
  d('--label-rm <key>', 'Remove a label by its key', 'labelRm', 'labelRm', 'update', many),
  d('--container-label <key=value>', 'Container labels', 'containerLabel', 'containerLabels', 'create', many),
  d('--container-label-add <key=value>', 'Add or update a container label', 'containerLabelAdd', 'containerLabelAdd', 'update', many),
  d('--container-label-rm <key>', 'Remove a container label by its key', 'containerLabelRm', 'containerLabelRm', 'update', many),
  d('--constraint <expr>', 'Placement constraints (node.labels.zone==a)', 'constraint', 'constraints', 'create', many),
  d('--constraint-add <expr>', 'Add or update a placement constraint', 'constraintAdd', 'constraintAdd', 'update', many),
  d('--constraint-rm <expr>', 'Remove a constraint', 'constraintRm', 'constraintRm', 'update', many),
  d('--placement-pref <pref>', 'Placement preference (spread=node.labels.zone)', 'placementPref', 'placementPrefs', 'both', many),
  d('--reserve-cpu <cpus>', 'Reserve CPUs', 'reserveCpu', 'reserveCpu', 'both', nonNegativeNumber),
  d('--reserve-memory <bytes>', 'Reserve memory (e.g. 64MiB, 1g)', 'reserveMemory', 'reserveMemory', 'both'),
  d('--limit-cpu <cpus>', 'Limit CPUs', 'limitCpu', 'limitCpu', 'both', nonNegativeNumber),
  d('--limit-memory <bytes>', 'Limit memory (e.g. 128MiB)', 'limitMemory', 'limitMemory', 'both'),
  d('-w, --workdir <dir>', 'Working directory inside the task', 'workdir', 'workdir', 'both'),
  d('--stop-grace-period <duration>', 'Time to wait before force killing a task (default 10s)', 'stopGracePeriod', 'stopGracePeriod', 'both', duration),
  d('--stop-signal <signal>', 'Signal to stop the task (default SIGTERM)', 'stopSignal', 'stopSignal', 'both'),
  d('--restart-condition <condition>', 'Restart when condition is met (none|on-failure|any) (default any)', 'restartCondition', 'restartCondition', 'both', oneOf(['none', 'on-failure', 'any'] as const)),
  d('--restart-delay <duration>', 'Delay between restart attempts (default 5s)', 'restartDelay', 'restartDelay', 'both', duration),
  d('--restart-max-attempts <n>', 'Maximum number of restarts before giving up', 'restartMaxAttempts', 'restartMaxAttempts', 'both', nonNegativeInt),
  d('--restart-window <duration>', 'Window used to evaluate the restart policy', 'restartWindow', 'restartWindow', 'both', duration),
  ...updateGroup('update'),
  ...updateGroup('rollback'),
  d('--secret <secret>', 'Specify secrets to expose to the service (NAME or source=NAME,target=FILE,mode=0400)', 'secret', 'secrets', 'create', many),
  d('--secret-add <secret>', 'Add or update a secret on a service', 'secretAdd', 'secretAdd', 'update', many),
  d('--secret-rm <name>', 'Remove a secret', 'secretRm', 'secretRm', 'update', many),
  d('--config <config>', 'Specify configurations to expose to the service (NAME or source=NAME,target=/PATH,mode=0444)', 'config', 'configs', 'create', many),
  d('--config-add <config>', 'Add or update a config file on a service', 'configAdd', 'configAdd', 'update', many),
  d('--config-rm <name>', 'Remove a configuration file', 'configRm', 'configRm', 'update', many),
  d('--network <network>', 'Network attachments (NAME or name=NAME,alias=ALIAS)', 'network', 'networks', 'create', many),
  d('--network-add <network>', 'Add a network', 'networkAdd', 'networkAdd', 'update', many),
  d('--network-rm <network>', 'Remove a network', 'networkRm', 'networkRm', 'update', many),
  d('--health-cmd <command>', 'Command to run to check health', 'healthCmd', 'healthCmd', 'both'),
  d('--health-http <url>', 'HTTP path or URL to GET to check health (2xx/3xx = healthy)', 'healthHttp', 'healthHttp', 'both'),
  d('--health-interval <duration>', 'Time between running the check', 'healthInterval', 'healthInterval', 'both', duration),
  d('--health-timeout <duration>', 'Maximum time to allow one check to run', 'healthTimeout', 'healthTimeout', 'both', duration),
  d('--health-retries <n>', 'Consecutive failures needed to report unhealthy', 'healthRetries', 'healthRetries', 'both', nonNegativeInt),
  d('--health-start-period <duration>', 'Start period for the task to initialize before counting retries', 'healthStartPeriod', 'healthStartPeriod', 'both', duration),
];

/** Declares the flags of `service create` or `service update` on a command. */
export function addServiceFlags(cmd: Command, which: 'create' | 'update'): Command {
  for (const f of FLAGS) {
    if (f.use !== 'both' && f.use !== which) continue;
    if (f.parse) cmd.option(f.flags, f.description, f.parse as (v: string, p: unknown) => unknown);
    else cmd.option(f.flags, f.description);
  }
  cmd.option('--no-healthcheck', 'Disable any health check');
  if (which === 'update') cmd.option('--force', 'Force update even if no changes require it');
  return cmd;
}

function pick(flags: Record<string, unknown>, which: 'create' | 'update'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FLAGS) {
    if (f.use !== 'both' && f.use !== which) continue;
    const value = flags[f.from];
    if (value !== undefined) out[f.to] = value;
  }
  if (flags.healthcheck === false) out.noHealthcheck = true;
  return out;
}

/**
 * Parsed `service create` flags + IMAGE [COMMAND] [ARG...] → ServiceOptions. As the docker CLI,
 * COMMAND ARG... are the Args (they replace the image's Cmd, after its entrypoint); --entrypoint sets Command.
 */
export function createOptionsFromFlags(flags: Record<string, unknown>, image: string, command: string | undefined, args: string[]): ServiceOptions {
  const opts = pick(flags, 'create') as ServiceOptions;
  opts.image = image;
  if (command !== undefined) opts.args = [command, ...args];
  return opts;
}

/** Parsed `service update` flags → ServiceUpdateOptions (only what was given). */
export function updateOptionsFromFlags(flags: Record<string, unknown>): ServiceUpdateOptions {
  const opts = pick(flags, 'update') as ServiceUpdateOptions;
  if (flags.force === true) opts.force = true;
  return opts;
}
