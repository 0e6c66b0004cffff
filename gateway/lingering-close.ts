/**
 * nginx's lingering close, for a client connection the gateway ends after rejecting a request:
 * once the answer is written the gateway sends FIN, then keeps reading (and ignoring) what the
 * client still sends — the requests it pipelined behind the rejected one — until the client closes
 * its side, `maxBytes` more arrive or `ms` pass. Closing at once with unread bytes makes the
 * kernel answer with a reset, and a client that gets a reset may drop the answer before it reads
 * it. Node's HTTP server ends a `Connection: close` response's socket with `destroySoon()`: that
 * is the one method replaced here, on this socket only.
 */
import type { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../lib/clock.js';

export interface LingerLimits {
  /** Longest wait for the client to close its side. */
  readonly ms: number;
  /** Bytes read after the rejection beyond which the connection is cut (reset). */
  readonly maxBytes: number;
}

export const DEFAULT_LINGER: LingerLimits = { ms: 2_000, maxBytes: 1024 * 1024 };

/** What the gateway keeps of a connection it lingers on. */
export interface Lingering { readonly bytesAtRejection: number }

/** Makes `socket` close by lingering once its last answer is written. */
export function lingerOnClose(socket: Socket, clock: Clock, limits: LingerLimits): Lingering {
  let started = false;
  socket.destroySoon = function lingeringDestroySoon(this: Socket): void {
    if (started || this.destroyed) return;
    started = true;
    const timer = clock.setTimeout(() => this.destroy(), limits.ms);
    this.once('close', () => timer.cancel());
    this.once('end', () => this.destroy());
    this.end();
    this.resume();
  };
  return { bytesAtRejection: socket.bytesRead };
}

type HttpSocket = Socket & { _httpMessage?: (ServerResponse & EventEmitter) | null };

/**
 * After a parse error: the requests parsed before it are still answered, in order (their responses
 * may be waiting for a task); once the last is written the connection gets `answer` (the error's
 * raw response) and closes by lingering. Node keeps the response being written in
 * `socket._httpMessage` and moves the next queued one there when it finishes.
 */
export function closeAfterAnswers(socket: Socket, answer: string, clock: Clock, limits: LingerLimits): void {
  const current = (socket as HttpSocket)._httpMessage;
  if (current != null && !current.writableFinished) {
    const next = (): void => { current.removeListener('close', next); current.removeListener('finish', next); closeAfterAnswers(socket, answer, clock, limits); };
    // 'finish' once written (Node has then moved the next response in); 'close' if it was cut.
    current.once('finish', next);
    current.once('close', next);
    return;
  }
  if (socket.destroyed) return;
  lingerOnClose(socket, clock, limits);
  if (socket.writable) socket.write(answer);
  socket.destroySoon();
}

/** True when a lingering connection has sent more than it may: cut it. */
export function lingeredTooLong(socket: Socket, lingering: Lingering, limits: LingerLimits): boolean {
  return socket.bytesRead - lingering.bytesAtRejection > limits.maxBytes;
}
