/**
 * The swarm object (`GET /swarm`, `POST /swarm/update|init|leave|join|unlock`): Docker's Swarm mapped onto
 * what swarmlet really has. Orchestration.TaskHistoryRetentionLimit is the manager's history per slot,
 * Dispatcher.HeartbeatPeriod the node heartbeat, JoinTokens the dispatcher's join tokens (rotated here).
 * Answers and refusals use Docker's texts (moby daemon/cluster/swarm.go, errors.go).
 */
import { isoTime, type Clock } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { decodeFields } from '../model/decode-fields.js';
import { SwarmSpecFields } from '../model/engine-fields.js';
import type { JoinRole } from '../dispatcher/join-tokens.js';

/** swarmkit's default node certificate expiry (90 days). */
const NODE_CERT_EXPIRY_NS = 90 * 24 * 3600 * 1e9;
const RAFT = { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 };

export const ALREADY_IN_SWARM = 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';
export const NOT_IN_SWARM = 'This node is not part of a swarm';
export const NOT_A_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
export const LEAVE_MANAGER = 'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.';

/** What the swarm object is made from; every member is read when asked, so it is always current. */
export interface SwarmStateOptions {
  clock: Clock;
  ids: IdGenerator;
  clusterId: string;
  createdAt: string;
  /** The join tokens (none: the manager accepts no joins, the tokens shown are empty). */
  tokens?: { token(role: JoinRole): string; rotate(role: JoinRole): string };
  heartbeatPeriodMs: () => number;
  taskHistoryLimit: () => number;
  /** Applies a new history limit (absent: the limit cannot change while running). */
  setTaskHistoryLimit?: (n: number) => void;
  /** `swarm leave --force` on the manager: every service and every other node is removed. */
  eraseState: () => void;
}

export interface SwarmRotate { worker?: boolean; manager?: boolean; unlockKey?: boolean }

export interface SwarmObject {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  UpdatedAt: string;
  Spec: Record<string, unknown>;
  TLSInfo: { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string };
  RootRotationInProgress: boolean;
  DataPathPort: number;
  DefaultAddrPool: string[];
  SubnetSize: number;
  JoinTokens: { Worker: string; Manager: string };
}

export class SwarmState {
  private id: string;
  private createdAt: string;
  private updatedAt: string;
  private version = 1;
  private labels: Record<string, string> = {};
  private active = true;

  constructor(private readonly o: SwarmStateOptions) {
    this.id = o.clusterId;
    this.createdAt = o.createdAt;
    this.updatedAt = o.createdAt;
  }

  isActive(): boolean { return this.active; }

  /** The Swarm object of `GET /swarm` (503 with Docker's text when this node left the swarm). */
  inspect(): SwarmObject {
    if (!this.active) throw new SwarmletError('unavailable', NOT_A_MANAGER);
    return {
      ID: this.id, Version: { Index: this.version }, CreatedAt: this.createdAt, UpdatedAt: this.updatedAt,
      Spec: {
        Name: 'default', Labels: { ...this.labels },
        Orchestration: { TaskHistoryRetentionLimit: this.o.taskHistoryLimit() },
        Raft: RAFT,
        Dispatcher: { HeartbeatPeriod: this.o.heartbeatPeriodMs() * 1e6 },
        CAConfig: { NodeCertExpiry: NODE_CERT_EXPIRY_NS },
        TaskDefaults: {},
        EncryptionConfig: { AutoLockManagers: false },
      },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
      RootRotationInProgress: false,
      DataPathPort: 4789,
      DefaultAddrPool: ['10.0.0.0/8'],
      SubnetSize: 24,
      JoinTokens: { Worker: this.o.tokens?.token('worker') ?? '', Manager: this.o.tokens?.token('manager') ?? '' },
    };
  }

