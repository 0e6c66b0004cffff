/**
 * Closed-loop throughput runs for the proxy benchmarks: `wrk` when it is on PATH (one thread,
 * pinned with the backends), else perf's own undici generator in a child process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { startLoad } from './load-process.js';
import type { Pinning } from './pinning.js';
import type { ProcessGroup } from './processes.js';

export interface ThroughputResult { requests: number; errors: number; seconds: number; rps: number; p50Ms: number; p99Ms: number }

export type Generator = 'wrk' | 'undici';

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** Parses `wrk --latency` output. */
export function parseWrk(out: string, seconds: number): ThroughputResult {
  const num = (re: RegExp) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
  const requests = num(/(\d+) requests in/);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = num(/Non-2xx or 3xx responses: (\d+)/) + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const p = (q: string) => { const m = new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(out); return m ? toMs(m[1]!) : Number.NaN; };
  return { requests, errors, seconds, rps: num(/Requests\/sec:\s+([\d.]+)/), p50Ms: p('50'), p99Ms: p('99') };
}

function runWrk(url: string, seconds: number, connections: number, pinning: Pinning): Promise<ThroughputResult> {
  const { cmd, args } = pinning.wrap('other', 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '--latency', url]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(parseWrk(out, seconds));
      else reject(new Error(`wrk exited with ${code}: ${out}`));
    });
  });
}

async function runUndici(group: ProcessGroup, url: string, seconds: number, connections: number, pinning: Pinning): Promise<ThroughputResult> {
  const h = await startLoad(group, { url, mode: 'closed', connections, maxSeconds: seconds }, pinning);
  const r = await h.finished();
  const main = r.phases.main!;
  return { requests: r.completed, errors: main.errors + main.non2xx, seconds: r.seconds, rps: r.rps, p50Ms: main.latency.p50Ms, p99Ms: main.latency.p99Ms };
}

/** A closed-loop run of `seconds` against `url`. */
export function runThroughput(gen: Generator, group: ProcessGroup, url: string, seconds: number, connections: number, pinning: Pinning): Promise<ThroughputResult> {
  return gen === 'wrk' ? runWrk(url, seconds, connections, pinning) : runUndici(group, url, seconds, connections, pinning);
}
