import t from 'tap';
import { parseBenchmarkCsv } from '../../perf/lib/redis-benchmark.js';

t.test('redis-benchmark --csv: the named test\'s rps, p50 and p99', async (t) => {
  const csv = [
    '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
    '"PING_INLINE","46620.05","0.452","0.112","0.383","0.639","2.311","17.279"',
    '"PING_MBULK","10840.11","2.258","0.072","0.615","7.543","27.455","82.943"',
  ].join('\n');
  t.same(parseBenchmarkCsv(csv, 'PING_MBULK'), { rps: 10840.11, p50Ms: 0.615, p99Ms: 27.455 });
  t.same(parseBenchmarkCsv(csv, 'PING_INLINE'), { rps: 46620.05, p50Ms: 0.383, p99Ms: 2.311 });
  t.equal(parseBenchmarkCsv(csv, 'SET'), undefined);
  t.equal(parseBenchmarkCsv('Could not connect to Redis', 'PING_MBULK'), undefined);
});
