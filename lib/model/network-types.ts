/**
 * Swarm-scoped overlay networks (Engine API v1.41 Network) as swarmlet keeps them: a name, a
 * subnet inside 127.0.0.0/8 from which each attached service gets a virtual IP that every node's
 * gateway serves. IDs are swarm-style (25 characters).
 */
export interface IpamConfig { Subnet?: string; Gateway?: string; IPRange?: string }

export interface Network {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'swarm';
  Driver: string;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string>; Config: IpamConfig[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, never>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
  /** swarmlet: the store's version stamp (not part of docker's Network; ignored by clients). */
  Version?: { Index: number };
  UpdatedAt?: string;
}

/** A service's attachment (TaskTemplate.Networks): Target is stored as the network's ID. */
export interface NetworkAttachment { Target: string; Aliases?: string[]; DriverOpts?: Record<string, string> }

export interface VirtualIP { NetworkID: string; Addr: string }
