/**
 * Header rewriting at the proxy hop: hop-by-hop headers (RFC 9110 §7.6.1, plus the ones a
 * `Connection` header names) are not forwarded; `X-Forwarded-For` gets the client IP appended,
 * `X-Forwarded-Proto` and `X-Forwarded-Host` are set; `Host` is kept. Headers stay flat
 * `[name, value, name, value…]` arrays, as Node's `rawHeaders` and undici take them.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
]);

/** Name lengths worth lower-casing to look up (every other name is forwarded as is). */
const REQUEST_CHECKED = lengthTable([...HOP_BY_HOP, 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'expect']);
const RESPONSE_CHECKED = lengthTable([...HOP_BY_HOP, 'content-length']);

function lengthTable(names: readonly string[]): Uint8Array {
  const t = new Uint8Array(64);
  for (const n of names) t[n.length] = 1;
  return t;
}

/** Never dropped because a `Connection` header names them: the request would change meaning. */
const PROTECTED: ReadonlySet<string> = new Set(['host', 'content-length']);

function str(v: string | Buffer): string {
  return typeof v === 'string' ? v : v.toString('latin1');
}

export function isHopByHop(lowerName: string): boolean {
  return HOP_BY_HOP.has(lowerName);
}

/** Lower-cased tokens of every `Connection` header in a flat header list (empty set if none). */
export function connectionTokens(raw: readonly (string | Buffer)[]): ReadonlySet<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== 10 || str(name).toLowerCase() !== 'connection') continue;
    for (const t of str(raw[i + 1]!).split(',')) {
      const tok = t.trim().toLowerCase();
      if (tok !== '' && !PROTECTED.has(tok)) (tokens ??= new Set()).add(tok);
    }
  }
  return tokens;
}

const NONE: ReadonlySet<string> = new Set();

/** The common `Connection` values, which name no other header. */
function namesNothing(value: string): boolean {
  return value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close';
}

/**
 * The headers the `Connection` headers name that would not be dropped anyway: the second pass,
 * taken only when some `Connection` header names more than `keep-alive`/`close`.
 */
function namedByConnection(raw: readonly (string | Buffer)[]): ReadonlySet<string> {
  const named = new Set<string>();
  for (const t of connectionTokens(raw) ?? NONE) if (!HOP_BY_HOP.has(t)) named.add(t);
  return named;
}

/** The client address without the IPv4-mapped IPv6 prefix. */
export function clientIp(remoteAddress: string | undefined): string | undefined {
  if (remoteAddress === undefined) return undefined;
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}

export interface ForwardOptions {
  /** The client address to append to X-Forwarded-For. */
  clientIp: string | undefined;
  /** Keep `Upgrade` and send `Connection: Upgrade` (for a WebSocket/Upgrade pass-through). */
  upgrade?: boolean;
}

/**
 * The headers to send upstream for a client request (`raw` is `req.rawHeaders`), in one pass
 * unless a `Connection` header names more than `keep-alive`/`close`. `Expect` is dropped too:
 * the gateway's own server has already answered `100 Continue`.
 */
export function forwardRequestHeaders(raw: readonly string[], opts: ForwardOptions): string[] {
  return requestHeaders(raw, opts, undefined) ?? requestHeaders(raw, opts, namedByConnection(raw))!;
}

/** undefined when `named` is not known yet and a Connection header names something. */
function requestHeaders(raw: readonly string[], opts: ForwardOptions, named: ReadonlySet<string> | undefined): string[] | undefined {
  const out: string[] = [];
  let xff: string | undefined;
  let host: string | undefined;
  let upgrade: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // Only names of a length some checked name has are lower-cased and looked up.
    if (named !== undefined || (name.length < 64 && REQUEST_CHECKED[name.length] === 1)) {
      const lower = name.toLowerCase();
      if (lower === 'host') {
        if (host !== undefined) continue;
        host = value;
      } else if (lower === 'x-forwarded-for') {
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      } else if (lower === 'upgrade') {
        upgrade ??= value;
        continue;
      } else if (HOP_BY_HOP.has(lower)) {
        if (named === undefined && lower === 'connection' && !namesNothing(value)) return undefined;
        continue;
      } else if (lower === 'expect' || lower === 'x-forwarded-proto' || lower === 'x-forwarded-host' || (named !== undefined && named.has(lower))) {
        continue;
      }
    }
    out.push(name, value);
  }
  if (opts.upgrade === true && upgrade !== undefined) out.push('Connection', 'Upgrade', 'Upgrade', upgrade);
  const ip = opts.clientIp;
  if (ip !== undefined) out.push('X-Forwarded-For', xff === undefined ? ip : `${xff}, ${ip}`);
  else if (xff !== undefined) out.push('X-Forwarded-For', xff);
  out.push('X-Forwarded-Proto', 'http');
  if (host !== undefined) out.push('X-Forwarded-Host', host);
  return out;
}

/** Where `forwardResponseHeaders` leaves the response's Content-Length: -1 when absent or not a length. */
export interface ResponseLength { contentLength: number }

/**
 * The headers to send to the client for an upstream response (`raw` as undici gives them), in one
 * pass; the Content-Length goes to `length` when given. A `Connection` header that names more
 * than `keep-alive`/`close` makes a second pass that also drops the headers it names.
 */
export function forwardResponseHeaders(raw: readonly (string | Buffer)[], length?: ResponseLength): string[] {
  return responseHeaders(raw, undefined, length) ?? responseHeaders(raw, namedByConnection(raw), length)!;
}

/** undefined when `named` is not known yet and a Connection header names something. */
function responseHeaders(raw: readonly (string | Buffer)[], named: ReadonlySet<string> | undefined, length: ResponseLength | undefined): string[] | undefined {
  const out: string[] = [];
  let contentLength = -1;
  let first = true;
  for (let i = 0; i < raw.length; i += 2) {
    const name = str(raw[i]!);
    const n = name.length;
    if (named !== undefined || (n < 64 && RESPONSE_CHECKED[n] === 1)) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (named === undefined && n === 10 && lower === 'connection' && !namesNothing(str(raw[i + 1]!))) return undefined;
        continue;
      }
      if (named !== undefined && named.has(lower)) continue;
      if (first && n === 14 && lower === 'content-length') {
        first = false;
        const v = Number(str(raw[i + 1]!));
        contentLength = Number.isSafeInteger(v) && v >= 0 ? v : -1;
      }
    }
    out.push(name, str(raw[i + 1]!));
  }
  if (length !== undefined) length.contentLength = contentLength;
  return out;
}
