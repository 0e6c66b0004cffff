/**
 * Tells an HTTP/1.x client from anything else by the first bytes of a TCP connection (pure): an
 * HTTP/1.x request line is `METHOD SP target SP HTTP/1.x CRLF` with a method Node's parser knows;
 * a TLS ClientHello (0x16), Redis's RESP (`*`), PostgreSQL's startup packet (a length), SSH's
 * banner reply, HTTP/2's preface (`PRI * HTTP/2.0`) … fail that at the first byte or at the line's
 * end. A port can also be told which one it is (`app-protocol=tcp|http`), skipping the detection.
 */
import { METHODS } from 'node:http';

/** How a published TCP port treats its connections: detect, always HTTP (layer 7) or always TCP (layer 4). */
export type PortMode = 'auto' | 'http' | 'tcp';

/** `http`: an HTTP/1.x request line; `tcp`: anything else; `more`: cannot tell yet (wait for more bytes or the sniff timeout). */
export type Sniffed = 'http' | 'tcp' | 'more';

/** Longest request line the detection reads before handing the connection to the HTTP parser (which answers 414/431). */
export const MAX_SNIFF_BYTES = 8 * 1024;

const HTTP_METHODS: readonly string[] = METHODS.filter((m) => m !== 'PRI');
const LONGEST_METHOD = Math.max(...HTTP_METHODS.map((m) => m.length));
const SP = 0x20;
const LF = 0x0a;
const CR = 0x0d;

/** Is `text` a method or the beginning of one? */
function methodPrefix(text: string, whole: boolean): boolean {
  return HTTP_METHODS.some((m) => (whole ? m === text : m.startsWith(text)));
}

/**
 * Classifies the bytes a client sent first. `final` says that no more bytes will be waited for
 * (the sniff timeout passed): then a partial request line that is still consistent with HTTP
 * (a slowloris client) counts as HTTP, so that the HTTP server's header timeout deals with it.
 */
export function sniffProtocol(buf: Buffer, final = false): Sniffed {
  if (buf.length === 0) return final ? 'tcp' : 'more';
  const space = buf.indexOf(SP);
  const methodEnd = space < 0 ? Math.min(buf.length, LONGEST_METHOD + 1) : space;
  if (methodEnd > LONGEST_METHOD) return 'tcp';
  const method = buf.toString('latin1', 0, methodEnd);
  if (!methodPrefix(method, space >= 0)) return 'tcp';
  if (space < 0) return final ? 'http' : 'more';
  const lf = buf.indexOf(LF, space + 1);
  if (lf < 0) {
    if (buf.length >= MAX_SNIFF_BYTES) return 'http';
    // A request line has no control bytes before its end: binary data that happens to begin with "GET " is not HTTP.
    for (let i = space + 1; i < buf.length; i++) if (buf[i]! < SP && buf[i] !== CR) return 'tcp';
    return final ? 'http' : 'more';
  }
  const end = lf > 0 && buf[lf - 1] === CR ? lf - 1 : lf;
  const line = buf.toString('latin1', space + 1, end);
  return /^\S+ HTTP\/1\.\d$/.test(line) ? 'http' : 'tcp';
}

/** The mode a port's `app-protocol` (PortConfig.AppProtocol or the label `swarmlet.port.<published>`) asks for. */
export function portModeOf(appProtocol: string | undefined): PortMode {
  const p = appProtocol?.trim().toLowerCase();
  return p === 'http' || p === 'tcp' ? p : 'auto';
}
