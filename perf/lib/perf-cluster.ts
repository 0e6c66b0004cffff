/** Helpers for the scenarios that run a real in-process cluster on 127.0.0.90-99. */
import { createCluster, type Cluster, type Task } from '../../lib/index.js';

/** Perf's cluster node addresses (the tests use other ones, so both can run at once). */
export const PERF_NODE_ADDRESSES = ['127.0.0.91', '127.0.0.92', '127.0.0.93', '127.0.0.94'];

export function startPerfCluster(nodes: number): Promise<Cluster> {
  return createCluster({ addresses: PERF_NODE_ADDRESSES.slice(0, nodes), gateway: { adminPort: false } });
}

/** Polls `fn` every 25 ms until it returns true; throws after `timeoutMs`. */
export async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function runningTasks(cluster: Cluster, service: string): Promise<Task[]> {
  return (await cluster.tasks({ service: [service] })).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
}

/** Seconds from creation to running of each task that ran. */
export function startSeconds(tasks: readonly Task[]): number[] {
  return tasks.filter((t) => t.RunningAt).map((t) => (Date.parse(t.RunningAt!) - Date.parse(t.CreatedAt)) / 1000);
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}
