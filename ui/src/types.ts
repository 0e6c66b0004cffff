/**
 * The subset of the Engine API objects the dashboard reads (GET /nodes, /services, /tasks). Specs
 * are sent back whole on updates, so unknown fields are kept (`[k: string]: unknown`).
 */
export interface ObjectVersion { Index: number }

export interface PortConfig { Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }

export interface ServiceSpec {
  Name: string;
  Mode?: { Replicated?: { Replicas?: number }; Global?: object; [k: string]: unknown };
  TaskTemplate: { ContainerSpec?: { Image?: string; [k: string]: unknown }; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Service {
  ID: string;
  Version: ObjectVersion;
  CreatedAt?: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint?: { Ports?: PortConfig[] };
  UpdateStatus?: { State: string; Message?: string; StartedAt?: string; CompletedAt?: string };
  SpecVersion?: ObjectVersion;
}

export interface Task {
  ID: string;
  Version?: ObjectVersion;
  CreatedAt: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string; Timestamp?: string; Message?: string; Err?: string; Health?: string };
  Spec?: { ContainerSpec?: { Image?: string } };
  SpecVersion?: ObjectVersion;
}

export interface NodeSpec { Name?: string; Labels?: Record<string, string>; Role: string; Availability: string; [k: string]: unknown }

export interface Node {
  ID: string;
  Version: ObjectVersion;
  Spec: NodeSpec;
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean };
}

/** One line of GET /events (Docker's EventMessage). */
export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  time?: number;
}
