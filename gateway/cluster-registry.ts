/**
 * The registry of a multi-process gateway's primary: each scrape asks every worker for its
 * metrics (`getMetricsAsJSON`) and sums them with prom-client's own cluster aggregation (counters
 * and histograms add up; gauges by their `aggregator`). The primary itself records nothing.
 */
import { AggregatorRegistry, Registry } from 'prom-client';

/** Every worker's metrics, one `getMetricsAsJSON()` array per worker. */
export type CollectWorkers = () => Promise<object[][]>;

export class ClusterRegistry extends Registry {
  constructor(private readonly collectWorkers: CollectWorkers) {
    super();
  }

  override async metrics(): Promise<string> {
    return this.aggregated().then((r) => r.metrics());
  }

  override async getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    return this.aggregated().then((r) => r.getMetricsAsJSON());
  }

  private async aggregated(): Promise<Registry> {
    return AggregatorRegistry.aggregate(await this.collectWorkers());
  }
}
