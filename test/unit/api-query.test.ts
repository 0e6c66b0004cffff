import t from 'tap';
import fc from 'fast-check';
import { boolValue, compareApiVersions, parseObjectVersion } from '../../lib/api/query.js';
import { parseFilters } from '../../lib/api/filters.js';
import assert from 'node:assert/strict';

t.test('boolValue follows moby BoolValue', async (t) => {
  const table: Array<[string | null, boolean]> = [
    [null, false], ['', false], ['0', false], ['no', false], ['false', false], ['none', false],
    ['FALSE', false], [' No ', false], ['None', false],
    ['1', true], ['true', true], ['yes', true], ['on', true], ['2', true], ['anything', true], ['TRUE', true],
  ];
  for (const [raw, want] of table) t.equal(boolValue(raw), want, `boolValue(${JSON.stringify(raw)})`);
});

t.test('parseObjectVersion accepts uint64 decimals only', async (t) => {
  t.equal(parseObjectVersion('0', 'service'), 0);
  t.equal(parseObjectVersion('14', 'service'), 14);
  for (const bad of [null, '', 'abc', '-1', '1.5', ' 3', '0x10', '99999999999999999999']) {
    t.throws(() => parseObjectVersion(bad, 'service'),
      { code: 'invalid_argument', message: `invalid service version '${bad ?? ''}': ` }, String(bad));
  }
  t.throws(() => parseObjectVersion('x', 'node'), /^invalid node version 'x': strconv.ParseUint: parsing "x": invalid syntax$/);
});

t.test('compareApiVersions orders numerically', async (t) => {
  t.equal(compareApiVersions('1.41', '1.42'), -1);
  t.equal(compareApiVersions('1.42', '1.42'), 0);
  t.equal(compareApiVersions('1.100', '1.42'), 1);
  t.equal(compareApiVersions('2', '1.99'), 1);
  t.equal(compareApiVersions('1.4', '1.40'), -1);
});

t.test('parseFilters: map form, array form, empty', async (t) => {
  t.same(parseFilters(null), {});
  t.same(parseFilters(''), {});
  t.same(parseFilters('{}'), {});
  t.same(parseFilters('{"service":{"abc":true},"_up-to-date":{"true":true}}'), { service: ['abc'], '_up-to-date': ['true'] });
  t.same(parseFilters('{"service":{"abc":false}}'), { service: ['abc'] }, 'booleans are ignored like moby');
  t.same(parseFilters('{"node":["n1","n2","n1"]}'), { node: ['n1', 'n2'] });
  t.same(parseFilters('{"name":{},"id":[]}'), {}, 'keys without values are dropped');
});

t.test('parseFilters rejects malformed input with invalid filter', async (t) => {
  for (const bad of ['{', 'null', '[]', '"x"', '{"a":1}', '{"a":"b"}', '{"a":[1]}', '{"a":null}']) {
    t.throws(() => parseFilters(bad), { code: 'invalid_argument', message: /^invalid filter: / }, bad);
  }
});

t.test('parseFilters: both encodings give the same Filters (property)', async (t) => {
  const key = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__proto__');
  const vals = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }).filter((v) => v !== '__proto__'), { minLength: 1, maxLength: 4 });
  fc.assert(fc.property(fc.dictionary(key, vals), (dict) => {
    const asMap = Object.fromEntries(Object.entries(dict).map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))]));
    for (const f of [parseFilters(JSON.stringify(asMap)), parseFilters(JSON.stringify(dict))]) {
      assert.deepEqual(Object.keys(f).sort(), Object.keys(dict).sort());
      for (const k of Object.keys(dict)) assert.deepEqual([...f[k]!].sort(), [...dict[k]!].sort());
    }
  }), { numRuns: 200 });
  t.pass('property held');
});
