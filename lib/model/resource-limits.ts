/** CPU counts → NanoCPUs, and Swarm's minimums for reservations and limits (swarmkit controlapi validateResources). */
import { invalid } from '../errors.js';
import type { ResourceSet } from './types.js';

const MIN_NANO_CPUS = 1e6;          // 0.001 CPU
const MIN_MEMORY_BYTES = 4 * 1024 * 1024;

/** 0.5 → 500000000 NanoCPUs; throws for negative, non-finite or too precise values. */
export function parseCpus(cpus: number | string, field: string): number {
  const n = typeof cpus === 'string' && cpus.trim() !== '' ? Number(cpus) : cpus;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw invalid(`invalid cpu value "${String(cpus)}" for ${field}: expected a non-negative number of CPUs, e.g. 0.5`, field);
  }
  const nano = Math.round(n * 1e9);
  if (Math.abs(nano - n * 1e9) > 1e-3 * Math.max(1, n)) throw invalid(`invalid cpu value "${String(cpus)}" for ${field}: value is too precise`, field);
  return nano;
}

/** Swarm's minimum checks on one ResourceSet, with its exact texts; the error's field is `path.NanoCPUs` / `path.MemoryBytes`. */
export function checkResourceMinimums(set: ResourceSet | undefined, path: string): void {
  if (!set) return;
  checkNanoCpus(set.NanoCPUs ?? 0, `${path}.NanoCPUs`);
  checkMemoryBytes(set.MemoryBytes ?? 0, `${path}.MemoryBytes`);
}

/** 0 (unset) or at least 0.001 CPU: `invalid cpu value %g: Must be at least 0.001`. */
export function checkNanoCpus(nanoCpus: number, field: string): void {
  if (nanoCpus !== 0 && nanoCpus < MIN_NANO_CPUS) {
    throw invalid(`invalid cpu value ${formatGoFloat(nanoCpus / 1e9)}: Must be at least 0.001`, field);
  }
}

/** 0 (unset) or at least 4MiB: `invalid memory value %d: Must be at least 4MiB`. */
export function checkMemoryBytes(bytes: number, field: string): void {
  if (bytes !== 0 && bytes < MIN_MEMORY_BYTES) {
    throw invalid(`invalid memory value ${bytes}: Must be at least 4MiB`, field);
  }
}

/** Go's %g for a float64 (shortest digits; exponent form below 1e-4 or from 1e6). */
export function formatGoFloat(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp >= -4 && exp < 6) return String(x);
  const [mant = '', e = '0'] = x.toExponential().split('e');
  const sign = e.startsWith('-') ? '-' : '+';
  const digits = e.replace(/^[+-]/, '').padStart(2, '0');
  return `${mant}e${sign}${digits}`;
}
