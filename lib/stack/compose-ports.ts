/** A service's `ports:` (short `"9000:80/udp"`, ranges, a bare number, or the long syntax) to PortConfigs. */
import type { PortConfig } from '../model/types.js';
import type { ComposeContext } from './compose-context.js';

const PORT_RANGE = /^(\d+)(?:-(\d+))?$/;

export function portConfigs(c: ComposeContext, v: unknown, path: string): PortConfig[] {
  if (typeof v === 'number') return [{ Protocol: 'tcp', TargetPort: c.int(v, path, 1), PublishMode: 'ingress' }];
  if (typeof v === 'string') return shortPorts(c, v, path);
  const o = c.obj(v, path);
  c.keys(o, path, ['target', 'published', 'protocol', 'mode', 'app_protocol']);
  if (o.target === undefined) throw c.fail(`${path}.target`, 'required');
  const port: PortConfig = {
    // As the docker CLI: the long syntax sends only what the file says (the daemon defaults tcp/ingress).
    ...(o.protocol !== undefined ? { Protocol: c.oneOf(o.protocol, `${path}.protocol`, ['tcp', 'udp', 'sctp'] as const) } : {}),
    TargetPort: c.int(o.target, `${path}.target`, 1),
    ...(o.mode !== undefined ? { PublishMode: c.oneOf(o.mode, `${path}.mode`, ['ingress', 'host'] as const) } : {}),
  };
  if (o.published !== undefined) port.PublishedPort = c.int(o.published, `${path}.published`, 1);
  // A swarmlet extension (the gateway's per-port mode, as `--publish …,app-protocol=`); the stock docker CLI
  // refuses the key ("Additional property app_protocol is not allowed"): use the label swarmlet.port.<published>.
  if (o.app_protocol !== undefined) port.AppProtocol = c.oneOf(String(o.app_protocol).toLowerCase(), `${path}.app_protocol`, ['tcp', 'http'] as const);
  return [port];
}

function shortPorts(c: ComposeContext, v: string, path: string): PortConfig[] {
  const [spec = '', proto = 'tcp', extra] = v.split('/');
  if (extra !== undefined) throw c.fail(path, `invalid port "${v}"`);
  const protocol = c.oneOf(proto, path, ['tcp', 'udp', 'sctp'] as const);
  const parts = spec.split(':');
  if (parts.length === 3) throw c.fail(path, `a host IP ("${parts[0]}") is not supported by swarm mode`);
  if (parts.length > 3) throw c.fail(path, `invalid port "${v}"`);
  const range = (s: string) => {
    const m = PORT_RANGE.exec(s);
    if (!m) throw c.fail(path, `invalid port "${v}"`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 1 || hi > 65535 || hi < lo) throw c.fail(path, `invalid port range "${s}"`);
    return Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
  };
  const targets = range(parts.length === 2 ? parts[1]! : parts[0]!);
  const pubs = parts.length === 2 ? range(parts[0]!) : undefined;
  if (pubs && pubs.length !== targets.length) throw c.fail(path, `published and target ranges differ in size in "${v}"`);
  return targets.map((t, k) => ({ Protocol: protocol, TargetPort: t, ...(pubs ? { PublishedPort: pubs[k]! } : {}), PublishMode: 'ingress' }));
}
