/** Long-running commands (up, manager, node join, gateway) run until SIGINT, SIGTERM or the CLI's abort signal. */
export function waitForStop(signal: AbortSignal): { promise: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  const onSignal = () => resolve();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  signal.addEventListener('abort', onSignal, { once: true });
  return {
    promise,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      signal.removeEventListener('abort', onSignal);
    },
  };
}

/**
 * While a long-running command shuts down: a second SIGINT or SIGTERM calls `now` once (kill
 * what is left without grace periods) instead of Node's default of dying on the spot.
 */
export function onSecondStop(now: () => void): { dispose(): void } {
  let fired = false;
  const onSignal = () => { if (!fired) { fired = true; now(); } };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
