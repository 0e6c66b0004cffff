/**
 * The load generator process: `node --import tsx perf/lib/load-worker.ts '<LoadConfig JSON>'`.
 * Prints "ready", then reads commands on stdin, one a line: `phase NAME` tags the requests
 * scheduled from then on, `stop` (or the end of stdin) ends the run; prints the LoadReport as
 * one JSON line and exits. The run also ends by itself after maxSeconds / maxRequests.
 */
import { createInterface } from 'node:readline';
import { LoadRun, type LoadConfig } from './open-load.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
const run = new LoadRun(cfg);
const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, arg] = line.trim().split(/\s+/, 2);
  if (cmd === 'phase' && arg) run.setPhase(arg);
  else if (cmd === 'stop') run.stop();
});
rl.on('close', () => run.stop());
process.stdout.write('ready\n');
const report = await run.done;
process.stdout.write(`${JSON.stringify(report)}\n`);
rl.close();
process.exit(0);
