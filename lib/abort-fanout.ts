/**
 * One 'abort' listener per signal, however many readers wait on it. Following a service's logs
 * passes one signal to a read per task; each read listening on the signal itself would add a
 * listener per task (Node warns at 11: MaxListenersExceededWarning). A fan-out, owned by the
 * component that serves the reads, listens once per signal and calls the readers' callbacks;
 * the listener goes when its last reader does.
 */
interface Waiters { fns: Set<() => void>; fire: () => void }

export class AbortFanout {
  private readonly bySignal = new Map<AbortSignal, Waiters>();

  /** Calls `fn` once when `signal` aborts (not when it already has); returns the unsubscribe. */
  on(signal: AbortSignal, fn: () => void): () => void {
    if (signal.aborted) return () => undefined;
    let w = this.bySignal.get(signal);
    if (!w) {
      const fns = new Set<() => void>();
      const fire = () => {
        this.bySignal.delete(signal);
        for (const f of [...fns]) f();
        fns.clear();
      };
      w = { fns, fire };
      this.bySignal.set(signal, w);
      signal.addEventListener('abort', fire, { once: true });
    }
    const waiters = w;
    const wrapped = () => fn();
    waiters.fns.add(wrapped);
    return () => {
      if (!waiters.fns.delete(wrapped) || waiters.fns.size > 0) return;
      signal.removeEventListener('abort', waiters.fire);
      if (this.bySignal.get(signal) === waiters) this.bySignal.delete(signal);
    };
  }

  /** Signals with at least one reader waiting (for tests and leak checks). */
  get signals(): number {
    return this.bySignal.size;
  }
}