  /**
   * `POST /swarm/update`: a stale version is "update out of sequence" (as swarmkit); Labels and the
   * history limit change; a setting swarmlet cannot change while running is refused naming the field.
   */
  update(version: number, input: unknown, rotate: SwarmRotate): void {
    this.inspect();
    if (!Number.isInteger(version) || version !== this.version) throw new SwarmletError('out_of_sequence', 'update out of sequence');
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid('SwarmSpec must be a JSON object', 'Spec');
    const spec = decodeFields(input, SwarmSpecFields) as Record<string, any>;
    if (spec.Name !== undefined && spec.Name !== '' && spec.Name !== 'default') {
      throw invalid(`invalid Name "${String(spec.Name)}": the swarm is named default`, 'Name');
    }
    const labels = spec.Labels ?? {};
    if (typeof labels !== 'object' || Object.values(labels).some((v) => typeof v !== 'string')) throw invalid('Labels must be a map of strings', 'Labels');
    const limit = spec.Orchestration?.TaskHistoryRetentionLimit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw invalid('Orchestration.TaskHistoryRetentionLimit must be a non-negative integer', 'Orchestration.TaskHistoryRetentionLimit');
    }
    const heartbeat = spec.Dispatcher?.HeartbeatPeriod;
    if (heartbeat !== undefined && heartbeat !== 0 && heartbeat !== this.o.heartbeatPeriodMs() * 1e6) {
      throw invalid('Dispatcher.HeartbeatPeriod is set when the manager starts (--heartbeat); swarmlet cannot change it while running', 'Dispatcher.HeartbeatPeriod');
    }
    if (spec.EncryptionConfig?.AutoLockManagers === true) {
      throw new SwarmletError('unimplemented', 'autolock is not supported by swarmlet: its manager keeps no TLS keys to lock', 'EncryptionConfig.AutoLockManagers');
    }
    if (limit !== undefined && limit !== this.o.taskHistoryLimit()) {
      if (!this.o.setTaskHistoryLimit) throw invalid('Orchestration.TaskHistoryRetentionLimit cannot change while this manager runs', 'Orchestration.TaskHistoryRetentionLimit');
      this.o.setTaskHistoryLimit(limit);
    }
    this.labels = { ...labels };
    if (rotate.worker) this.rotate('worker');
    if (rotate.manager) this.rotate('manager');
    this.version += 1;
    this.updatedAt = isoTime(this.o.clock.now());
  }

  private rotate(role: JoinRole): void {
    if (!this.o.tokens) throw new SwarmletError('failed_precondition', 'this manager accepts no joins: it has no join tokens to rotate');
    this.o.tokens.rotate(role);
  }

  /** Autolock is off: there is no unlock key (`docker swarm unlock-key` then says so, as with Docker). */
  unlockKey(): string {
    this.inspect();
    return '';
  }

  /** `POST /swarm/unlock`: this manager is never locked. */
  unlock(): never {
    if (!this.active) throw new SwarmletError('unavailable', NOT_IN_SWARM);
    throw new SwarmletError('conflict', 'swarm is not locked');
  }

  /** `POST /swarm/init`: refused while in a swarm; after a forced leave, a new swarm with a new ID and new tokens. */
  init(): string {
    if (this.active) throw new SwarmletError('unavailable', ALREADY_IN_SWARM);
    this.id = this.o.ids.next();
    this.createdAt = isoTime(this.o.clock.now());
    this.updatedAt = this.createdAt;
    this.version = 1;
    this.labels = {};
    this.o.tokens?.rotate('worker');
    this.o.tokens?.rotate('manager');
    this.active = true;
    return this.id;
  }

  /** `POST /swarm/join`: a manager is already in a swarm; after a forced leave, joining another swarm is not supported. */
  join(): never {
    if (this.active) throw new SwarmletError('unavailable', ALREADY_IN_SWARM);
    throw new SwarmletError('unimplemented', 'a swarmlet manager cannot join another swarm: run `swarmlet node join` on a node instead');
  }

  /** `POST /swarm/leave`: a manager needs force, which erases the swarm's state (as Docker's last manager). */
  leave(force: boolean): void {
    if (!this.active) throw new SwarmletError('unavailable', NOT_IN_SWARM);
    if (!force) throw new SwarmletError('unavailable', LEAVE_MANAGER);
    this.o.eraseState();
    this.active = false;
  }
}
