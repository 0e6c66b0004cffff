/**
 * The perf suite.
 *
 *   npm run perf                          every scenario but profile; writes perf/results/<date>.json + .md
 *   npm run perf -- spread failover       some of them (results files too)
 *   npm run perf -- profile gateway       clinic doctor + flame of the gateway under load
 *   npm run perf -- --quick               shorter, smaller runs (flags go to every scenario)
 *
 * Each scenario is also runnable alone: node --import tsx perf/<name>.ts [--json] [--quick].
 * Scenarios run one after another, each in its own process, bounded by a timeout.
 */
import { spawn } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, machineLine } from './lib/machine.js';
import type { ScenarioResult } from './lib/report.js';
import { writeResults, type ScenarioOutcome, type SuiteRun } from './lib/results.js';

const SCENARIOS = ['spread', 'rolling-update', 'failover', 'gateway-throughput', 'l4-throughput', 'scheduler-scale', 'scheduler-placement', 'manager-scale', 'ui-render', 'etcd-store'];
/** Node flags of scenarios that need more than the default heap. */
const NODE_FLAGS: Record<string, string[]> = { 'manager-scale': ['--max-old-space-size=12288'] };
const ON_DEMAND = ['profile'];
const TIMEOUT_MS = 20 * 60_000;
const here = dirname(fileURLToPath(import.meta.url));

function runScenario(name: string, flags: string[], echoJson: boolean): Promise<ScenarioOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(NODE_FLAGS[name] ?? []), '--import', 'tsx', join(here, `${name}.ts`), '--json', ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    let pending = '';
    let last = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.trim() !== '') last = line;
        if (echoJson || !line.startsWith('{"scenario"')) console.log(line);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (pending.trim() !== '') last = pending;
      const seconds = (Date.now() - started) / 1000;
      try {
        const r = JSON.parse(last) as ScenarioResult;
        resolve({ ...r, seconds, pass: r.pass && code === 0 });
      } catch {
        const why = signal === 'SIGKILL' ? `timed out after ${TIMEOUT_MS / 60_000} min` : `exited with ${code ?? signal} without a JSON result`;
        resolve({ scenario: name, figures: {}, targets: {}, notes: [], pass: false, seconds, error: why });
      }
    });
  });
}

function runProfile(rest: string[]): void {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'profile.ts'), ...rest], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 1));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flags = args.filter((a) => a.startsWith('--'));
  const chosen = args.filter((a) => !a.startsWith('--'));
  if (chosen[0] !== undefined && ON_DEMAND.includes(chosen[0])) { runProfile(args.slice(args.indexOf(chosen[0]) + 1)); return; }
  const unknown = chosen.filter((c) => !SCENARIOS.includes(c));
  if (unknown.length > 0) {
    console.error(`unknown scenario: ${unknown.join(', ')} (available: ${[...SCENARIOS, ...ON_DEMAND].join(', ')})`);
    process.exit(1);
  }
  const machine = describeMachine();
  const json = flags.includes('--json');
  const scenarioFlags = flags.filter((f) => f !== '--json');
  console.log(`swarmlet perf suite on ${machineLine(machine)}`);
  const started = Date.now();
  const outcomes: ScenarioOutcome[] = [];
  for (const name of chosen.length > 0 ? chosen : SCENARIOS) {
    console.log(`\n== ${name}`);
    outcomes.push(await runScenario(name, scenarioFlags, json));
  }
  const run: SuiteRun = {
    machine, flags: scenarioFlags, startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000,
    pass: outcomes.every((o) => o.pass), scenarios: outcomes,
  };
  const files = writeResults(join(here, 'results'), run);
  console.log('\n== summary');
  for (const o of outcomes) console.log(`  ${o.scenario.padEnd(22)} ${o.pass ? 'PASS' : 'FAIL'}  ${Math.round(o.seconds)} s${o.error ? `  (${o.error})` : ''}`);
  console.log(`results: ${relative(process.cwd(), files.json)}, ${relative(process.cwd(), files.md)}`);
  if (json) console.log(JSON.stringify(run));
  process.exitCode = run.pass ? 0 : 1;
}

await main();
