/**
 * A network create request (Engine API NetworkCreateRequest) checked: overlay only, swarm scope,
 * a subnet (if given) inside 127.0.0.0/8; attachable, internal, labels and options kept.
 */
import { SwarmletError, invalid } from '../errors.js';
import { parseCidr } from './vip-allocation.js';

export interface NetworkRequest {
  Name: string;
  Driver: string;
  Internal: boolean;
  Attachable: boolean;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Subnet: string | undefined;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalid(`invalid network ${field}: expected a map of strings`, field);
  }
  return { ...(v as Record<string, string>) };
}

export function parseNetworkRequest(body: unknown): NetworkRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('invalid NetworkCreateRequest: expected a JSON object', 'body');
  const b = body as Record<string, unknown>;
  if (typeof b.Name !== 'string' || b.Name === '') throw invalid('network name must be specified', 'Name');
  if (!NAME.test(b.Name) || b.Name.length > 64) throw invalid(`invalid network name "${b.Name}": letters, digits, "_", "." and "-", starting with a letter or digit`, 'Name');
  const driver = b.Driver === undefined || b.Driver === null || b.Driver === '' ? 'overlay' : b.Driver;
  if (driver !== 'overlay') {
    throw new SwarmletError('unimplemented', `network driver "${String(driver)}" is not supported: swarmlet networks use the overlay driver`, 'Driver');
  }
  if (b.Scope !== undefined && b.Scope !== null && b.Scope !== '' && b.Scope !== 'swarm') throw invalid(`invalid scope "${String(b.Scope)}": overlay networks are swarm-scoped`, 'Scope');
  if (b.Ingress === true) throw new SwarmletError('unimplemented', 'ingress networks are not supported: every node\'s gateway is the routing mesh', 'Ingress');
  if (b.ConfigOnly === true || (typeof b.ConfigFrom === 'object' && b.ConfigFrom !== null && (b.ConfigFrom as { Network?: string }).Network)) {
    throw new SwarmletError('unimplemented', 'config-only networks are not supported', 'ConfigOnly');
  }
  if (b.EnableIPv6 === true) throw new SwarmletError('unimplemented', 'IPv6 networks are not supported', 'EnableIPv6');
  const ipam = b.IPAM as { Config?: Array<{ Subnet?: unknown }> } | undefined | null;
  const configs = ipam?.Config ?? [];
  if (!Array.isArray(configs) || configs.length > 1) throw invalid('invalid IPAM: at most one IPAM config (one subnet) per network', 'IPAM.Config');
  const subnet = configs[0]?.Subnet;
  if (subnet !== undefined && subnet !== '' && typeof subnet !== 'string') throw invalid('invalid IPAM subnet: expected a.b.c.d/len', 'IPAM.Config[0].Subnet');
  if (typeof subnet === 'string' && subnet !== '') parseCidr(subnet, 'IPAM.Config[0].Subnet');
  return {
    Name: b.Name, Driver: 'overlay', Internal: b.Internal === true, Attachable: b.Attachable === true,
    Labels: stringMap(b.Labels, 'Labels'), Options: stringMap(b.Options, 'Options'),
    Subnet: typeof subnet === 'string' && subnet !== '' ? subnet : undefined,
  };
}
