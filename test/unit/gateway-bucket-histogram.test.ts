import t from 'tap';
import fc from 'fast-check';
import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { BucketHistogram } from '../../gateway/bucket-histogram.js';

const BUCKETS = [0.0005, 0.001, 0.01, 0.1, 1, 10];
const LABELS = [{ node: 'n1', service: 'web' }, { node: 'n1', service: 'api' }];

/** The same observations into a BucketHistogram and into prom-client's Histogram. */
async function both(obs: Array<[number, number]>): Promise<{ ours: Registry; theirs: Registry }> {
  const ours = new Registry();
  const theirs = new Registry();
  const h = new BucketHistogram('x_seconds', 'help text', BUCKETS, ours);
  const p = new Histogram({ name: 'x_seconds', help: 'help text', labelNames: ['node', 'service'], buckets: BUCKETS, registers: [theirs] });
  const series = LABELS.map((l) => h.labels(l));
  for (const [which, v] of obs) { series[which]!.observe(v); p.observe(LABELS[which]!, v); }
  return { ours, theirs };
}

t.test('exports what prom-client\'s Histogram exports for the same observations', async (t) => {
  const { ours, theirs } = await both([[0, 0.0001], [0, 0.002], [1, 5], [0, 100], [1, 0.0005]]);
  t.equal(await ours.metrics(), await theirs.metrics());
  t.match(await ours.metrics(), /x_seconds_bucket\{le="0.001",node="n1",service="web"\} 1\n/);
});

/** Exposition lines, sorted (series order follows creation here, first observation in prom-client). */
const lines = async (r: Registry) => (await r.metrics()).split('\n').sort();

t.test('property: same lines as prom-client for any observations (bounds included)', async (t) => {
  const value = fc.oneof(fc.constantFrom(...BUCKETS, 0), fc.double({ min: 0, max: 50, noNaN: true }));
  await fc.assert(fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), value), { maxLength: 40 }), async (obs) => {
    const { ours, theirs } = await both(obs);
    t.same(await lines(ours), await lines(theirs));
  }), { numRuns: 100 });
});

t.test('the series of several registries sum per label set (cluster aggregation)', async (t) => {
  const a = await both([[0, 0.002], [1, 0.002]]);
  const b = await both([[0, 0.002], [0, 2]]);
  const sum = AggregatorRegistry.aggregate([await a.ours.getMetricsAsJSON(), await b.ours.getMetricsAsJSON()]);
  const text = await sum.metrics();
  t.match(text, /x_seconds_count\{node="n1",service="web"\} 3\n/);
  t.match(text, /x_seconds_count\{node="n1",service="api"\} 1\n/);
  t.match(text, /x_seconds_bucket\{le="0.01",node="n1",service="web"\} 2\n/);
});

t.test('remove and reset drop series', async (t) => {
  const r = new Registry();
  const h = new BucketHistogram('y', 'h', BUCKETS, r);
  h.labels({ service: 'a' }).observe(1);
  h.labels({ service: 'b' }).observe(1);
  t.equal(h.labels({ service: 'a' }), h.labels({ service: 'a' }), 'one series per label set');
  h.remove({ service: 'a' });
  t.notMatch(await r.metrics(), /service="a"/);
  t.match(await r.metrics(), /y_count\{service="b"\} 1/);
  r.resetMetrics();
  t.notMatch(await r.metrics(), /y_count/);
});
