/** Top-level `networks:` to the overlay networks the stack creates (`<stack>_<key>`) or references (external). */
import { withStack, type ComposeContext, type Obj } from './compose-context.js';
import type { NetworkCreate, StackNetwork } from './stack-plan.js';

export function convertNetworks(c: ComposeContext, top: Obj, stack: string): Map<string, StackNetwork> {
  const networks = new Map<string, StackNetwork>();
  for (const [key, raw] of Object.entries(c.obj(top.networks, 'networks'))) {
    const p = `networks.${key}`;
    const n = c.obj(raw, p);
    c.keys(n, p, ['driver', 'external', 'name', 'attachable', 'internal', 'labels', 'driver_opts', 'ipam']);
    const external = c.external(n.external, `${p}.external`);
    const name = n.name !== undefined ? c.str(n.name, `${p}.name`) : external ? key : `${stack}_${key}`;
    if (external) {
      for (const k of Object.keys(n)) if (k !== 'external' && k !== 'name') throw c.fail(`${p}.${k}`, 'not allowed on an external network');
      networks.set(key, { key, name, external: true });
      continue;
    }
    const driver = n.driver === undefined ? 'overlay' : c.oneOf(n.driver, `${p}.driver`, ['overlay'] as const);
    const create: NetworkCreate = {
      Name: name, Driver: driver, Labels: withStack(stack, n.labels === undefined ? undefined : c.labels(n.labels, `${p}.labels`)),
      Attachable: n.attachable === undefined ? false : c.bool(n.attachable, `${p}.attachable`),
      Internal: n.internal === undefined ? false : c.bool(n.internal, `${p}.internal`),
    };
    if (n.driver_opts !== undefined) create.Options = c.labels(n.driver_opts, `${p}.driver_opts`);
    if (n.ipam !== undefined) {
      const ipam = c.obj(n.ipam, `${p}.ipam`);
      c.keys(ipam, `${p}.ipam`, ['config']);
      create.IPAM = { Config: c.list(ipam.config ?? [], `${p}.ipam.config`).map((x, i) => {
        const cp = `${p}.ipam.config[${i}]`;
        const o = c.obj(x, cp);
        c.keys(o, cp, ['subnet']);
        return { Subnet: c.str(o.subnet, `${cp}.subnet`) };
      }) };
    }
    networks.set(key, { key, name, external: false, create });
  }
  return networks;
}

/** The network a service gets when it lists none. */
export function defaultNetwork(stack: string): StackNetwork {
  const name = `${stack}_default`;
  return { key: 'default', name, external: false, create: { Name: name, Driver: 'overlay', Attachable: false, Internal: false, Labels: withStack(stack, undefined) } };
}

/** A service's `networks:` (list or map with aliases) to its attachments; aliases then the service's compose name. */
export function serviceNetworks(c: ComposeContext, v: unknown, p: string, svcName: string, lookup: (key: string) => StackNetwork | undefined,
  used: Set<StackNetwork>): Array<{ Target: string; Aliases: string[] }> {
  const attachments: Array<{ Target: string; Aliases: string[] }> = [];
  const nets: Array<[string, unknown]> = v === undefined ? [['default', null]]
    : Array.isArray(v) ? c.strList(v, `${p}.networks`).map((n) => [n, null])
    : Object.entries(c.obj(v, `${p}.networks`));
  for (const [key, cfg] of nets) {
    const np = `${p}.networks.${key}`;
    const net = lookup(key);
    if (!net) throw c.fail(np, `network "${key}" is not declared under the top-level networks`);
    used.add(net);
    const o = c.obj(cfg, np);
    c.keys(o, np, ['aliases']);
    const aliases = o.aliases === undefined ? [] : c.strList(o.aliases, `${np}.aliases`);
    attachments.push({ Target: net.name, Aliases: [...aliases, svcName] });
  }
  return attachments.sort((a, b) => a.Target.localeCompare(b.Target));
}
