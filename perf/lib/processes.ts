/**
 * Helper processes of a scenario (backends, proxies, load generators): started, waited for until
 * they print their first stdout line, and always stopped, even when the scenario throws.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The first line the process printed on stdout (its "ready" message). */
  readonly firstLine: string;
  /** Everything printed on stdout so far. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Ends stdin, SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  name: string;
  readyTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Wait for the first stdout line (default true); false resolves once spawned. */
  waitForLine?: boolean;
}

/** The argv to run a TypeScript file with this Node and tsx. */
export function tsxCommand(script: string, args: string[] = [], nodeFlags: string[] = []): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [...nodeFlags, '--import', 'tsx', script, ...args] };
}

export class ProcessGroup {
  private readonly live = new Set<ChildProcess>();

  start(cmd: string, args: string[], opts: StartOptions): Promise<Started> {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], env: opts.env ?? process.env, cwd: opts.cwd });
    this.live.add(child);
    let out = '';
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => { this.live.delete(child); resolve(code ?? signal ?? 'unknown'); });
      child.once('error', () => { this.live.delete(child); resolve('spawn error'); });
    });
    const stop = async (graceMs = 5_000): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    };
    child.stdin?.on('error', () => {});
    return new Promise((resolve, reject) => {
      const timeout = setTimeout(() => { void stop(500); reject(new Error(`${opts.name} printed nothing within ${opts.readyTimeoutMs ?? 30_000} ms`)); }, opts.readyTimeoutMs ?? 30_000);
      const ready = (): void => {
        clearTimeout(timeout);
        resolve({ child, pid: child.pid ?? -1, firstLine: out.split('\n')[0] ?? '', output: () => out, exited, stop });
      };
      child.stdout!.on('data', (d: Buffer) => {
        const before = out.includes('\n');
        out += d.toString();
        if (!before && out.includes('\n') && opts.waitForLine !== false) ready();
      });
      child.once('spawn', () => { if (opts.waitForLine === false) ready(); });
      void exited.then((code) => {
        clearTimeout(timeout);
        reject(new Error(`${opts.name} exited (${code}) before it was ready: ${out.slice(0, 400)}`));
      });
    });
  }

  /** Stops every process still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
      c.once('exit', () => resolve());
      c.stdin?.end();
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 3_000).unref();
    })));
  }

  /** Synchronous last resort (process 'exit' handler). */
  killAll(): void {
    for (const c of this.live) c.kill('SIGKILL');
  }
}

/** Resolves once something accepts TCP connections on addr:port; throws after `timeoutMs`. */
export async function waitForPort(addr: string, port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: addr, port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => { s.destroy(); resolve(false); });
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on ${addr}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
