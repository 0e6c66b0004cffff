import { spawn } from 'node:child_process';
import { request } from 'undici';
import { timeoutSignal, type Clock } from '../clock.js';
import type { HealthSettings } from './health-state.js';

export interface ProbeTarget {
  addr: string | undefined;
  port: number | undefined;
  /** The task's environment (exec and shell probes run with it, on the node). */
  env: Record<string, string>;
  cwd?: string;
  /** Runs exec and shell probes inside the task instead of on the node (docker: `docker exec`). */
  exec?: (argv: string[], timeoutMs: number) => Promise<{ exitCode: number | undefined; output: string }>;
}

export interface ProbeResult { ok: boolean; output: string }

/** Runs one probe of a health check, bounded by its timeout. */
export function runProbe(s: HealthSettings, target: ProbeTarget, clock: Clock): Promise<ProbeResult> {
  if (s.kind === 'http') return httpProbe(String(s.target), target, s.timeoutMs, clock);
  const argv = s.kind === 'shell' ? ['/bin/sh', '-c', String(s.target)] : (s.target as string[]);
  if (target.exec) return inTaskProbe(argv, target.exec, s.timeoutMs);
  return execProbe(argv, target, s.timeoutMs, clock);
}

async function httpProbe(path: string, t: ProbeTarget, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  if (!t.addr || !t.port) return { ok: false, output: 'the task has no endpoint to probe' };
  const url = `http://${t.addr}:${t.port}${path.startsWith('/') ? path : `/${path}`}`;
  const timeout = timeoutSignal(clock, timeoutMs);
  try {
    const res = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: timeout.signal });
    await res.body.dump();
    return { ok: res.statusCode >= 200 && res.statusCode < 400, output: `GET ${path}: ${res.statusCode}` };
  } catch (e) {
    return { ok: false, output: `GET ${path}: ${(e as Error).message}` };
  } finally {
    timeout.done();
  }
}

async function inTaskProbe(argv: string[], exec: NonNullable<ProbeTarget['exec']>, timeoutMs: number): Promise<ProbeResult> {
  try {
    const r = await exec(argv, timeoutMs);
    if (r.exitCode === undefined) return { ok: false, output: `${r.output}\nhealth check exceeded timeout (${timeoutMs} ms)`.trim() };
    return { ok: r.exitCode === 0, output: r.output.trim() };
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
}

function execProbe(argv: string[], t: ProbeTarget, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (!cmd) return resolve({ ok: false, output: 'empty health command' });
    const child = spawn(cmd, args, { env: t.env, cwd: t.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (b: Buffer) => { if (output.length < 4096) output += b.toString('utf8'); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const timer = clock.setTimeout(() => {
      output += `\nhealth check exceeded timeout (${timeoutMs} ms)`;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { child.kill('SIGKILL'); }
    }, timeoutMs);
    child.once('error', (e) => { timer.cancel(); resolve({ ok: false, output: e.message }); });
    child.once('close', (code) => { timer.cancel(); resolve({ ok: code === 0, output: output.trim() }); });
  });
}
