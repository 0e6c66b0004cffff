import { invalid } from '../errors.js';

/**
 * The friendly input shape shared by the CLI flags and the library
 * (`cluster.createService({ name, image, replicas, publish: ['9000:8080'], … })`).
 * Durations are strings like "3s", "1m30s", "500ms" or numbers of milliseconds.
 */
export type Duration = string | number;

export interface ServiceOptions {
  name?: string;
  image?: string;
  /** Command (replaces the image's command) and args. */
  command?: string[];
  args?: string[];
  mode?: 'replicated' | 'global' | 'replicated-job' | 'global-job';
  /** Replicated: the task count. Replicated-job: the total completions (default 1). */
  replicas?: number;
  /** Replicated-job only: how many tasks run at once (default = replicas). */
  maxConcurrent?: number;
  replicasMaxPerNode?: number;
  /** "9000:8080", "9000:8080/tcp", "published=9000,target=8080,mode=ingress" */
  publish?: string[];
  env?: string[];                    // KEY=VALUE
  labels?: Record<string, string> | string[];          // service labels
  containerLabels?: Record<string, string> | string[];
  constraints?: string[];
  placementPrefs?: string[];
  reserveCpu?: number;               // CPUs, e.g. 0.5
  reserveMemory?: string | number;   // "64MiB", "1g" or bytes
  limitCpu?: number;
  limitMemory?: string | number;
  workdir?: string;
  stopGracePeriod?: Duration;
  stopSignal?: string;
  restartCondition?: 'none' | 'on-failure' | 'any';
  restartDelay?: Duration;
  restartMaxAttempts?: number;
  restartWindow?: Duration;
  updateParallelism?: number;
  updateDelay?: Duration;
  updateMonitor?: Duration;
  updateFailureAction?: 'pause' | 'continue' | 'rollback';
  updateMaxFailureRatio?: number;
  updateOrder?: 'stop-first' | 'start-first';
  /** swarmlet: a new task must be running (and healthy) within this time, or it counts as failed (default 60s). */
  updateStartTimeout?: Duration;
  rollbackParallelism?: number;
  rollbackDelay?: Duration;
  rollbackMonitor?: Duration;
  rollbackFailureAction?: 'pause' | 'continue';
  rollbackMaxFailureRatio?: number;
  rollbackOrder?: 'stop-first' | 'start-first';
  rollbackStartTimeout?: Duration;
  healthCmd?: string;
  healthHttp?: string;
  healthInterval?: Duration;
  healthTimeout?: Duration;
  healthRetries?: number;
  healthStartPeriod?: Duration;
  noHealthcheck?: boolean;
  /** `NAME` or `source=NAME,target=FILE,uid=,gid=,mode=0400` (docker's --secret). */
  secrets?: string[];
  /** `NAME` or `source=NAME,target=/PATH,mode=0444` (docker's --config). */
  configs?: string[];
  /** `NAME` or `name=NAME,alias=ALIAS` (docker's --network): overlay networks to attach. */
  networks?: string[];
}

/**
 * The docker CLI refuses update/rollback options on a job ("update and rollback configuration is not
 * supported for jobs"): throws naming the first such option given.
 */
export function checkNoJobUpdateOptions(opts: object, isJobMode: boolean): void {
  if (!isJobMode) return;
  const given = Object.entries(opts).find(([k, v]) => /^(update|rollback)[A-Z]/.test(k) && v !== undefined);
  if (given) throw invalid('update and rollback configuration is not supported for jobs', given[0]);
}
