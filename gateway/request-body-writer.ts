/**
 * Streams a client request body onto an upstream socket after the request head: as is when its
 * length is known, re-chunked when it is not; the body is paused while the socket's buffer is
 * full and resumed on 'drain'. One writer per upstream connection, reused request after request.
 */
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

export class RequestBodyWriter {
  private body: Readable | null = null;
  private chunked = false;
  /** The whole body has been written (or there was none). */
  done = true;
  /** Called on each chunk written (the connection counts it as progress). */
  constructor(private readonly socket: Socket, private readonly onProgress: () => void) {
    socket.on('drain', this.onDrain);
  }

  /** Starts streaming `body` (null: nothing to send). */
  start(body: Readable | null, chunked: boolean): void {
    this.detach();
    if (body === null) { this.done = true; return; }
    this.done = false;
    this.body = body;
    this.chunked = chunked;
    body.on('data', this.onData);
    body.on('end', this.onEnd);
  }

  /** Stops listening to the current body (it is left as it is). */
  detach(): void {
    const body = this.body;
    if (body === null) return;
    this.body = null;
    body.off('data', this.onData);
    body.off('end', this.onEnd);
  }

  private readonly onDrain = (): void => {
    if (this.body !== null) this.body.resume();
  };

  private readonly onData = (chunk: Buffer): void => {
    if (chunk.length === 0) return; // an empty chunk would end a chunked body
    const s = this.socket;
    this.onProgress();
    let ok: boolean;
    if (this.chunked) {
      s.cork();
      s.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
      s.write(chunk);
      ok = s.write('\r\n', 'latin1');
      s.uncork();
    } else {
      ok = s.write(chunk);
    }
    if (!ok) this.body?.pause();
  };

  private readonly onEnd = (): void => {
    if (this.chunked) this.socket.write('0\r\n\r\n', 'latin1');
    this.done = true;
    this.detach();
  };
}
