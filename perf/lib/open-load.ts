/**
 * The load generator (run in its own process by load-worker.ts):
 *  - open model: one GET every 1000/rate ms on a fixed schedule, whether or not earlier requests
 *    have answered; latency is measured from the *scheduled* send time, so a stall shows up in
 *    every request it delays (no coordinated omission);
 *  - closed model: `connections` loops, each sending its next request when the last one answered
 *    (for measuring capacity).
 * Both stop at `stop()`, after `maxSeconds`, or after `maxRequests`, whichever comes first.
 * Requests are tagged with the phase current at their scheduled time ("before", "during" …).
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { Samples, summarize, type LatencySummary } from './latency.js';
import { TimelineRecorder, type Timeline } from './timeline.js';

export interface LoadConfig {
  url: string;
  mode: 'open' | 'closed';
  /** Open model: requests per second. */
  rate?: number;
  /** Closed model: concurrency; open model: connections of the pool. */
  connections: number;
  maxSeconds: number;
  maxRequests?: number;
  /** Open model: a due request is skipped (and counted) when this many are in flight. Default 20,000. */
  maxInflight?: number;
  /** Send Accept: application/json and read `task`/`taskId` from whoami's answer. */
  whoami?: boolean;
  phase?: string;
}

export interface PhaseReport {
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Open model: due requests not sent because maxInflight were in flight. */
  skipped: number;
  latency: LatencySummary;
  /** The first few problems (status + body, or error code + message). */
  samples: string[];
  /** Epoch ms when the phase began (in the generator). */
  startedAt: number;
}

export interface LoadReport {
  mode: 'open' | 'closed';
  rate: number;
  connections: number;
  seconds: number;
  completed: number;
  /** Completed requests per second over the whole run. */
  rps: number;
  phases: Record<string, PhaseReport>;
  /** whoami task name → answers. */
  byTask: Record<string, number>;
  /** whoami task ID → epoch ms of its first answer. */
  firstSeen: Record<string, number>;
  /** Epoch ms of the first 100 failed requests. */
  errorTimes: number[];
  /** Rate, errors and p50/p99 over time (250 ms buckets by completion time): the charts. */
  timeline: Timeline;
}

interface PhaseState { name: string; sent: number; ok: number; non2xx: number; errors: number; skipped: number; latencies: Samples; samples: string[]; startedAt: number }

const TASK_RE = /"task":"([^"]*)"/;
const TASK_ID_RE = /"taskId":"([^"]*)"/;

export class LoadRun {
  private readonly pool: Pool;
  private readonly path: string;
  private readonly phases = new Map<string, PhaseState>();
  private current: PhaseState;
  private stopped = false;
  private inflight = 0;
  private completed = 0;
  private readonly byTask = new Map<string, number>();
  private readonly firstSeen = new Map<string, number>();
  private readonly errorTimes: number[] = [];
  private readonly timeline = new TimelineRecorder(Date.now());
  private wake: (() => void) | undefined;
  readonly done: Promise<LoadReport>;

  constructor(private readonly cfg: LoadConfig) {
    const u = new URL(cfg.url);
    this.path = `${u.pathname}${u.search}`;
    this.pool = new Pool(u.origin, { connections: cfg.connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 30_000, bodyTimeout: 30_000 });
    this.current = this.phaseState(cfg.phase ?? 'main');
    this.done = this.run();
  }

  setPhase(name: string): void { this.current = this.phaseState(name); }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  private phaseState(name: string): PhaseState {
    let p = this.phases.get(name);
    if (!p) this.phases.set(name, (p = { name, sent: 0, ok: 0, non2xx: 0, errors: 0, skipped: 0, latencies: new Samples(), samples: [], startedAt: Date.now() }));
    return p;
  }

