/**
 * A client that sent nothing within the sniff wait is not known to be server-first: the process
 * behind it may just have been busy between its connect and its first write (a test client in a
 * manager's process, a loaded machine). Taking it for layer 4 right away would pin an HTTP client's
 * keep-alive connection to one task: no per-request balancing, retries or drains, and a request
 * lost when that task stops. So once the layer-4 connection to a task is up, whoever speaks first
 * decides:
 * - the task (a banner: MySQL, SMTP, SSH …) → layer 4, the client's later bytes piped as they come;
 * - the client → its bytes are told like any first bytes: HTTP goes back to the HTTP server (the
 *   task's connection is closed before a byte reached it), anything else is layer 4 with them.
 */
import type { Socket } from 'node:net';
import type { Clock, Timer } from '../lib/clock.js';
import { MAX_SNIFF_BYTES, type Sniffed } from './sniff-protocol.js';

/** The listener's side of a connection that said nothing within the sniff wait. */
export interface SilentClient {
  /** Classifies the client's first bytes (`final`: no more will come). */
  sniff(head: Buffer, final: boolean): Sniffed;
  /** Hands the connection, `head` put back, to the HTTP server. */
  toHttp(head: Buffer): void;
}

export interface FirstWordHandlers {
  /**
   * Layer 4 from here on; `head`: what the client sent first (may be empty), not yet written to the
   * task; `clientEnded`: the client already ended its half (its 'end' was emitted).
   */
  tcp(head: Buffer, clientEnded: boolean): void;
  /** HTTP: the task's connection was closed; `head` is what the client sent. */
  http(head: Buffer): void;
}

/**
 * Waits for the first byte from `client` (paused, nothing read yet) or from `upstream` (connected,
 * nothing written). Neither speaking within `idleMs` (0: no limit) or either side closing first
 * ends both.
 */
export function awaitFirstWord(client: Socket, upstream: Socket, silent: SilentClient, clock: Clock, idleMs: number, on: FirstWordHandlers): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  let idle: Timer | undefined;
  const settle = (): void => {
    settled = true;
    idle?.cancel();
    client.off('data', onClientData).off('end', onClientEnd).off('close', onGone);
    upstream.off('data', onUpstreamData).off('end', onGone).off('close', onGone).off('error', onGone);
    client.pause();
    upstream.pause();
  };
  const head = (): Buffer => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  const decide = (final: boolean, ended: boolean): void => {
    const kind = silent.sniff(head(), final);
    if (kind === 'more') return;
    settle();
    if (kind === 'http') {
      upstream.destroy();
      on.http(head());
    } else {
      on.tcp(head(), ended);
    }
  };
  const onClientData = (chunk: Buffer): void => { chunks.push(chunk); size += chunk.length; decide(size >= MAX_SNIFF_BYTES, false); };
  const onClientEnd = (): void => decide(true, true);
  const onUpstreamData = (chunk: Buffer): void => {
    // The task spoke first: its bytes are put back for the pipe, the client's (if any) go to it first.
    settle();
    upstream.unshift(chunk);
    on.tcp(head(), false);
  };
  const onGone = (): void => {
    if (settled) return;
    settle();
    client.destroy();
    upstream.destroy();
  };
  if (idleMs > 0) idle = clock.setTimeout(onGone, idleMs);
  upstream.on('data', onUpstreamData).once('end', onGone).once('close', onGone).once('error', onGone);
  client.on('data', onClientData).once('end', onClientEnd).once('close', onGone);
  client.resume();
}
