/** Time is an input. This is the only file of lib/ that touches Date.now and timers. */
export interface Timer { cancel(): void }

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
}

export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const h = setTimeout(fn, ms);
      return { cancel: () => clearTimeout(h) };
    },
  };
}

/** Sleep on a clock (resolves early when the signal aborts). */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = clock.setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { t.cancel(); resolve(); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * An AbortSignal that aborts after `ms` on the clock (AbortSignal.timeout would use real time);
 * `done()` cancels the timer once the guarded work is over.
 */
export function timeoutSignal(clock: Clock, ms: number): { signal: AbortSignal; done(): void } {
  const ac = new AbortController();
  const timer = clock.setTimeout(() => ac.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')), ms);
  return { signal: ac.signal, done: () => timer.cancel() };
}

/** A manual clock for tests: time moves only when `advance` is called. */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void; cancelled: boolean }> = [];
  constructor(start = Date.UTC(2026, 0, 1)) { this.t = start; }
  now(): number { return this.t; }
  setTimeout(fn: () => void, ms: number): Timer {
    const entry = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(entry);
    return { cancel: () => { entry.cancelled = true; } };
  }
  /** Move time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers
        .filter((x) => !x.cancelled && x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      due.cancelled = true;
      due.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => !x.cancelled);
  }
  pending(): number { return this.timers.filter((x) => !x.cancelled).length; }
  /**
   * Time passes while the process is stopped (SIGSTOP, a long GC pause): `now()` moves on, no timer
   * fires; the next `advance` fires every timer that came due, each seeing the late time.
   */
  stall(ms: number): void { this.t += ms; }
}

export function isoTime(ms: number): string { return new Date(ms).toISOString(); }
