import t from 'tap';
import fc from 'fast-check';
import { NS_PER_MS, formatDuration, parseDuration } from '../../lib/model/durations.js';
import { parseMemoryBytes } from '../../lib/model/memory-size.js';
import { formatGoFloat, parseCpus } from '../../lib/model/resource-limits.js';
import { expectError } from './spec-helpers.js';

t.test('parseDuration: Go duration strings → nanoseconds', async (t) => {
  const cases: Array<[string | number, number]> = [
    ['3s', 3e9], ['1m30s', 90e9], ['500ms', 500e6], ['1h', 3600e9], ['0', 0], ['0s', 0], ['2.5s', 2.5e9],
    ['10us', 10e3], ['10µs', 10e3], ['10μs', 10e3], ['1ns', 1], ['1h2m3s4ms5us6ns', 3723004005006], ['.5s', 500e6],
    ['1.s', 1e9], ['+3s', 3e9], ['1.000000001s', 1000000001], [' 3s ', 3e9], ['1m1m', 120e9],
    [0, 0], [1500, 1500 * NS_PER_MS], [0.5, 500_000], [250, 250e6],
  ];
  for (const [input, ns] of cases) t.equal(parseDuration(input, 'updateDelay'), ns, JSON.stringify(input));
});

t.test('parseDuration: bad or negative input names the field', async (t) => {
  const cases: Array<[string | number, RegExp]> = [
    ['', /empty duration/], ['abc', /expected a number followed by a unit/], ['3', /missing unit/], ['1m30', /missing unit/],
    ['3x', /unknown unit "x"/], ['3S', /unknown unit "S"/], ['-1s', /must not be negative/], ['.s', /expected a number/],
    [-1, /must not be negative/], [Number.NaN, /finite/], [Number.POSITIVE_INFINITY, /finite/], ['1.2.3s', /missing unit/],
    ['99999999999h', /out of range/],
  ];
  for (const [input, re] of cases) {
    t.test(JSON.stringify(String(input)), async (t) => {
      expectError(t, () => parseDuration(input, 'updateDelay'), re, 'updateDelay');
      try { parseDuration(input, 'updateDelay'); } catch (e) {
        t.match((e as Error).message, new RegExp(`^invalid duration ".*" for updateDelay: `));
      }
    });
  }
});

t.test('formatDuration: Go time.Duration.String()', async (t) => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [3e9, '3s'], [90e9, '1m30s'], [3600e9, '1h0m0s'], [120e9, '2m0s'], [1, '1ns'], [999, '999ns'],
    [1000, '1µs'], [1500, '1.5µs'], [500e6, '500ms'], [1.5e6, '1.5ms'], [2.5e9, '2.5s'], [3723004005006, '1h2m3.004005006s'],
    [1000000001, '1.000000001s'], [-3e9, '-3s'], [5e9, '5s'],
  ];
  for (const [ns, text] of cases) t.equal(formatDuration(ns), text, String(ns));
});

t.test('property: parseDuration(formatDuration(ns)) === ns for integral ns', async (t) => {
  fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (ns) => parseDuration(formatDuration(ns), 'f') === ns));
  fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), (ms) => parseDuration(formatDuration(ms * NS_PER_MS), 'f') === ms * NS_PER_MS));
  t.pass('round trips');
});

t.test('parseMemoryBytes: docker sizes (binary units)', async (t) => {
  const cases: Array<[string | number, number]> = [
    ['64MiB', 64 * 2 ** 20], ['64m', 64 * 2 ** 20], ['64M', 64 * 2 ** 20], ['64mb', 64 * 2 ** 20], ['1g', 2 ** 30], ['1GB', 2 ** 30],
    ['512k', 512 * 1024], ['100b', 100], ['100', 100], ['1.5g', 1.5 * 2 ** 30], ['64 MiB', 64 * 2 ** 20], [4194304, 4194304],
  ];
  for (const [input, bytes] of cases) t.equal(parseMemoryBytes(input, 'limitMemory'), bytes, String(input));
  for (const bad of ['abc', '', '-1m', '1x', '1gigs', -5, 1.5]) {
    expectError(t, () => parseMemoryBytes(bad as string | number, 'limitMemory'), /^invalid memory size ".*" for limitMemory: /, 'limitMemory');
  }
});

t.test('parseCpus and formatGoFloat', async (t) => {
  t.equal(parseCpus(0.5, 'reserveCpu'), 5e8);
  t.equal(parseCpus(2, 'reserveCpu'), 2e9);
  t.equal(parseCpus('0.25', 'reserveCpu'), 25e7);
  t.equal(parseCpus(0.001, 'reserveCpu'), 1e6);
  expectError(t, () => parseCpus(-1, 'reserveCpu'), /expected a non-negative number of CPUs/, 'reserveCpu');
  expectError(t, () => parseCpus(Number.NaN, 'reserveCpu'), /expected a non-negative number of CPUs/, 'reserveCpu');
  expectError(t, () => parseCpus(1e-10, 'reserveCpu'), /too precise/, 'reserveCpu');
  t.equal(formatGoFloat(0.0005), '0.0005');
  t.equal(formatGoFloat(1e-9), '1e-09');
  t.equal(formatGoFloat(0.00005), '5e-05');
  t.equal(formatGoFloat(1e6), '1e+06');
  t.equal(formatGoFloat(2.5), '2.5');
});
