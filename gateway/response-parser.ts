/**
 * Node's own HTTP/1 parser (llhttp in C++, the one `node:http` uses), set up to read upstream
 * responses. It is reached through `_http_common`, the module Node keeps public for it; it is
 * strict (no lenient flags): bytes Node's server would refuse are a parse error here too.
 * `consume` lets the parser read a TCP socket's handle directly, as Node's server does with its
 * client sockets: no Buffer and no 'data' event per read (EOF and errors still reach the socket).
 */
import { createRequire } from 'node:module';

/** Called with the parsed head; return 1 to tell the parser that the message has no body. */
export type OnHeadersComplete = (
  versionMajor: number, versionMinor: number, headers: string[] | undefined, method: unknown, url: unknown,
  statusCode: number, statusMessage: string, upgrade: boolean, shouldKeepAlive: boolean,
) => number;

export interface ResponseParserCallbacks {
  /** Header fields flushed early (more than 32 of them): appended to the head's list. */
  onHeaders(headers: string[]): void;
  onHeadersComplete: OnHeadersComplete;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
  /** After each read parsed while consuming: the bytes parsed, or the parse error. */
  onExecute(result: number | (Error & { code?: string })): void;
}

/** The native parser: `execute` returns the bytes parsed or an Error with an `HPE_*` code. */
export interface ResponseParser {
  execute(data: Buffer): number | (Error & { code?: string });
  /** End of input (the upstream closed): completes a close-delimited body, or an Error. */
  finish(): undefined | (Error & { code?: string });
  close(): void;
  /** Reads `handle` (a net.Socket's `_handle`) directly; undone with `unconsume`. */
  consume(handle: object): void;
  unconsume(): void;
}

interface HTTPParserClass {
  new(): ResponseParser & Record<number, unknown> & { initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void };
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
  kOnExecute: number;
}

const { HTTPParser } = createRequire(import.meta.url)('_http_common') as { HTTPParser: HTTPParserClass };

/** A response parser bound to `cb` (one per upstream connection; it parses message after message). */
export function createResponseParser(cb: ResponseParserCallbacks, maxHeaderSize = 0): ResponseParser {
  const p = new HTTPParser();
  p.initialize(HTTPParser.RESPONSE, {}, maxHeaderSize, 0);
  p[HTTPParser.kOnHeaders] = (headers: string[]) => cb.onHeaders(headers);
  p[HTTPParser.kOnHeadersComplete] = cb.onHeadersComplete;
  p[HTTPParser.kOnBody] = (chunk: Buffer) => cb.onBody(chunk);
  p[HTTPParser.kOnMessageComplete] = () => cb.onMessageComplete();
  p[HTTPParser.kOnExecute] = (result: number | Error) => cb.onExecute(result);
  return p;
}
