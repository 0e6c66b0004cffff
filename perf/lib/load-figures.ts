/** Figures of an open-model load run: errors (target 0), latency per phase, generator health. */
import type { LoadReport, PhaseReport } from './open-load.js';
import type { Report } from './report.js';

const EMPTY: PhaseReport = {
  sent: 0, ok: 0, non2xx: 0, errors: 0, skipped: 0, samples: [], startedAt: 0,
  latency: { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 },
};

export function phaseOf(r: LoadReport, name: string): PhaseReport {
  return r.phases[name] ?? EMPTY;
}

/** Failed requests over every phase: non-2xx answers plus connection errors. */
export function failedRequests(r: LoadReport): number {
  return Object.values(r.phases).reduce((n, p) => n + p.non2xx + p.errors, 0);
}

/**
 * Records: requests sent, errors during the run (target 0), skipped sends (target 0: the
 * generator kept its schedule), and p50/p99/max latency of each of `phases`.
 */
export function loadFigures(report: Report, key: string, label: string, r: LoadReport, phases: string[], rate: number): void {
  const sent = Object.values(r.phases).reduce((n, p) => n + p.sent, 0);
  const skipped = Object.values(r.phases).reduce((n, p) => n + p.skipped, 0);
  const samples = Object.values(r.phases).flatMap((p) => p.samples).slice(0, 5);
  report.figure(`${key}Requests`, `${label}: requests sent at ${rate} req/s`, sent, 'requests');
  report.figure(`${key}Errors`, `${label}: errors (non-2xx + connection errors)`, failedRequests(r), 'requests', { target: { op: '<=', value: 0 } });
  if (samples.length > 0) report.note(`${label}: first errors: ${samples.join(' | ')}`);
  report.figure(`${key}Skipped`, `${label}: sends skipped by the generator`, skipped, 'requests', { target: { op: '<=', value: 0 } });
  for (const name of phases) {
    const p = phaseOf(r, name).latency;
    const cap = name.charAt(0).toUpperCase() + name.slice(1);
    report.figure(`${key}${cap}P50`, `${label}: p50 latency ${name}`, p.p50Ms, 'ms', { digits: 3 });
    report.figure(`${key}${cap}P99`, `${label}: p99 latency ${name}`, p.p99Ms, 'ms', { digits: 3 });
    report.figure(`${key}${cap}Max`, `${label}: max latency ${name}`, p.maxMs, 'ms', { digits: 3 });
  }
}
