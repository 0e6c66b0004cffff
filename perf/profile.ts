/**
 * Scenario 6, profile: `npm run perf -- profile gateway` runs the swarmlet gateway (alone in its
 * process, in front of the three minimal backends) under a closed-loop load, once under
 * `clinic doctor` and once under `clinic flame`, and leaves the HTML reports in
 * perf/results/profile-<time>/. clinic is installed on first use into perf/.tools with
 * `npm install --no-save clinic`; when it cannot be installed or run, a line says so and the
 * gateway is profiled with `node --cpu-prof` instead (a .cpuprofile for Chrome DevTools).
 *
 *   node --import tsx perf/profile.ts gateway [--quick] [--duration 10] [--connections 32] [--cpu-prof] [--no-clinic] [--json]
 * --cpu-prof: also write the .cpuprofile when clinic works; --no-clinic: only node --cpu-prof.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.js';
import { PROXY_ADDR, perfLib, startBackends } from './lib/backends.js';
import { clinicEnv, findOrInstallClinic } from './lib/clinic.js';
import { hasWrk, runThroughput, type Generator, type ThroughputResult } from './lib/closed-load.js';
import { createPinning, type Pinning } from './lib/pinning.js';
import { ProcessGroup, waitForPort } from './lib/processes.js';
import type { ProxyConfig } from './lib/proxy-config.js';
import { Report } from './lib/report.js';
import { fileStamp } from './lib/results.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PORT = 18593;
const TARGETS = ['gateway'];

interface Ctx { group: ProcessGroup; pinning: Pinning; generator: Generator; seconds: number; connections: number; dir: string; cfg: ProxyConfig }

/** Starts `cmd args` (which runs the gateway on cfg.listen), loads it, then stops the gateway with SIGINT so the profiler writes its output. */
async function profileRun(c: Ctx, cmd: string, args: string[], env: NodeJS.ProcessEnv, waitMs: number): Promise<{ load: ThroughputResult; exit: number | string; output: string }> {
  const w = c.pinning.wrap('proxy', cmd, args);
  const proc = await c.group.start(w.cmd, w.args, { name: cmd, env, waitForLine: false, cwd: ROOT });
  try {
    await waitForPort(c.cfg.listen.addr, c.cfg.listen.port, 60_000);
    await runThroughput(c.generator, c.group, `http://${c.cfg.listen.addr}:${c.cfg.listen.port}/`, 1, c.connections, c.pinning);
    const load = await runThroughput(c.generator, c.group, `http://${c.cfg.listen.addr}:${c.cfg.listen.port}/`, c.seconds, c.connections, c.pinning);
    const pid = Number(readFileSync(c.cfg.pidFile!, 'utf8'));
    process.kill(pid, 'SIGINT');
    const timer = setTimeout(() => void proc.stop(1_000), waitMs);
    const exit = await proc.exited;
    clearTimeout(timer);
    return { load, exit, output: proc.output() };
  } finally {
    await proc.stop();
  }
}

function gatewayArgs(c: Ctx, nodeFlags: string[]): string[] {
  return [...nodeFlags, '--import', 'tsx', perfLib('gateway-server.ts'), JSON.stringify(c.cfg)];
}

async function withClinic(c: Ctx, report: Report, bin: string, tool: 'doctor' | 'flame'): Promise<boolean> {
  const args = [tool, '--open=false', '--dest', c.dir, '--', process.execPath, ...gatewayArgs(c, [])];
  const r = await profileRun(c, bin, args, clinicEnv(), 300_000);
  const html = /Generated HTML file is (file:\/\/\S+|\S+\.html)/.exec(r.output)?.[1];
  const path = html ? fileURLToPath(html.startsWith('file:') ? html : `file://${html}`) : undefined;
  report.figure(`${tool}LoadRps`, `clinic ${tool}: load while profiling`, r.load.rps, 'req/s');
  if (r.exit !== 0 || !path || !existsSync(path)) {
    report.notMeasured(`${tool}Report`, `clinic ${tool} report`, '', `clinic ${tool} exited with ${r.exit} without a report: ${r.output.trim().split('\n').slice(-2).join(' / ')}`);
    return false;
  }
  report.figure(`${tool}Report`, `clinic ${tool} report`, relative(ROOT, path), '');
  return true;
}

