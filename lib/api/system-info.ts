import os from 'node:os';
import type { ClusterInfo } from '../manager/control.js';
import type { SwarmState } from './swarm-state.js';

export const API_VERSION = '1.41';
export const MIN_API_VERSION = '1.24';
/** swarmkit's default node certificate expiry (90 days), shown by `docker info`. */
const NODE_CERT_EXPIRY_NS = 90 * 24 * 3600 * 1e9;

/** Go's GOARCH for /version (`amd64`), from Node's process.arch. */
function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' };
  return map[process.arch] ?? process.arch;
}

/** uname -m for /info (`x86_64`). */
function machineArch(): string {
  const map: Record<string, string> = { x64: 'x86_64', ia32: 'i686', arm64: 'aarch64', arm: 'armv7l' };
  return map[process.arch] ?? process.arch;
}

/** The SystemVersion body of GET /version. */
export function versionBody(version: string): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: '', GoVersion: `node ${process.version}`,
    Os: 'linux', Arch: goArch(), KernelVersion: os.release(), BuildTime: '', Experimental: 'false',
  };
  return {
    Platform: { Name: 'swarmlet' },
    Components: [{ Name: 'Engine', Version: version, Details: details }],
    Version: version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: '',
  };
}

/** The SystemInfo body of GET /info, with the Swarm block the docker CLI prints. */
/** What `docker info` counts: the tasks that have (or had) a process or container on the nodes, and the images. */
export interface EngineCounts { running: number; stopped: number; images: number }

export function infoBody(version: string, info: ClusterInfo, swarm?: SwarmState, counts?: EngineCounts): Record<string, unknown> {
  return {
    ID: info.nodeId,
    Containers: (counts?.running ?? 0) + (counts?.stopped ?? 0), ContainersRunning: counts?.running ?? 0, ContainersPaused: 0,
    ContainersStopped: counts?.stopped ?? 0, Images: counts?.images ?? 0,
    Name: os.hostname(),
    ServerVersion: version,
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    OperatingSystem: 'swarmlet',
    OSType: 'linux',
    Architecture: machineArch(),
    KernelVersion: os.release(),
    Swarm: swarm && !swarm.isActive() ? inactiveSwarm() : swarm?.isLocked() ? lockedSwarm(info) : swarmInfo(info, swarm),
    Warnings: [],
  };
}

/** After `swarm leave --force`: what `docker info` shows on a node outside any swarm. */
function inactiveSwarm(): Record<string, unknown> {
  return { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null, Nodes: 0, Managers: 0 };
}

/** Locked by autolock: `docker info` prints "Swarm: locked" (the CLI's `swarm unlock` asks for the key only then). */
function lockedSwarm(info: ClusterInfo): Record<string, unknown> {
  return { NodeID: info.nodeId, NodeAddr: info.nodeAddr, LocalNodeState: 'locked', ControlAvailable: false, Error: '', RemoteManagers: null, Nodes: 0, Managers: 0 };
}

function swarmInfo(info: ClusterInfo, swarm: SwarmState | undefined): Record<string, unknown> {
  if (swarm) {
    const { JoinTokens: _tokens, ...cluster } = swarm.inspect();
    void _tokens;
    return { ...swarmInfo(info, undefined), Cluster: cluster };
  }
  return {
    NodeID: info.nodeId,
    NodeAddr: info.nodeAddr,
    LocalNodeState: 'active',
    ControlAvailable: true,
    Error: '',
    RemoteManagers: [{ NodeID: info.nodeId, Addr: info.managerAddr ?? info.nodeAddr }],
    Nodes: info.nodes,
    Managers: info.managers,
    Cluster: {
      ID: info.clusterId,
      Version: { Index: 1 },
      CreatedAt: info.createdAt,
      UpdatedAt: info.createdAt,
      Spec: {
        Name: 'default',
        Labels: {},
        Orchestration: { TaskHistoryRetentionLimit: info.taskHistoryLimit },
        Raft: { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 },
        Dispatcher: { HeartbeatPeriod: info.heartbeatPeriodMs * 1_000_000 },
        CAConfig: { NodeCertExpiry: NODE_CERT_EXPIRY_NS },
        TaskDefaults: {},
        EncryptionConfig: { AutoLockManagers: false },
      },
      RootRotationInProgress: false,
    },
  };
}
