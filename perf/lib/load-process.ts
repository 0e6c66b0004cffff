/** Runs the load generator (load-worker.ts) in its own process and talks to it. */
import { fileURLToPath } from 'node:url';
import type { LoadConfig, LoadReport } from './open-load.js';
import type { Pinning } from './pinning.js';
import { tsxCommand, type ProcessGroup } from './processes.js';

const WORKER = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export interface LoadHandle {
  readonly pid: number;
  /** Tags the requests scheduled from now on. */
  phase(name: string): void;
  /** Ends the run (in-flight requests finish) and returns the report. */
  stop(): Promise<LoadReport>;
  /** Waits for the run to end by itself (maxSeconds / maxRequests). */
  finished(): Promise<LoadReport>;
}

export async function startLoad(group: ProcessGroup, cfg: LoadConfig, pinning?: Pinning): Promise<LoadHandle> {
  const base = tsxCommand(WORKER, [JSON.stringify(cfg)]);
  const { cmd, args } = pinning ? pinning.wrap('other', base.cmd, base.args) : base;
  const p = await group.start(cmd, args, { name: 'load generator', readyTimeoutMs: 30_000 });
  const finished = async (): Promise<LoadReport> => {
    const code = await p.exited;
    const last = p.output().trim().split('\n').pop() ?? '';
    if (code !== 0 || !last.startsWith('{')) throw new Error(`load generator exited with ${code}: ${last.slice(0, 200)}`);
    return JSON.parse(last) as LoadReport;
  };
  return {
    pid: p.pid,
    phase: (name) => { p.child.stdin!.write(`phase ${name}\n`); },
    stop: () => { p.child.stdin!.write('stop\n'); return finished(); },
    finished,
  };
}

/** Closed-loop requests per second through `url` for `seconds` with `connections` loops. */
export async function measureCapacity(group: ProcessGroup, url: string, seconds: number, connections = 32, pinning?: Pinning): Promise<LoadReport> {
  const h = await startLoad(group, { url, mode: 'closed', connections, maxSeconds: seconds, whoami: true }, pinning);
  return h.finished();
}