async function withCpuProf(c: Ctx, report: Report): Promise<void> {
  // One profile per thread (tsx's loader runs in a worker thread): no fixed name, so that they do not
  // overwrite each other; the main thread's is the largest, and it is kept as gateway.cpuprofile.
  const dir = join(c.dir, 'cpu-prof');
  const r = await profileRun(c, process.execPath, gatewayArgs(c, ['--cpu-prof', '--cpu-prof-dir', dir]), process.env, 30_000);
  report.figure('cpuProfLoadRps', 'node --cpu-prof: load while profiling', r.load.rps, 'req/s');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f)) : [];
  const main = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (main === undefined) { report.notMeasured('cpuProfile', 'CPU profile', '', `node --cpu-prof wrote no profile (exit ${r.exit})`); return; }
  const path = join(c.dir, 'gateway.cpuprofile');
  renameSync(main, path);
  rmSync(dir, { recursive: true, force: true });
  report.figure('cpuProfile', 'CPU profile of the main thread (open in Chrome DevTools)', relative(ROOT, path), '');
}

async function main(): Promise<void> {
  const args = parseArgs();
  const target = args.positional[0] ?? 'gateway';
  if (!TARGETS.includes(target)) throw new Error(`profile: unknown target "${target}" (available: ${TARGETS.join(', ')})`);
  const report = new Report('profile');
  const dir = join(ROOT, 'perf', 'results', `profile-${fileStamp(new Date())}`);
  mkdirSync(dir, { recursive: true });
  const pinning = createPinning(args.get('no-pin', 'false') !== 'true');
  const group = new ProcessGroup();
  process.once('exit', () => group.killAll());
  pinning.pin('other', process.pid);
  const generator: Generator = hasWrk() ? 'wrk' : 'undici';
  const seconds = args.num('duration', args.quick ? 4 : 10);
  console.log(`profile ${target}: ${generator}, ${seconds} s of load per profile; ${pinning.description}; output in ${relative(ROOT, dir)}/`);
  try {
    const { backends } = await startBackends(group, pinning);
    const c: Ctx = { group, pinning, generator, seconds, connections: args.num('connections', 32), dir, cfg: { listen: { addr: PROXY_ADDR, port: PORT }, backends, pidFile: join(dir, 'gateway.pid') } };
    const clinic = args.get('no-clinic', 'false') === 'true'
      ? { bin: undefined, reason: 'clinic not used (--no-clinic)' } as const
      : findOrInstallClinic(join(ROOT, 'perf', '.tools'), (l) => console.log(l));
    let clinicWorked = false;
    if (clinic.bin !== undefined) {
      report.note(`clinic ${clinic.version}${clinic.installed ? ' (installed into perf/.tools by this run)' : ''}`);
      clinicWorked = await withClinic(c, report, clinic.bin, 'doctor');
      clinicWorked = (await withClinic(c, report, clinic.bin, 'flame')) && clinicWorked;
    } else {
      report.notMeasured('doctorReport', 'clinic doctor report', '', clinic.reason);
      report.notMeasured('flameReport', 'clinic flame report', '', clinic.reason);
    }
    if (!clinicWorked) console.log('no clinic reports: falling back to node --cpu-prof');
    if (!clinicWorked || args.get('cpu-prof', 'false') === 'true') await withCpuProf(c, report);
  } finally {
    await group.stopAll();
  }
  report.note(`files: ${readdirSync(dir).join(', ')}`);
  report.finish(args.json);
}

await main();
