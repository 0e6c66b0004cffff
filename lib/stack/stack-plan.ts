/** What a compose file converts to: the objects `docker stack deploy` creates, before IDs are resolved. */
import type { ConfigSpec, SecretSpec } from '../model/secret-types.js';
import type { ServiceSpec } from '../model/types.js';

export interface NetworkCreate { Name: string; Driver: string; Attachable: boolean; Internal: boolean; Labels: Record<string, string>; Options?: Record<string, string>; IPAM?: { Config: Array<{ Subnet: string }> } }
export interface StackNetwork { key: string; name: string; external: boolean; create?: NetworkCreate }
export interface StackObject<S> { key: string; name: string; external: boolean; spec?: S }

export interface StackPlan {
  networks: StackNetwork[];
  secrets: Array<StackObject<SecretSpec>>;
  configs: Array<StackObject<ConfigSpec>>;
  /** Secret/config references carry the name; the deployer fills in the IDs. Sorted by name. */
  services: ServiceSpec[];
}
