/**
 * A cluster of processes for the failover scenario: one `swarmlet manager` (1 s heartbeat) and
 * `swarmlet node join` processes on perf's loopback addresses, driven over the manager's API.
 * `close` stops them and kills every task process ever seen running (a node killed with -9
 * leaves its tasks behind, as task processes outlive their agent).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { until } from './perf-cluster.js';
import { tsxCommand, type ProcessGroup, type Started } from './processes.js';

const CLI = fileURLToPath(new URL('../../cmd/swarmlet.ts', import.meta.url));

export interface ApiTask {
  ID: string; NodeID: string; Slot: number; DesiredState: string; CreatedAt: string;
  Status: { State: string; Timestamp?: string; ContainerStatus?: { PID?: number } };
}
export interface ApiNode { ID: string; Description: { Hostname: string }; Status: { State: string } }

export interface ProcessCluster {
  readonly url: string;
  /** The node processes, in the order of the addresses. */
  readonly nodes: Started[];
  get<T>(path: string): Promise<T>;
  post(path: string, body: unknown): Promise<number>;
  /** Tasks that should run and do. */
  running(service: string): Promise<ApiTask[]>;
  /** Kills the process group of every task seen by `running` (leftovers of killed nodes). */
  close(): Promise<void>;
}

/** kill -9 of a task process and of its process group (task processes lead their own). */
export function killTaskProcess(pid: number): void {
  try { process.kill(-pid, 'SIGKILL'); } catch { /* not a group leader, or gone */ }
  try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export async function startProcessCluster(group: ProcessGroup, managerAddr: string, nodeAddrs: readonly string[]): Promise<ProcessCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'swarmlet-perf-procs-'));
  const port = await freePort(managerAddr);
  const url = `http://${managerAddr}:${port}`;
  const taskPids = new Set<number>();
  const get = async <T>(path: string): Promise<T> => {
    const r = await request(`${url}${path}`);
    const text = await r.body.text();
    if (r.statusCode >= 300) throw new Error(`GET ${path}: ${r.statusCode} ${text}`);
    return JSON.parse(text) as T;
  };
  const post = async (path: string, body: unknown): Promise<number> => {
    const r = await request(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await r.body.dump();
    return r.statusCode;
  };
  const start = (name: string, args: string[]): Promise<Started> => {
    const c = tsxCommand(CLI, args);
    return group.start(c.cmd, c.args, { name, waitForLine: false });
  };
  await start('manager', ['manager', '--listen', `${managerAddr}:${port}`, '--data', join(dir, 'manager'), '--dispatcher-heartbeat', '1s', '--log-level', 'error']);
  const ping = async (): Promise<boolean> => {
    const r = await request(`${url}/_ping`);
    await r.body.dump();
    return r.statusCode === 200;
  };
  await until('the manager', () => ping().catch(() => false), 30_000);
  const token = (await get<{ Token: string }>('/swarmlet/v1/join-token/worker')).Token;
  const nodes = await Promise.all(nodeAddrs.map((addr, i) => start(`node ${i + 1}`, ['node', 'join', '--manager', url, '--token', token,
    '--address', addr, '--hostname', `pn${i + 1}`, '--state', join(dir, `node${i + 1}`), '--metrics-port', 'off', '--log-level', 'error'])));
  await until(`${nodeAddrs.length} nodes ready`, async () => {
    const ns = await get<ApiNode[]>('/nodes').catch(() => []);
    return ns.filter((n) => n.Status.State === 'ready').length === nodeAddrs.length;
  }, 30_000);
  return {
    url, nodes, get, post,
    async running(service) {
      const tasks = (await get<ApiTask[]>(`/tasks?filters=${encodeURIComponent(JSON.stringify({ service: [service] }))}`))
        .filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
      for (const t of tasks) if (t.Status.ContainerStatus?.PID) taskPids.add(t.Status.ContainerStatus.PID);
      return tasks;
    },
    async close() {
      await group.stopAll();
      for (const pid of taskPids) killTaskProcess(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
