/**
 * `npm run perf [-- SCENARIO…] [--json]`: runs the benchmarks under perf/ one after another and
 * prints their figures. Each scenario is also runnable alone: node --import tsx perf/<name>.ts
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const SCENARIOS = ['scheduler-placement', 'gateway-throughput'];
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const chosen = args.filter((a) => !a.startsWith('--'));
const unknown = chosen.filter((c) => !SCENARIOS.includes(c));
if (unknown.length > 0) {
  console.error(`unknown scenario: ${unknown.join(', ')} (available: ${SCENARIOS.join(', ')})`);
  process.exit(1);
}
let failed = 0;
for (const name of chosen.length > 0 ? chosen : SCENARIOS) {
  console.log(`== ${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`), ...flags], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
