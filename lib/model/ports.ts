/**
 * `-p/--publish` in both of Docker's syntaxes, and the PORTS column of `docker service ls`.
 *   short: "[published:]target[/protocol]"        e.g. "9000:8080", "9000:8080/udp", "8080"
 *   long:  "published=9000,target=8080,protocol=tcp,mode=host,app-protocol=tcp"
 * (`app-protocol` is swarmlet's: `http` or `tcp` fixes how the routing mesh treats the port.)
 */
import { invalid } from '../errors.js';
import type { AppProtocol, PortConfig, PortProtocol, PublishMode } from './types.js';

const PROTOCOLS: readonly string[] = ['tcp', 'udp', 'sctp'];
const MODES: readonly string[] = ['ingress', 'host'];
const APP_PROTOCOLS: readonly string[] = ['http', 'tcp'];
const FIELD = 'publish';

/** Parses one --publish value to a PortConfig (PublishedPort omitted when not given: the manager picks one). */
export function parsePublish(value: string): PortConfig {
  if (typeof value !== 'string') throw invalid(`invalid publish ${JSON.stringify(value)}: expected a string`, FIELD);
  const text = value.trim();
  if (text === '') throw fail(value, 'empty value (use e.g. 9000:8080 or published=9000,target=8080)');
  return text.includes('=') ? parseLong(value, text) : parseShort(value, text);
}

function parseShort(raw: string, text: string): PortConfig {
  const slash = text.indexOf('/');
  const ports = slash < 0 ? text : text.slice(0, slash);
  const protocol = slash < 0 ? 'tcp' : text.slice(slash + 1).toLowerCase();
  checkProtocol(raw, protocol);
  const parts = ports.split(':');
  if (parts.length > 2) throw fail(raw, 'a host IP is not supported (use [published:]target[/protocol])');
  const target = parts.length === 2 ? parts[1]! : parts[0]!;
  const published = parts.length === 2 ? parts[0]! : '';
  if (target === '') throw fail(raw, 'target port is required');
  return portConfig(protocol, port(raw, 'target', target), published === '' ? 0 : port(raw, 'published', published, true), 'ingress');
}

function parseLong(raw: string, text: string): PortConfig {
  let protocol = 'tcp';
  let mode = 'ingress';
  let target = 0;
  let published = 0;
  let app: string | undefined;
  for (const field of text.split(',')) {
    const eq = field.indexOf('=');
    if (eq <= 0) throw fail(raw, `invalid field "${field}" (expected key=value)`);
    const key = field.slice(0, eq).trim().toLowerCase();
    const val = field.slice(eq + 1).trim();
    if (key === 'protocol') protocol = checkProtocol(raw, val.toLowerCase());
    else if (key === 'mode') mode = checkMode(raw, val.toLowerCase());
    else if (key === 'target') target = val === '' ? 0 : port(raw, 'target', val);
    else if (key === 'published') published = val === '' ? 0 : port(raw, 'published', val, true);
    else if (key === 'app-protocol' || key === 'app_protocol') app = checkAppProtocol(raw, val.toLowerCase());
    else throw fail(raw, `unknown field "${key}" (use published, target, protocol, mode, app-protocol)`);
  }
  if (target === 0) throw fail(raw, 'target port is required');
  if (app !== undefined && protocol !== 'tcp') throw fail(raw, `app-protocol applies to tcp ports only, not ${protocol}`);
  const cfg = portConfig(protocol, target, published, mode);
  if (app !== undefined) cfg.AppProtocol = app as AppProtocol;
  return cfg;
}

function portConfig(protocol: string, target: number, published: number, mode: string): PortConfig {
  const cfg: PortConfig = { Protocol: protocol as PortProtocol, TargetPort: target };
  if (published > 0) cfg.PublishedPort = published;
  cfg.PublishMode = mode as PublishMode;
  return cfg;
}

function port(raw: string, which: 'published' | 'target', text: string, zeroOk = false): number {
  if (!/^\d+$/.test(text)) {
    const hint = /^\d+-\d+$/.test(text) ? 'port ranges are not supported' : `${which} port "${text}" is not a number`;
    throw fail(raw, hint);
  }
  const n = Number(text);
  if (n === 0 && zeroOk) return 0;
  if (n < 1 || n > 65535) throw fail(raw, `${which} port ${n} out of range 1-65535`);
  return n;
}

function checkProtocol(raw: string, protocol: string): string {
  if (!PROTOCOLS.includes(protocol)) throw fail(raw, `invalid protocol "${protocol}" (use tcp, udp or sctp)`);
  return protocol;
}

function checkMode(raw: string, mode: string): string {
  if (!MODES.includes(mode)) throw fail(raw, `invalid publish mode "${mode}": must be either 'ingress' or 'host'`);
  return mode;
}

function checkAppProtocol(raw: string, app: string): string {
  if (!APP_PROTOCOLS.includes(app)) throw fail(raw, `invalid app-protocol "${app}" (use http or tcp)`);
  return app;
}

function fail(raw: string, problem: string) {
  return invalid(`invalid publish "${raw}": ${problem}`, FIELD);
}

interface PortRange { pStart: number; pEnd: number; tStart: number; tEnd: number; protocol: string }

/**
 * The PORTS column of `docker service ls`: ingress ports only, sorted by protocol then published port,
 * consecutive ports merged into ranges ("*:8000-8001->80-81/tcp"), joined by ", ".
 */
export function formatPorts(ports: PortConfig[] | undefined): string {
  if (!ports) return '';
  const sorted = ports
    .filter((p) => (p.PublishMode ?? 'ingress') === 'ingress')
    .map((p) => ({ protocol: p.Protocol ?? 'tcp', published: p.PublishedPort ?? 0, target: p.TargetPort }))
    .sort((a, b) => (a.protocol === b.protocol ? a.published - b.published : a.protocol < b.protocol ? -1 : 1));
  const out: string[] = [];
  let pr: PortRange | undefined;
  for (const p of sorted) {
    const extends_ = pr !== undefined && p.protocol === pr.protocol && gap(p.published, pr.pEnd) <= 1
      && gap(p.target, pr.tEnd) <= 1 && !(pr.tEnd !== pr.tStart && p.target <= pr.tEnd);
    if (pr && extends_) {
      pr.pEnd = p.published;
      pr.tEnd = p.target;
      continue;
    }
    if (pr && pr.pStart > 0) out.push(rangeText(pr));
    pr = { pStart: p.published, pEnd: p.published, tStart: p.target, tEnd: p.target, protocol: p.protocol };
  }
  if (pr && pr.pStart > 0) out.push(rangeText(pr));
  return out.join(', ');
}

/** a - b as Go's uint32 arithmetic sees it: a "negative" gap is huge. */
function gap(a: number, b: number): number {
  return a >= b ? a - b : Number.POSITIVE_INFINITY;
}

function rangeText(pr: PortRange): string {
  const pub = pr.pEnd > pr.pStart ? `${pr.pStart}-${pr.pEnd}` : String(pr.pStart);
  const tgt = pr.tEnd > pr.tStart ? `${pr.tStart}-${pr.tEnd}` : String(pr.tStart);
  return `*:${pub}->${tgt}/${pr.protocol}`;
}
