/**
 * `${VAR}` interpolation as the docker CLI does it for stack deploy (each expectation checked with docker 28.2.2
 * through test/fixtures/compose/capture-docker-stack.mjs), and the errors naming file, key and variable.
 */
import t from 'tap';
import { substitute } from '../../lib/stack/compose-interpolate.js';
import { composeToSpecs } from '../../lib/stack/compose-to-specs.js';
import { isSwarmletError } from '../../lib/errors.js';

const ENV: Record<string, string> = { TAG: '1.2', EMPTY: '', tag: 'low' };
const lookup = (n: string) => ENV[n];

const CASES: Array<[string, string]> = [
  ['$TAG', '1.2'],
  ['${TAG}', '1.2'],
  ['$tag', 'low'],
  ['${UNSET}x', 'x'],
  ['${_u}', ''],
  ['${UNSET-d}', 'd'],
  ['${EMPTY-d}', ''],
  ['${UNSET:-d}', 'd'],
  ['${EMPTY:-d}', 'd'],
  ['${TAG:-d}', '1.2'],
  ['${UNSET:-a b c}', 'a b c'],
  ['${UNSET:-a$b}', 'a$b'],
  ['${UNSET:-${TAG}}', '${TAG}'],
  ['${TAG-x:-y}', 'y'],
  ['${UNSET?x:-y}', 'y'],
  ['${EMPTY?}', ''],
  ['$TAG.suffix', '1.2.suffix'],
  ['$TAG-x', '1.2'],
  ['$UNSET-x', 'x'],
  ['$$HOME and $${X}', '$HOME and ${X}'],
  ['a$$', 'a$'],
  ['$$$TAG', '$1.2'],
  ['no dollar', 'no dollar'],
];

t.test('substitution as docker stack deploy', async (t) => {
  for (const [tpl, want] of CASES) t.equal(substitute(tpl, lookup), want, tpl);
});

t.test('required and invalid templates throw', async (t) => {
  t.throws(() => substitute('${REQ:?need it}', lookup), /^required variable REQ is missing a value: need it$/);
  t.throws(() => substitute('${REQ?}', lookup), /^required variable REQ is missing a value: $/);
  t.throws(() => substitute('${EMPTY:?no empty}', lookup), /required variable EMPTY is missing a value: no empty/);
  for (const bad of ['a${', '${1BAD}', 'x$-y', '${A B}', '$1', 'cost $ 5', '${TAG:+alt}']) {
    t.throws(() => substitute(bad, lookup), /invalid interpolation format .*escape any \$ with another \$/, bad);
  }
});

const file = (text: string, env: Record<string, string> = {}) => ({ files: [{ fileName: 'c.yml', text }], env, stack: 'app', readFile: () => Buffer.from('x') });

t.test('a file is interpolated from the environment given, keys left alone, values cast after', async (t) => {
  const plan = composeToSpecs(file('services:\n  a:\n    image: "img:${TAG}"\n    tty: ${T}\n    labels: { "$K": "${V:-dv}" }\n    deploy: { replicas: "${R}" }\n', { TAG: '7', T: 'yes', R: '4' }));
  const s = plan.services[0]!;
  t.equal(s.TaskTemplate.ContainerSpec.Image, 'img:7');
  t.equal(s.TaskTemplate.ContainerSpec.TTY, true);
  t.same(s.TaskTemplate.ContainerSpec.Labels, { $K: 'dv', 'com.docker.stack.namespace': 'app' });
  t.same(s.Mode, { Replicated: { Replicas: 4 } });
  t.equal(s.Labels!['com.docker.stack.image'], 'img:7', 'the image label is the interpolated name (as docker)');
});

t.test('a missing required variable: one error naming file, key and variable', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['services:\n  a:\n    image: x\n    environment:\n      - "DB=${DB_PASS:?set DB_PASS}"\n', /^c\.yml: services\.a\.environment\[0\]: required variable DB_PASS is missing a value: set DB_PASS$/],
    ['services:\n  a:\n    image: "x:${TAG?}"\n', /^c\.yml: services\.a\.image: required variable TAG is missing a value: $/],
    ['services:\n  a: { image: x }\nnetworks:\n  n: { name: "${NET:?}" }\n', /^c\.yml: networks\.n\.name: required variable NET is missing a value: $/],
    ['services:\n  a:\n    image: x\n    command: "run $1"\n', /^c\.yml: services\.a\.command: invalid interpolation format "run \$1"/],
  ];
  for (const [text, re] of cases) {
    try { composeToSpecs(file(text)); t.fail(`accepted: ${text}`); } catch (e) {
      t.ok(isSwarmletError(e));
      t.match((e as Error).message, re);
    }
  }
});

t.test('an interpolated value of the wrong type is refused naming the key', async (t) => {
  t.throws(() => composeToSpecs(file('services:\n  a:\n    image: x\n    deploy: { replicas: "${R}" }\n', { R: 'many' })), /c\.yml: services\.a\.deploy\.replicas: expected a whole number/);
  t.throws(() => composeToSpecs(file('services:\n  a:\n    image: x\n    tty: "${T}"\n', { T: 'maybe' })), /c\.yml: services\.a\.tty: expected true or false/);
});
