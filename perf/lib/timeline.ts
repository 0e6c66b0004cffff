/**
 * A load run over time: completed requests in fixed buckets (by completion time), with the OK
 * count, the failures (non-2xx and connection errors) and the p50/p99 latency of each bucket.
 * The load scenarios chart it (chart-svg.ts).
 */
import { quantile } from './latency.js';

export interface TimelineBucket {
  /** ms from the timeline's start to the bucket's start. */
  t: number;
  ok: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Timeline {
  /** Epoch ms of t = 0. */
  startedAt: number;
  bucketMs: number;
  buckets: TimelineBucket[];
}

export class TimelineRecorder {
  private readonly ok: number[] = [];
  private readonly errors: number[] = [];
  private readonly latencies: number[][] = [];

  constructor(private readonly startedAt: number, private readonly bucketMs = 250) {}

  /** One completed request: when it ended (epoch ms), its latency, whether it succeeded. */
  record(atMs: number, latencyMs: number, ok: boolean): void {
    const i = Math.max(0, Math.floor((atMs - this.startedAt) / this.bucketMs));
    while (this.ok.length <= i) {
      this.ok.push(0);
      this.errors.push(0);
      this.latencies.push([]);
    }
    if (ok) this.ok[i]!++;
    else this.errors[i]!++;
    this.latencies[i]!.push(latencyMs);
  }

  finish(): Timeline {
    const buckets = this.ok.map((ok, i) => {
      const sorted = Float64Array.from(this.latencies[i]!).sort();
      return { t: i * this.bucketMs, ok, errors: this.errors[i]!, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
    });
    return { startedAt: this.startedAt, bucketMs: this.bucketMs, buckets };
  }
}
