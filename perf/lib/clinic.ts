/**
 * clinic (Clinic.js, the npm package) for the profile scenario: used from perf/.tools when it is
 * there, else installed there with `npm install --no-save clinic` (never into the project's
 * package.json or node_modules). Reports whether it could be installed and started.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type ClinicFound = { bin: string; version: string; installed: boolean } | { bin: undefined; reason: string };

/** Environment for clinic: no usage-statistics prompt (it would wait on stdin), no update check. */
export function clinicEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NO_INSIGHT: '1', NO_UPDATE_NOTIFIER: '1' };
}

function version(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', env: clinicEnv(), timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const v = r.stdout?.trim();
  return r.status === 0 && v ? v : undefined;
}

export function findOrInstallClinic(toolsDir: string, log: (line: string) => void): ClinicFound {
  const bin = join(toolsDir, 'node_modules', '.bin', 'clinic');
  if (existsSync(bin)) {
    const v = version(bin);
    if (v) return { bin, version: v, installed: false };
  }
  mkdirSync(toolsDir, { recursive: true });
  if (!existsSync(join(toolsDir, 'package.json'))) writeFileSync(join(toolsDir, 'package.json'), '{ "name": "swarmlet-perf-tools", "private": true }\n');
  log(`clinic not found: npm install --no-save clinic (into ${toolsDir})`);
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', toolsDir, 'clinic'], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) {
    const why = (r.stderr ?? '').trim().split('\n').filter((l) => l.includes('ERR')).slice(-1)[0] ?? `exit ${r.status ?? r.signal}`;
    return { bin: undefined, reason: `npm install --no-save clinic failed: ${why}` };
  }
  const v = existsSync(bin) ? version(bin) : undefined;
  if (!v) return { bin: undefined, reason: 'clinic installed but `clinic --version` does not run' };
  return { bin, version: v, installed: true };
}
