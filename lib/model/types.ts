/**
 * Docker's Swarm objects (Engine API v1.41), the one data model of swarmlet.
 * Durations are int64 nanoseconds, times are RFC 3339 strings.
 */
import type { TaskState } from './task-state.js';

export interface ObjectVersion { Index: number }

export type RestartCondition = 'none' | 'on-failure' | 'any';
export type FailureAction = 'pause' | 'continue' | 'rollback';
export type UpdateOrder = 'stop-first' | 'start-first';

export interface UpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: FailureAction;
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: UpdateOrder;
  /** swarmlet: a new task not running (and healthy) within this many ns counts as failed (default 60 s). */
  StartTimeout?: number;
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  Command?: string[];
  Args?: string[];
  Env?: string[];
  Dir?: string;
  TTY?: boolean;
  StopSignal?: string;
  StopGracePeriod?: number;
  Healthcheck?: HealthConfig;
  Init?: boolean;
  DNSConfig?: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface ResourceSet { NanoCPUs?: number; MemoryBytes?: number; Pids?: number }

export interface Placement {
  Constraints?: string[];
  Preferences?: Array<{ Spread?: { SpreadDescriptor: string } }>;
  MaxReplicas?: number;
  Platforms?: Array<{ Architecture?: string; OS?: string }>;
}

export interface RestartPolicy {
  Condition?: RestartCondition;
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  Resources?: { Limits?: ResourceSet; Reservations?: ResourceSet };
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  ForceUpdate?: number;
  Runtime?: string;
  [extra: string]: unknown;
}

export interface ServiceMode {
  Replicated?: { Replicas?: number };
  Global?: Record<string, never>;
  ReplicatedJob?: { MaxConcurrent?: number; TotalCompletions?: number };
  GlobalJob?: Record<string, never>;
}

export type PortProtocol = 'tcp' | 'udp' | 'sctp';
export type PublishMode = 'ingress' | 'host';

export interface PortConfig {
  Name?: string;
  Protocol?: PortProtocol;
  TargetPort: number;
  PublishedPort?: number;
  PublishMode?: PublishMode;
  /**
   * swarmlet's: how the routing mesh treats a TCP port's connections: `http` (layer 7) or `tcp`
   * (layer 4). Absent: told apart by their first bytes. The label `swarmlet.port.<published>` says the same.
   */
  AppProtocol?: AppProtocol;
}

export type AppProtocol = 'http' | 'tcp';

export interface EndpointSpec { Mode?: 'vip' | 'dnsrr'; Ports?: PortConfig[] }

export interface ServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: EndpointSpec;
  [extra: string]: unknown;
}

export type UpdateState =
  | 'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed';

export interface UpdateStatus { State: UpdateState; StartedAt?: string; CompletedAt?: string; Message?: string }

export interface Service {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ServiceSpec;
  PreviousSpec?: ServiceSpec;
  Endpoint: { Spec: EndpointSpec; Ports?: PortConfig[]; VirtualIPs?: Array<{ NetworkID: string; Addr: string }> };
  UpdateStatus?: UpdateStatus;
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number; CompletedTasks: number };
  /** swarmlet: bumped on every TaskTemplate/EndpointSpec change; tasks record the one they were made from. */
  SpecVersion?: ObjectVersion;
  /** Job modes only: the current execution (0 at create, +1 on every update) and when it started. */
  JobStatus?: JobStatus;
}

export interface JobStatus { JobIteration: ObjectVersion; LastExecution?: string }

export interface TaskStatus {
  Timestamp: string;
  State: TaskState;
  Message?: string;
  Err?: string;
  ContainerStatus?: { ContainerID?: string; PID?: number; ExitCode?: number };
  PortStatus?: { Ports?: PortConfig[] };
  /** swarmlet: health of a task with a health check (docker clients ignore it). */
  Health?: 'starting' | 'healthy' | 'unhealthy';
}

export interface Task {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Name?: string;
  Labels?: Record<string, string>;
  Spec: TaskSpec;
  ServiceID: string;
  Slot: number;
  NodeID: string;
  Status: TaskStatus;
  DesiredState: TaskState;
  /** swarmlet: the service SpecVersion this task was made from. */
  SpecVersion?: ObjectVersion;
  /** swarmlet: endpoint published by the agent: node address + host port. */
  /** swarmlet: where the task listens (Port: its first target port; Ports: every target port → host port, when several). */
  Endpoint?: { Addr: string; Port: number; Ports?: Record<string, number> };
  /** swarmlet: a task with DesiredState 'ready' is started (desired → running) once this time (ms) has passed. */
  StartAfter?: number;
  /** swarmlet: when the task first reported running (the update monitor window starts there). */
  RunningAt?: string;
  /** Job modes only: the JobStatus.JobIteration of the execution this task belongs to. */
  JobIteration?: ObjectVersion;
}

export type NodeAvailability = 'active' | 'pause' | 'drain';
export type NodeRole = 'worker' | 'manager';
export type NodeState = 'unknown' | 'down' | 'ready' | 'disconnected';

export interface NodeSpec {
  Name?: string;
  Labels?: Record<string, string>;
  Role: NodeRole;
  Availability: NodeAvailability;
}

export interface Node {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: NodeSpec;
  Description: {
    Hostname: string;
    Platform?: { Architecture?: string; OS?: string };
    Resources?: { NanoCPUs?: number; MemoryBytes?: number };
    Engine?: { EngineVersion?: string; Labels?: Record<string, string>; Plugins?: Array<{ Type: string; Name: string }> };
    /** swarmlet: which task driver runs tasks here. */
    Driver?: string;
    /** swarmlet: the images the node's driver has (`name:tag`), for drivers that report them (docker). */
    Images?: string[];
  };
  Status: { State: NodeState; Message?: string; Addr?: string };
  ManagerStatus?: { Leader: boolean; Reachability: 'unknown' | 'unreachable' | 'reachable'; Addr: string };
}

/** swarmlet image catalog entry (process driver): a name:tag mapped to a command line. */
export interface Image {
  Name: string;          // "whoami:1" (always with a tag)
  Cmd: string[];         // argv, e.g. ["node", "server.js"]; replaced by ContainerSpec.Args
  /** Run before Cmd (Docker's ENTRYPOINT); replaced by ContainerSpec.Command. */
  Entrypoint?: string[];
  Cwd?: string;
  Env?: string[];
  BuiltIn?: boolean;
  CreatedAt: string;
}
