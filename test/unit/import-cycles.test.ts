import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cyclicGroups, describeCycles, folderEdges, runtimeImports, type FolderEdge } from '../fixtures/import-graph.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

t.test('no folder-level cycle of runtime imports between lib/<x>, gateway and cmd', async (t) => {
  const edges = folderEdges(root);
  t.ok(edges.length > 50, `the graph was read (${edges.length} cross-folder imports)`);
  t.ok(edges.some((e) => e.from === 'cmd' && e.to === 'lib/client'), 'cmd → lib/client is seen');
  t.same(describeCycles(edges), [], 'layers point one way');
});

t.test('runtimeImports: type-only imports and exports are erased, everything else is kept', async (t) => {
  const cases: Array<[string, string[]]> = [
    [`import { a } from './a.js';`, ['./a.js']],
    [`import a from './a.js';`, ['./a.js']],
    [`import * as a from './a.js';`, ['./a.js']],
    [`import './side.js';`, ['./side.js']],
    [`import type { A } from './a.js';`, []],
    [`import { type A, type B } from './a.js';`, []],
    [`import { type A, b } from './a.js';`, ['./a.js']],
    [`export { a } from './a.js';`, ['./a.js']],
    [`export * from './a.js';`, ['./a.js']],
    [`export type { A } from './a.js';`, []],
    [`export { type A } from './a.js';`, []],
    [`const m = await import('./lazy.js');`, ['./lazy.js']],
    [`import { readFile } from 'node:fs';`, ['node:fs']],
  ];
  for (const [text, want] of cases) t.same(runtimeImports('x.ts', text), want, text);
});

t.test('cyclicGroups and describeCycles name every cycle with a file that makes each edge', async (t) => {
  const edge = (from: string, to: string): FolderEdge => ({ from, to, file: `${from}/x.ts`, target: `${to}/y.ts` });
  const edges = [
    edge('lib/model', 'lib/scheduler'), edge('lib/scheduler', 'lib/model'),
    edge('lib/agent', 'lib/dispatcher'), edge('lib/dispatcher', 'lib/cluster'), edge('lib/cluster', 'lib/agent'),
    edge('cmd', 'lib/client'), edge('lib/client', 'lib/errors'),
  ];
  t.same(cyclicGroups(edges), [['lib/agent', 'lib/cluster', 'lib/dispatcher'], ['lib/model', 'lib/scheduler']]);
  const lines = describeCycles(edges);
  t.equal(lines.length, 2);
  t.match(lines[0], /^cycle lib\/agent → lib\/dispatcher → lib\/cluster → lib\/agent: /);
  t.match(lines[0], /lib\/cluster → lib\/agent \(lib\/cluster\/x\.ts imports lib\/agent\/y\.ts\)/);
  t.match(lines[1], /^cycle lib\/model → lib\/scheduler → lib\/model: /);
  t.same(cyclicGroups(edges.filter((e) => e.from !== 'lib/scheduler' && e.from !== 'lib/cluster')), [], 'a DAG has none');
});
