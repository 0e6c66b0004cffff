/**
 * The README's library example, run as a user would: `node --import tsx examples/local-cluster.ts`.
 * It imports 'swarmlet', i.e. the package's own exports (dist/), which `npm test` builds first.
 */
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { alive, lockLocalNodes, ROOT, runCommand } from '../fixtures/up-process.js';

// `swarmlet up` owns 127.0.0.1-3 (gateway ports, :9323): one such test file at a time (see lockLocalNodes)
t.setTimeout(300_000);
let releaseNodes = () => {};
t.before(async () => { releaseNodes = await lockLocalNodes(); t.setTimeout(300_000); }); // the wait for the lock does not count
t.teardown(() => releaseNodes());

t.before(async () => {
  if (existsSync(join(ROOT, 'dist', 'lib', 'index.js'))) return;
  const build = await runCommand(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {}, 120_000);
  if (!existsSync(join(ROOT, 'dist', 'lib', 'index.js'))) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
});

t.test('examples/local-cluster.ts runs 5 tasks, gets an answer and exits 0', async (t) => {
  const r = await runCommand(process.execPath, ['--import', 'tsx', 'examples/local-cluster.ts'], {}, 60_000);
  t.equal(r.code, 0, `exit 0\n${r.stderr}`);
  const lines = r.stdout.split('\n');
  const tasks = lines.map((l) => /^web\.(\d+) on [0-9a-z]{12} at 127\.0\.0\.(2[123]):(\d+)$/.exec(l)).filter((m) => m !== null);
  t.equal(tasks.length, 5, `5 tasks listed:\n${r.stdout}`);
  t.same(tasks.map((m) => Number(m[1])).sort(), [1, 2, 3, 4, 5], 'slots 1..5');
  t.same(new Set(tasks.map((m) => m[2])).size, 3, 'spread over the 3 nodes');
  const answer = /^answer: \{[\s\S]*?task: '(web\.\d+)'[\s\S]*?pid: (\d+)/m.exec(r.stdout);
  t.ok(answer, 'an answer naming its task');
  if (answer) {
    t.ok(tasks.some((m) => `web.${m[1]}` === answer[1]), `the answer comes from a listed task (${answer[1]})`);
    t.notOk(alive(Number(answer[2])), 'the task process that answered is gone after close()');
  }
  // tail 1: each task's last line — its start line, or the request line of the task that answered
  const logs = lines.filter((l) => /^log [0-9a-z]{12} \| (whoami listening on http:\/\/127\.0\.0\.2[123]:\d+ as web\.\d|GET \/ 200)$/.test(l));
  t.equal(logs.length, 5, 'one log line per task (tail 1)');
  t.equal(new Set(logs.map((l) => l.slice(4, 16))).size, 5, 'from 5 different tasks');
});
