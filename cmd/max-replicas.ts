/** `--max-replicas N`: a positive integer. */
export function parseMaxReplicas(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) throw new Error(`invalid --max-replicas "${v}": expected a positive integer`);
  return n;
}
