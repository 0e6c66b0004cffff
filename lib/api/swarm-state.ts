/**
 * The swarm object (`GET /swarm`, `POST /swarm/update|init|leave|join|unlock`): Docker's Swarm mapped onto
 * what swarmlet really has. Orchestration.TaskHistoryRetentionLimit is the manager's history per slot,
 * Dispatcher.HeartbeatPeriod the node heartbeat, JoinTokens the dispatcher's join tokens (rotated here),
 * EncryptionConfig.AutoLockManagers autolock (the manager's keys at rest wrapped with the unlock key).
 * What `update` changes is saved (`save`, durable) before it answers, and given back as `saved` after a
 * restart. Answers and refusals use Docker's texts (moby daemon/cluster/swarm.go, errors.go).
 */
import { isoTime, type Clock } from '../clock.js';
import { SwarmletError, invalid } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import { decodeFields } from '../model/decode-fields.js';
import { SwarmSpecFields } from '../model/engine-fields.js';
import type { JoinRole } from '../dispatcher/join-tokens.js';
import { SWARM_LOCKED, SWARM_NOT_LOCKED } from '../secrets/manager-keys.js';
import { DEFAULT_ADDR_POOL, type AddrPool } from '../networks/vip-allocation.js';

export { SWARM_LOCKED };

/** swarmkit's default node certificate expiry (90 days) and its minimum (ca.MinNodeCertExpiration, 1 hour). */
const NODE_CERT_EXPIRY_NS = 90 * 24 * 3600 * 1e9;
const MIN_NODE_CERT_EXPIRY_NS = 3600 * 1e9;
/** The shortest heartbeat swarmlet takes: its failure detection ticks at a quarter of the period. */
const MIN_HEARTBEAT_MS = 100;
const RAFT = { SnapshotInterval: 10000, KeepOldSnapshots: 0, LogEntriesForSlowFollowers: 500, ElectionTick: 10, HeartbeatTick: 1 };

export const ALREADY_IN_SWARM = 'This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one.';
export const NOT_IN_SWARM = 'This node is not part of a swarm';
export const NOT_A_MANAGER = 'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';
export const LEAVE_MANAGER = 'You are attempting to leave the swarm on a node that is participating as a manager. Removing the last manager erases all current state of the swarm. Use `--force` to ignore this message.';

/**
 * Autolock as the swarm object sees it: one manager's keys (secrets/manager-keys.ts), or, with several
 * managers, the store's unlock key that every manager's file follows (ha/shared-autolock.ts).
 */
export interface AutolockKeys {
  isLocked(): boolean;
  autolock(): boolean;
  unlockKey(): string;
  enableAutolock(): string;
  disableAutolock(): void;
  rotateUnlockKey(): string;
  unlock(text: string): void;
}

