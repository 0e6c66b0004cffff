/** Runs the real `swarmlet` CLI process (compiled, or from source when dist/ is stale: see swarmlet-command.ts). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { swarmletArgs } from '../fixtures/swarmlet-command.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult { code: number; stdout: string; stderr: string }

export function runSwarmlet(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, swarmletArgs(...args), {
      cwd: ROOT, timeout: timeoutMs, env: { ...process.env, SWARMLET_HOST: '', ...env },
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
