/**
 * Several -c files merged as docker stack deploy merges them (the full case is checked against docker's
 * capture in compose-to-specs.test.ts: merge-a.yml + merge-b.yml); here the rules one by one.
 */
import t from 'tap';
import { mergeComposeFiles } from '../../lib/stack/compose-merge.js';
import { composeToSpecs } from '../../lib/stack/compose-to-specs.js';

const svc = (...docs: unknown[]) => (mergeComposeFiles(docs) as { services: Record<string, Record<string, unknown>> }).services;

t.test('merge rules per key', async (t) => {
  const cases: Array<[string, unknown, unknown, unknown]> = [
    ['image replaced', { image: 'a:1' }, { image: 'a:2' }, { image: 'a:2' }],
    ['command replaced, not appended', { command: ['a', 'b'] }, { command: ['c'] }, { command: ['c'] }],
    ['environment list + map merged per variable', { environment: ['A=1', 'B=2'] }, { environment: { B: '3', C: null } }, { environment: { A: '1', B: '3', C: null } }],
    ['a null variable keeps the earlier value', { environment: { A: '1' } }, { environment: { A: null } }, { environment: { A: '1' } }],
    ['labels merged', { labels: ['x=1'] }, { labels: { y: '2' } }, { labels: { x: '1', y: '2' } }],
    ['networks list + map merged', { networks: ['n1'] }, { networks: { n2: { aliases: ['x'] } } }, { networks: { n1: null, n2: { aliases: ['x'] } } }],
    ['deploy merged recursively', { deploy: { replicas: 2, update_config: { parallelism: 2, delay: '5s' }, labels: ['a=1'] } },
      { deploy: { update_config: { delay: '9s' }, labels: { b: '2' } } },
      { deploy: { replicas: 2, update_config: { parallelism: 2, delay: '9s' }, labels: { a: '1', b: '2' } } }],
    ['secrets by source, sorted', { secrets: ['s2', { source: 's1', target: 't' }] }, { secrets: [{ source: 's2', target: 'u' }] },
      { secrets: [{ source: 's1', target: 't' }, { source: 's2', target: 'u' }] }],
    ['volumes by target, sorted', { volumes: ['/data:/b', 'vol:/a', { type: 'tmpfs', target: '/t' }] }, { volumes: ['/other:/b:ro', '/c:/c'] },
      { volumes: ['vol:/a', '/other:/b:ro', '/c:/c', { type: 'tmpfs', target: '/t' }] }],
    ['ports by published port, ranges expanded', { ports: ['9000:80', '9420-9421:7000-7001/udp'] }, { ports: [{ target: 84, published: 9000, protocol: 'udp' }, '9421:90'] },
      { ports: [{ target: 84, published: 9000, protocol: 'udp' }, '9420:7000/udp', '9421:90'] }],
    ['unpublished ports kept per target (docker keeps only the last: its key is 0)', { ports: ['81', '82'] }, { ports: ['83'] }, { ports: ['81', '82', '83'] }],
  ];
  for (const [what, a, b, want] of cases) t.same(svc({ services: { s: a } }, { services: { s: b } }).s, want, what);
});

t.test('top-level objects are replaced whole per key; new services added', async (t) => {
  const m = mergeComposeFiles([
    { services: { a: { image: 'x' } }, networks: { n1: { labels: { a: 'b' } } }, secrets: { s: { file: './a' } } },
    { services: { b: { image: 'y' } }, networks: { n1: { attachable: true }, n2: {} }, secrets: { s: { file: './b' } } },
  ]) as Record<string, unknown>;
  t.same(m.networks, { n1: { attachable: true }, n2: {} });
  t.same(m.secrets, { s: { file: './b' } });
  t.same(Object.keys(m.services as object), ['a', 'b']);
});

t.test('an error in a merged file names the file that set the key', async (t) => {
  const input = (a: string, b: string) => ({ files: [{ fileName: 'a.yml', text: a }, { fileName: 'b.yml', text: b }], stack: 'app', readFile: () => Buffer.from('x') });
  t.throws(() => composeToSpecs(input('services:\n  a: { image: x }\n', 'services:\n  a:\n    deploy: { replicas: lots }\n')), /^b\.yml: services\.a\.deploy\.replicas: expected a whole number/);
  t.throws(() => composeToSpecs(input('services:\n  a: { image: x, build: . }\n', 'services:\n  a:\n    deploy: { replicas: 1 }\n')), /^a\.yml: services\.a\.build: unsupported key/);
  t.throws(() => composeToSpecs(input('services:\n  a: { image: x }\n', 'services:\n  a:\n    image: "${T:?}"\n')), /^b\.yml: services\.a\.image: required variable T/);
});