/** What `swarm update` (and init) changed, kept in the data directory across restarts. */
export interface SavedSwarm {
  id: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  labels: Record<string, string>;
  taskHistoryLimit?: number;
  heartbeatPeriodMs?: number;
  nodeCertExpiryNs?: number;
  /** After `swarm leave --force`: out of any swarm until `swarm init` (kept across a restart). */
  left?: boolean;
}

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
  /** Applies a new heartbeat period (absent: the period is shown but cannot change). */
  setHeartbeatPeriodMs?: (ms: number) => void;
  /** `swarm leave --force` on the manager: every service and every other node is removed. */
  eraseState: () => void;
  /** The manager's keys (autolock); absent: autolock is refused. */
  keys?: AutolockKeys;
  /** Called once when a locked manager is unlocked: start what waited for the keys. */
  onUnlock?: () => void;
  /** The swarm as saved before the restart. */
  saved?: SavedSwarm;
  /** Saves the swarm durably; called before `update`/`init` answer (a failure fails them). */
  save?: (s: SavedSwarm) => void;
  /**
   * The saved swarm as it is now when several managers share it (the store): read before every answer,
   * so a manager serves and applies what another one saved.
   */
  shared?: () => SavedSwarm | undefined;
  /** Why autolock cannot be turned on here (several managers): the refusal's text. */
  autolockUnavailable?: string;
  /** Where networks' subnets come from (DefaultAddrPool, SubnetSize). Default 127.77.0.0/16, /24. */
  addrPool?: AddrPool;
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
  private version: number;
  private labels: Record<string, string>;
  private nodeCertExpiryNs: number;
  private active = true;

  private adopted: SavedSwarm | undefined;

  constructor(private readonly o: SwarmStateOptions) {
    const saved = o.saved;
    this.id = saved?.id ?? o.clusterId;
    this.createdAt = saved?.createdAt ?? o.createdAt;
    this.updatedAt = saved?.updatedAt ?? this.createdAt;
    this.version = saved?.version ?? 1;
    this.labels = { ...saved?.labels };
    this.nodeCertExpiryNs = saved?.nodeCertExpiryNs ?? NODE_CERT_EXPIRY_NS;
    this.active = saved?.left !== true;
  }

  /**
   * Takes the shared record (`shared`) when another manager saved a newer one: its values, and its
   * history limit and heartbeat applied here. Called before every answer, and by a new leader.
   */
  refresh(): void {
    if (this.isLocked()) return; // a shared record is sealed with the data key
    const rec = this.o.shared?.();
    if (!rec || rec === this.adopted) return;
    this.adopted = rec;
    if (rec.id === this.id && rec.version === this.version && rec.updatedAt === this.updatedAt) return;
    this.id = rec.id;
    this.createdAt = rec.createdAt;
    this.updatedAt = rec.updatedAt;
    this.version = rec.version;
    this.labels = { ...rec.labels };
    this.nodeCertExpiryNs = rec.nodeCertExpiryNs ?? NODE_CERT_EXPIRY_NS;
    this.active = rec.left !== true;
    if (rec.taskHistoryLimit !== undefined && rec.taskHistoryLimit !== this.o.taskHistoryLimit()) this.o.setTaskHistoryLimit?.(rec.taskHistoryLimit);
    if (rec.heartbeatPeriodMs !== undefined && rec.heartbeatPeriodMs !== this.o.heartbeatPeriodMs()) this.o.setHeartbeatPeriodMs?.(rec.heartbeatPeriodMs);
  }

  isActive(): boolean { return this.active; }

  /** Locked by autolock: every swarm route answers Docker's 503 until `unlock`. */
  isLocked(): boolean { return this.o.keys?.isLocked() ?? false; }

  private assertManager(): void {
    if (!this.active) throw new SwarmletError('unavailable', NOT_A_MANAGER);
    if (this.isLocked()) throw new SwarmletError('unavailable', SWARM_LOCKED);
    this.refresh();
  }

  /** The Swarm object of `GET /swarm` (503 with Docker's text when this node left the swarm or is locked). */
  inspect(): SwarmObject {
    this.assertManager();
    return {
      ID: this.id, Version: { Index: this.version }, CreatedAt: this.createdAt, UpdatedAt: this.updatedAt,
      Spec: {
        Name: 'default', Labels: { ...this.labels },
        Orchestration: { TaskHistoryRetentionLimit: this.o.taskHistoryLimit() },
        Raft: RAFT,
        Dispatcher: { HeartbeatPeriod: this.o.heartbeatPeriodMs() * 1e6 },
        CAConfig: { NodeCertExpiry: this.nodeCertExpiryNs },
        TaskDefaults: {},
        EncryptionConfig: { AutoLockManagers: this.o.keys?.autolock() ?? false },
      },
      TLSInfo: { TrustRoot: '', CertIssuerSubject: '', CertIssuerPublicKey: '' },
      RootRotationInProgress: false,
      DataPathPort: 4789,
      DefaultAddrPool: [...(this.o.addrPool ?? DEFAULT_ADDR_POOL).pools],
      SubnetSize: (this.o.addrPool ?? DEFAULT_ADDR_POOL).subnetSize,
      JoinTokens: { Worker: this.o.tokens?.token('worker') ?? '', Manager: this.o.tokens?.token('manager') ?? '' },
    };
  }

  /**
   * `POST /swarm/update`: a stale version is "update out of sequence" (as swarmkit); Labels, the
   * history limit, the heartbeat, the certificate expiry and autolock change; a setting swarmlet does
   * not have is refused naming the field. Every check runs before anything changes; the new state is
   * saved before the call returns.
   */
  update(version: number, input: unknown, rotate: SwarmRotate): void {
    this.assertManager();
    if (!Number.isInteger(version) || version !== this.version) throw new SwarmletError('out_of_sequence', 'update out of sequence');
    const c = this.checkSpec(input);
    if ((rotate.worker || rotate.manager) && !this.o.tokens) throw new SwarmletError('failed_precondition', 'this manager accepts no joins: it has no join tokens to rotate');
    if (c.limit !== undefined && c.limit !== this.o.taskHistoryLimit() && !this.o.setTaskHistoryLimit) {
      throw invalid('Orchestration.TaskHistoryRetentionLimit cannot change while this manager runs', 'Orchestration.TaskHistoryRetentionLimit');
    }
    if (c.heartbeatMs !== undefined && c.heartbeatMs !== this.o.heartbeatPeriodMs() && !this.o.setHeartbeatPeriodMs) {
      throw invalid('Dispatcher.HeartbeatPeriod cannot change on this manager', 'Dispatcher.HeartbeatPeriod');
    }
    if (c.autolock !== undefined && c.autolock !== (this.o.keys?.autolock() ?? false) && (!this.o.keys || this.o.autolockUnavailable)) {
      throw new SwarmletError('unimplemented', this.o.autolockUnavailable ?? 'autolock is not available on this manager', 'EncryptionConfig.AutoLockManagers');
    }
    if (c.limit !== undefined && c.limit !== this.o.taskHistoryLimit()) this.o.setTaskHistoryLimit!(c.limit);
    if (c.heartbeatMs !== undefined && c.heartbeatMs !== this.o.heartbeatPeriodMs()) this.o.setHeartbeatPeriodMs!(c.heartbeatMs);
    if (c.certExpiryNs !== undefined) this.nodeCertExpiryNs = c.certExpiryNs;
    if (c.autolock === true) this.o.keys?.enableAutolock();
    else if (c.autolock === false) this.o.keys?.disableAutolock();
    if (rotate.unlockKey) this.o.keys?.rotateUnlockKey();
    this.labels = { ...c.labels };
    if (rotate.worker) this.o.tokens!.rotate('worker');
    if (rotate.manager) this.o.tokens!.rotate('manager');
    this.version += 1;
    this.updatedAt = isoTime(this.o.clock.now());
    this.save();
  }

  /** The SwarmSpec of an update, checked (errors name the field); undefined members are left as they are. */
  private checkSpec(input: unknown): { labels: Record<string, string>; limit?: number; heartbeatMs?: number; certExpiryNs?: number; autolock?: boolean } {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalid('SwarmSpec must be a JSON object', 'Spec');
    const spec = decodeFields(input, SwarmSpecFields) as Record<string, any>;
    if (spec.Name !== undefined && spec.Name !== '' && spec.Name !== 'default') {
      throw invalid(`invalid Name "${String(spec.Name)}": the swarm is named default`, 'Name');
    }
    const labels = spec.Labels ?? {};
    if (typeof labels !== 'object' || Array.isArray(labels) || Object.values(labels).some((v) => typeof v !== 'string')) throw invalid('Labels must be a map of strings', 'Labels');
    const limit = spec.Orchestration?.TaskHistoryRetentionLimit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw invalid('Orchestration.TaskHistoryRetentionLimit must be a non-negative integer', 'Orchestration.TaskHistoryRetentionLimit');
    }
    const heartbeat = spec.Dispatcher?.HeartbeatPeriod;
    if (heartbeat !== undefined && (typeof heartbeat !== 'number' || !Number.isFinite(heartbeat))) throw invalid('Dispatcher.HeartbeatPeriod must be a number of nanoseconds', 'Dispatcher.HeartbeatPeriod');
    if (typeof heartbeat === 'number' && heartbeat < 0) throw invalid('heartbeat time period cannot be a negative duration', 'Dispatcher.HeartbeatPeriod');
    // 0 is "not set" (Go's zero value): the period stays.
    const heartbeatMs = typeof heartbeat === 'number' && heartbeat > 0 ? Math.round(heartbeat / 1e6) : undefined;
    if (heartbeatMs !== undefined && heartbeatMs < MIN_HEARTBEAT_MS) {
      throw invalid(`Dispatcher.HeartbeatPeriod must be at least ${MIN_HEARTBEAT_MS}ms`, 'Dispatcher.HeartbeatPeriod');
    }
    const expiry = spec.CAConfig?.NodeCertExpiry;
    if (expiry !== undefined && (typeof expiry !== 'number' || !Number.isFinite(expiry))) throw invalid('CAConfig.NodeCertExpiry must be a number of nanoseconds', 'CAConfig.NodeCertExpiry');
    if (typeof expiry === 'number' && expiry !== 0 && expiry < MIN_NODE_CERT_EXPIRY_NS) throw invalid('minimum certificate expiry time is: 1h0m0s', 'CAConfig.NodeCertExpiry');
    const external = spec.CAConfig?.ExternalCAs;
    if (Array.isArray(external) && external.length > 0) {
      throw new SwarmletError('unimplemented', 'external CAs are not supported by swarmlet: its nodes authenticate with join tokens and credentials, not certificates', 'CAConfig.ExternalCAs');
    }
    const autolock = spec.EncryptionConfig?.AutoLockManagers;
    if (autolock !== undefined && typeof autolock !== 'boolean') throw invalid('EncryptionConfig.AutoLockManagers must be a boolean', 'EncryptionConfig.AutoLockManagers');
    return {
      labels: labels as Record<string, string>,
      ...(limit !== undefined ? { limit: limit as number } : {}),
      ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      ...(typeof expiry === 'number' && expiry > 0 ? { certExpiryNs: expiry } : {}),
      ...(typeof autolock === 'boolean' ? { autolock } : {}),
    };
  }

  private save(): void {
    this.adopted = undefined;
    this.o.save?.({
      id: this.id, createdAt: this.createdAt, updatedAt: this.updatedAt, version: this.version, labels: { ...this.labels },
      taskHistoryLimit: this.o.taskHistoryLimit(), heartbeatPeriodMs: this.o.heartbeatPeriodMs(), nodeCertExpiryNs: this.nodeCertExpiryNs,
      ...(this.active ? {} : { left: true }),
    });
  }

  /** The unlock key (`docker swarm unlock-key`); '' when autolock is off (the CLI then says none is set, as with Docker). */
  unlockKey(): string {
    this.assertManager();
    return this.o.keys?.unlockKey() ?? '';
  }

  /**
   * `POST /swarm/unlock`: a locked manager opens its keys with the unlock key ("invalid key string"
   * 400 for a malformed one, Docker's "invalid key provided" 401 for a wrong one) and starts; any other
   * manager answers Docker's "swarm is not locked" (409).
   */
  unlock(input: unknown): void {
    if (!this.active) throw new SwarmletError('unavailable', NOT_IN_SWARM);
    if (!this.isLocked()) throw new SwarmletError('conflict', SWARM_NOT_LOCKED);
    const body = decodeFields(input ?? {}, { UnlockKey: 0 }) as { UnlockKey?: unknown };
    if (typeof body.UnlockKey !== 'string') throw invalid('invalid key string', 'UnlockKey');
    this.o.keys!.unlock(body.UnlockKey);
    this.o.onUnlock?.();
  }

  /** `POST /swarm/init`: refused while in a swarm; after a forced leave, a new swarm with a new ID and new tokens. */
  init(input: unknown = {}): string {
    if (this.active) throw new SwarmletError('unavailable', ALREADY_IN_SWARM);
    const spec = (input !== null && typeof input === 'object' ? (decodeFields(input, { Spec: SwarmSpecFields }) as { Spec?: unknown }).Spec : undefined) ?? {};
    const c = this.checkSpec(spec);
    if (c.autolock && (!this.o.keys || this.o.autolockUnavailable)) {
      throw new SwarmletError('unimplemented', this.o.autolockUnavailable ?? 'autolock is not available on this manager', 'EncryptionConfig.AutoLockManagers');
    }
    this.id = this.o.ids.next();
    this.createdAt = isoTime(this.o.clock.now());
    this.updatedAt = this.createdAt;
    this.version = 1;
    this.labels = { ...c.labels };
    this.nodeCertExpiryNs = c.certExpiryNs ?? NODE_CERT_EXPIRY_NS;
    if (c.limit !== undefined) this.o.setTaskHistoryLimit?.(c.limit);
    if (c.heartbeatMs !== undefined) this.o.setHeartbeatPeriodMs?.(c.heartbeatMs);
    this.o.tokens?.rotate('worker');
    this.o.tokens?.rotate('manager');
    if (c.autolock) this.o.keys!.enableAutolock();
    this.active = true;
    this.save();
    return this.id;
  }

  /** `POST /swarm/join`: a manager is already in a swarm; after a forced leave, joining another swarm is not supported. */
  join(): never {
    if (this.active) throw new SwarmletError('unavailable', ALREADY_IN_SWARM);
    throw new SwarmletError('unimplemented', 'a swarmlet manager cannot join another swarm: run `swarmlet node join` on a node instead');
  }

  /** `POST /swarm/leave`: a manager needs force, which erases the swarm's state (as Docker's last manager), autolock included. */
  leave(force: boolean): void {
    if (!this.active) throw new SwarmletError('unavailable', NOT_IN_SWARM);
    if (this.isLocked()) throw new SwarmletError('unavailable', SWARM_LOCKED);
    if (!force) throw new SwarmletError('unavailable', LEAVE_MANAGER);
    this.o.eraseState();
    this.o.keys?.disableAutolock();
    this.active = false;
    this.save(); // a restart stays out of the swarm until `swarm init`
  }
}