  private async run(): Promise<LoadReport> {
    const started = performance.now();
    const timer = setTimeout(() => this.stop(), this.cfg.maxSeconds * 1000);
    try {
      if (this.cfg.mode === 'open') await this.runOpen(started);
      else await this.runClosed();
      while (this.inflight > 0) await new Promise<void>((r) => { this.wake = r; setTimeout(r, 20); });
    } finally {
      clearTimeout(timer);
      await this.pool.close().catch(() => {});
    }
    return this.report((performance.now() - started) / 1000);
  }

  private async runOpen(started: number): Promise<void> {
    const rate = this.cfg.rate ?? 100;
    const interval = 1000 / rate;
    const max = this.cfg.maxRequests ?? Math.ceil(rate * this.cfg.maxSeconds);
    const maxInflight = this.cfg.maxInflight ?? 20_000;
    let i = 0;
    while (!this.stopped && i < max) {
      const due = Math.min(max, Math.floor((performance.now() - started) / interval) + 1);
      for (; i < due; i++) {
        const p = this.current;
        p.sent++;
        if (this.inflight >= maxInflight) { p.skipped++; continue; }
        this.send(p, started + i * interval);
      }
      const wait = started + i * interval - performance.now();
      await new Promise<void>((r) => { this.wake = r; setTimeout(r, Math.max(0, wait)); });
    }
  }

  private async runClosed(): Promise<void> {
    const max = this.cfg.maxRequests ?? Number.MAX_SAFE_INTEGER;
    let issued = 0;
    await Promise.all(Array.from({ length: this.cfg.connections }, async () => {
      while (!this.stopped && issued < max) {
        issued++;
        const p = this.current;
        p.sent++;
        await this.send(p, performance.now());
      }
    }));
  }

  private send(p: PhaseState, scheduledAt: number): Promise<void> {
    this.inflight++;
    const headers = this.cfg.whoami ? { accept: 'application/json' } : undefined;
    return this.pool.request({ path: this.path, method: 'GET', headers })
      .then(async (res) => {
        const body = await res.body.text();
        const latency = performance.now() - scheduledAt;
        p.latencies.push(latency);
        this.timeline.record(Date.now(), latency, res.statusCode >= 200 && res.statusCode < 300);
        if (res.statusCode >= 200 && res.statusCode < 300) {
          p.ok++;
          if (this.cfg.whoami) this.noteTask(body);
        } else {
          p.non2xx++;
          this.noteError(p, `${res.statusCode} ${body.slice(0, 100)}`);
        }
      }, (e: Error & { code?: string }) => {
        const latency = performance.now() - scheduledAt;
        p.latencies.push(latency);
        this.timeline.record(Date.now(), latency, false);
        p.errors++;
        this.noteError(p, `${e.code ?? ''} ${e.message}`);
      })
      .finally(() => {
        this.inflight--;
        this.completed++;
      });
  }

  private noteTask(body: string): void {
    const name = TASK_RE.exec(body)?.[1] ?? '?';
    this.byTask.set(name, (this.byTask.get(name) ?? 0) + 1);
    const id = TASK_ID_RE.exec(body)?.[1];
    if (id !== undefined && !this.firstSeen.has(id)) this.firstSeen.set(id, Date.now());
  }

  private noteError(p: PhaseState, text: string): void {
    if (p.samples.length < 5) p.samples.push(text);
    if (this.errorTimes.length < 100) this.errorTimes.push(Date.now());
  }

  private report(seconds: number): LoadReport {
    const phases: Record<string, PhaseReport> = {};
    for (const p of this.phases.values()) {
      phases[p.name] = {
        sent: p.sent, ok: p.ok, non2xx: p.non2xx, errors: p.errors, skipped: p.skipped,
        latency: summarize(p.latencies.values()), samples: p.samples, startedAt: p.startedAt,
      };
    }
    return {
      mode: this.cfg.mode, rate: this.cfg.rate ?? 0, connections: this.cfg.connections, seconds,
      completed: this.completed, rps: this.completed / seconds, phases,
      byTask: Object.fromEntries(this.byTask), firstSeen: Object.fromEntries(this.firstSeen), errorTimes: this.errorTimes,
      timeline: this.timeline.finish(),
    };
  }
}
