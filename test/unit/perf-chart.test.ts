import t from 'tap';
import { XMLValidator } from 'fast-xml-parser';
import { loadChartSvg, type ChartMarker } from '../../perf/lib/chart-svg.js';
import { TimelineRecorder } from '../../perf/lib/timeline.js';
import { updateStepMarkers } from '../../perf/lib/update-steps.js';
import { chartMarkers } from '../fixtures/chart-markers.js';

const T0 = Date.parse('2026-12-06T12:00:00Z');

t.test('the timeline buckets requests by completion time', async (t) => {
  const r = new TimelineRecorder(T0, 250);
  r.record(T0 + 10, 5, true);
  r.record(T0 + 20, 7, true);
  r.record(T0 + 600, 40, false);
  const tl = r.finish();
  t.same(tl.buckets.map((b) => [b.t, b.ok, b.errors]), [[0, 2, 0], [250, 0, 0], [500, 0, 1]]);
  t.equal(tl.buckets[0]!.p50Ms, 5);
  t.equal(tl.buckets[0]!.p99Ms, 7);
  t.equal(tl.buckets[1]!.p99Ms, 0, 'an empty bucket');
});

t.test('update steps: tasks created together are one step', async (t) => {
  const at = (ms: number) => new Date(T0 + ms).toISOString();
  const fresh = [
    { Slot: 3, CreatedAt: at(1000) }, { Slot: 1, CreatedAt: at(1010) },
    { Slot: 2, CreatedAt: at(2500) }, { Slot: 4, CreatedAt: at(2520) },
    { Slot: 5, CreatedAt: at(4000) },
  ];
  const m = updateStepMarkers('toms', fresh, { StartedAt: at(990), CompletedAt: at(5000) });
  t.same(m.filter((x) => x.kind === 'update-step').map((x) => [x.short, x.atMs - T0, x.label]), [
    ['1', 1000, 'update step 1: toms.3, toms.1 replaced'],
    ['2', 2500, 'update step 2: toms.2, toms.4 replaced'],
    ['3', 4000, 'update step 3: toms.5 replaced'],
  ]);
  t.same(m.filter((x) => x.kind === 'update').map((x) => x.short), ['start', 'done']);
});

t.test('the SVG parses, draws the series and marks every step and kill', async (t) => {
  const r = new TimelineRecorder(T0, 250);
  for (let ms = 0; ms < 8000; ms += 10) r.record(T0 + ms, ms > 3000 && ms < 3500 ? 80 : 3, !(ms > 6000 && ms < 6100));
  const markers: ChartMarker[] = [
    ...Array.from({ length: 5 }, (_, i) => ({ atMs: T0 + 1000 + i * 1000, kind: 'update-step' as const, short: String(i + 1), label: `step ${i + 1} <a & b>` })),
    { atMs: T0 + 6000, kind: 'kill', short: 'kill', label: 'kill -9 of "fo.1"' },
  ];
  const svg = loadChartSvg({ title: 'rolling update <test>', subtitle: 'a & b', timeline: r.finish(), markers });
  const parsed = chartMarkers(svg);
  const steps = parsed.filter((m) => m.kind === 'update-step');
  t.equal(steps.length, 5, 'one marker per step');
  t.same(steps.map((m) => m.atMs - T0), [1000, 2000, 3000, 4000, 5000]);
  t.same(steps.map((m) => m.title), [1, 2, 3, 4, 5].map((i) => `step ${i} <a & b>`), "the full text, escaped in the SVG");
  t.match(svg, /<title>step 1 &lt;a &amp; b&gt;<\/title>/, "escaped in the SVG");
  t.equal(parsed.filter((m) => m.kind === 'kill').length, 1);
  t.match(svg, /<path class="series rate" d="M/);
  t.match(svg, /<path class="series p99" d="M/);
  t.match(svg, /<g class="series errors" data-total="9">/, 'the failures drawn');
  const xs = [...svg.matchAll(/class="marker update-step"[^>]*>.*?<line x1="([\d.]+)"/g)].map((m) => Number(m[1]));
  t.ok(xs.every((v, i) => i === 0 || v > xs[i - 1]!), 'steps left to right');
});

t.test('an empty run still gives a valid chart', async (t) => {
  const svg = loadChartSvg({ title: 'nothing', timeline: { startedAt: T0, bucketMs: 250, buckets: [] }, markers: [] });
  t.equal(XMLValidator.validate(svg), true);
});
