/**
 * A small closed-loop Redis PING load (inline `PING\r\n`, one command in flight per connection)
 * that keeps every round trip's completion time and latency, for a scenario's chart over time
 * (redis-benchmark reports only totals). Bounded: `seconds` of load, then every connection ends.
 */
import net from 'node:net';

export interface PingSample {
  /** ms from the load's start to the round trip's end. */
  atMs: number;
  latencyMs: number;
  ok: boolean;
}

const PONG = '+PONG\r\n';

export async function pingLoad(addr: string, port: number, opts: { connections: number; seconds: number }): Promise<PingSample[]> {
  const samples: PingSample[] = [];
  const t0 = performance.now();
  const end = t0 + opts.seconds * 1000;
  const one = (): Promise<void> => new Promise((resolve) => {
    const sock = net.connect({ host: addr, port });
    sock.setNoDelay(true);
    sock.setEncoding('latin1');
    let sent = 0;
    let buf = '';
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      sock.destroy();
      resolve();
    };
    const send = (): void => {
      if (performance.now() >= end) { finish(); return; }
      sent = performance.now();
      sock.write('PING\r\n');
    };
    sock.on('connect', send);
    sock.on('data', (d: string) => {
      buf += d;
      while (buf.length >= PONG.length) {
        const now = performance.now();
        const ok = buf.startsWith(PONG);
        samples.push({ atMs: now - t0, latencyMs: now - sent, ok });
        if (!ok) { finish(); return; }
        buf = buf.slice(PONG.length);
        send();
      }
    });
    sock.on('error', () => {
      const now = performance.now();
      samples.push({ atMs: now - t0, latencyMs: now - (sent || now), ok: false });
      finish();
    });
    sock.on('close', finish);
    sock.setTimeout(10_000, () => {
      samples.push({ atMs: performance.now() - t0, latencyMs: performance.now() - sent, ok: false });
      finish();
    });
  });
  await Promise.all(Array.from({ length: opts.connections }, one));
  return samples;
}
