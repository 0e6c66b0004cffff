/** `GET /info` and `GET /version` answers (the fields swarmlet reads; the rest pass through). */
export interface SwarmInfo {
  NodeID: string;
  NodeAddr?: string;
  LocalNodeState: string;
  ControlAvailable?: boolean;
  Error?: string;
  RemoteManagers?: Array<{ NodeID: string; Addr: string }> | null;
  Nodes?: number;
  Managers?: number;
  Cluster?: Record<string, unknown> | null;
  [extra: string]: unknown;
}

export interface SystemInfo {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  Swarm: SwarmInfo;
  [extra: string]: unknown;
}

export interface SystemVersion {
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  Os?: string;
  Arch?: string;
  [extra: string]: unknown;
}

export interface PingResult {
  apiVersion: string | undefined;
  swarm: string | undefined;
  osType: string | undefined;
}
