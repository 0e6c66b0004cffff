/**
 * A Prometheus histogram whose series are plain bucket arrays: `observe` is a bucket search and
 * three additions (prom-client's own Histogram hashes the labels on every observation). It
 * registers in a prom-client Registry and exports exactly what prom-client's Histogram does
 * (cumulative `_bucket` with `le` first, `+Inf`, `_sum`, `_count`). Every label is in `labels`
 * (none in `sharedLabels`, which prom-client's cluster aggregation ignores), so the series of
 * several workers sum correctly.
 */
import type { Registry } from 'prom-client';

export class HistogramSeries {
  /** Per-bucket counts (not cumulative); the last one is above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly labels: Readonly<Record<string, string>>, private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

interface ExportedValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();

  constructor(readonly name: string, readonly help: string, private readonly bounds: readonly number[], registry: Registry) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of `labels` (created on first use; keep it and call `observe` on it). */
  labels(labels: Readonly<Record<string, string>>): HistogramSeries {
    const key = seriesKey(labels);
    let s = this.series.get(key);
    if (s === undefined) {
      s = new HistogramSeries({ ...labels }, this.bounds);
      this.series.set(key, s);
    }
    return s;
  }

  remove(labels: Readonly<Record<string, string>>): void {
    this.series.delete(seriesKey(labels));
  }

  reset(): void { this.series.clear(); }

  /** What prom-client's Registry reads (same shape as its Histogram's). */
  get(): { name: string; help: string; type: string; values: ExportedValue[]; aggregator: string } {
    const values: ExportedValue[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      if (s.count === 0) continue; // as prom-client: a series appears with its first observation
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ value: acc, labels: { le, ...s.labels }, metricName: bucket });
      });
      values.push({ value: s.count, labels: { le: '+Inf', ...s.labels }, metricName: bucket });
      values.push({ value: s.sum, labels: { ...s.labels }, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: { ...s.labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

function seriesKey(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0000');
}
