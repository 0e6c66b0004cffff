/** Reading redis-benchmark's `--csv` output (the l4-throughput scenario). */

/** redis-benchmark's CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",… */
export function parseBenchmarkCsv(csv: string, test: string): { rps: number; p50Ms: number; p99Ms: number } | undefined {
  for (const line of csv.split('\n')) {
    const cells = line.split(',').map((c) => c.replace(/^"|"$/g, ''));
    if (cells[0] === test && cells.length >= 7) return { rps: Number(cells[1]), p50Ms: Number(cells[4]), p99Ms: Number(cells[6]) };
  }
  return undefined;
}
