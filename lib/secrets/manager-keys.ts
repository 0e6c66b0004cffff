/**
 * The manager's keys at rest and autolock (Docker's `--autolock`).
 *
 * The data key (keys/data.key) seals secret and config content (secret-cipher.ts). With autolock
 * on, the file holds the data key wrapped with the unlock key (unlock-key.ts), and the other secret
 * files of the manager (the join/client tokens file) are sealed with the data key: nothing on disk
 * opens without the unlock key. A manager started on such a directory is locked: it has no data key
 * until `unlock` is given the right key. Turning autolock off writes the data key back in the clear
 * and the sealed files unsealed. Without a file (a cluster without a data directory) everything is
 * in memory and the manager is never locked.
 *
 * Order of writes, so that a crash at any point leaves a directory that opens: turning on seals the
 * dependent files first (the data key is still in the clear), then wraps the data key; turning off
 * unwraps the data key first, then unseals the files; rotating the unlock key rewrites one file.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { SwarmletError } from '../errors.js';
import { createSecretCipher, DATA_KEY_FORMAT, KEY_BYTES, loadOrCreateDataKey } from './secret-cipher.js';
import { formatUnlockKey, isWrappedSecret, newUnlockKey, parseUnlockKey, unwrapSecret, wrapSecret, type WrappedSecret } from './unlock-key.js';

/** Docker's answer while a manager is locked (moby daemon/cluster/errors.go errSwarmLocked, 503). */
export const SWARM_LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';
/** Docker's answer to an unlock of a manager that is not locked (notLockedError, 409). */
export const SWARM_NOT_LOCKED = 'swarm is not locked';

const DATA_KEY_LABEL = 'data.key';
const SEALED_FORMAT = 'swarmlet-sealed-v1';

/** Writes `text` to `file` atomically (temp file, fsync, rename, directory fsync), mode 0600. */
function writeFileDurably(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // A name of its own: several managers may share one --data-key path and rewrite it at once.
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dir = openSync(dirname(file), 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  } catch { /* a directory that cannot be opened for fsync: the rename is still atomic */ }
}

function readWrapped(file: string): WrappedSecret | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: { format?: unknown; wrapped?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    return undefined; // loadOrCreateDataKey names the bad file
  }
  return parsed.format === DATA_KEY_FORMAT && isWrappedSecret(parsed.wrapped) ? parsed.wrapped : undefined;
}

export class ManagerKeys {
  private dek: Buffer | undefined;
  private unlockKeyBytes: Buffer | undefined;
  private wrapped: WrappedSecret | undefined;
  private readonly resealers: Array<() => void> = [];

  /** The keys of `file` (keys/data.key; created on first use), or in memory only without a file. */
  constructor(private readonly file: string | undefined) {
    if (!file) {
      this.dek = randomBytes(KEY_BYTES);
      return;
    }
    this.wrapped = readWrapped(file);
    if (!this.wrapped) this.dek = loadOrCreateDataKey(file);
  }

  /** True until `unlock` when the data directory was left with autolock on. */
  isLocked(): boolean { return this.dek === undefined; }

  /** Autolock is on (the data key at rest is wrapped with an unlock key). */
  autolock(): boolean { return this.wrapped !== undefined || this.unlockKeyBytes !== undefined; }

  /** The data key; Docker's "Swarm is encrypted…" (503) while locked. */
  dataKey(): Buffer {
    if (!this.dek) throw new SwarmletError('unavailable', SWARM_LOCKED);
    return this.dek;
  }

  /** Opens the data key with a human-readable unlock key: "invalid key string" (400), Docker's "invalid key provided" (401) for a wrong key. */
  unlock(text: string): void {
    if (!this.isLocked()) throw new SwarmletError('conflict', SWARM_NOT_LOCKED);
    const key = parseUnlockKey(text);
    const dek = unwrapSecret(key, this.wrapped!, DATA_KEY_LABEL);
    if (dek.length !== KEY_BYTES) throw new SwarmletError('internal', `data key file ${this.file} holds a key of ${dek.length} bytes`);
    this.dek = dek;
    this.unlockKeyBytes = key;
    this.wrapped = undefined;
  }

  /** The unlock key as Docker prints it; '' when autolock is off (then `docker swarm unlock-key` says none is set). */
  unlockKey(): string {
    this.dataKey();
    return this.unlockKeyBytes ? formatUnlockKey(this.unlockKeyBytes) : '';
  }

  /** Turns autolock on with a new unlock key (returned). Already on: the key is kept. */
  enableAutolock(): string {
    const dek = this.dataKey();
    if (this.unlockKeyBytes) return formatUnlockKey(this.unlockKeyBytes);
    const key = newUnlockKey();
    this.unlockKeyBytes = key; // from here on dependent files are written sealed
    try {
      for (const reseal of this.resealers) reseal();
      this.writeDataKey({ format: DATA_KEY_FORMAT, wrapped: wrapSecret(key, dek, DATA_KEY_LABEL) });
    } catch (e) {
      this.unlockKeyBytes = undefined;
      throw e;
    }
    return formatUnlockKey(key);
  }

  /** Turns autolock off: the data key is written in the clear, then the dependent files unsealed. */
  disableAutolock(): void {
    const dek = this.dataKey();
    if (!this.unlockKeyBytes) return;
    this.writeDataKey({ format: DATA_KEY_FORMAT, key: dek.toString('base64') });
    this.unlockKeyBytes = undefined;
    for (const reseal of this.resealers) reseal();
  }

  /** A new unlock key (returned); the old one no longer opens the data key. Autolock off: nothing to rotate (''). */
  rotateUnlockKey(): string {
    const dek = this.dataKey();
    if (!this.unlockKeyBytes) return '';
    const key = newUnlockKey();
    this.writeDataKey({ format: DATA_KEY_FORMAT, wrapped: wrapSecret(key, dek, DATA_KEY_LABEL) });
    this.unlockKeyBytes = key;
    return formatUnlockKey(key);
  }

  /**
   * Several managers: makes the file match the cluster's unlock key as the shared store holds it —
   * wrapped with `key` (autolock on, or a rotated key), or back in the clear (`undefined`: off). Does
   * nothing when it already matches; Docker's locked refusal while locked.
   */
  follow(key: Buffer | undefined): void {
    const dek = this.dataKey();
    if (key === undefined) {
      this.disableAutolock();
      return;
    }
    if (this.unlockKeyBytes?.equals(key)) return;
    if (key.length !== KEY_BYTES) throw new SwarmletError('internal', `the shared unlock key has ${key.length} bytes`);
    const was = this.unlockKeyBytes;
    this.unlockKeyBytes = Buffer.from(key); // from here on dependent files are written sealed
    try {
      if (!was) for (const reseal of this.resealers) reseal();
      this.writeDataKey({ format: DATA_KEY_FORMAT, wrapped: wrapSecret(key, dek, DATA_KEY_LABEL) });
    } catch (e) {
      this.unlockKeyBytes = was;
      throw e;
    }
  }

  /** `reseal` rewrites a file that `sealText` wrote, when autolock turns on or off. */
  onAutolockChange(reseal: () => void): void { this.resealers.push(reseal); }

  /** The text to write for a secret file: sealed with the data key when autolock is on, as is otherwise. */
  sealText(label: string, text: string): string {
    if (!this.autolock()) return text; // locked: autolock is on and dataKey() refuses, so nothing is written in the clear
    const sealed = createSecretCipher(this.dataKey()).seal(label, Buffer.from(text, 'utf8'));
    return JSON.stringify({ format: SEALED_FORMAT, ...sealed });
  }

  /** The text `sealText` was given; for a sealed file, Docker's locked refusal while locked. */
  openText(label: string, text: string): string {
    const sealed = sealedOf(text);
    if (!sealed) return text;
    return createSecretCipher(this.dataKey()).open(label, sealed).toString('utf8');
  }

  private writeDataKey(content: object): void {
    if (this.file) writeFileDurably(this.file, `${JSON.stringify(content)}\n`);
  }
}

function sealedOf(text: string): { Nonce: string; Tag: string; Data: string } | undefined {
  if (!text.includes(SEALED_FORMAT)) return undefined;
  try {
    const x = JSON.parse(text) as Record<string, unknown>;
    if (x.format === SEALED_FORMAT && typeof x.Nonce === 'string' && typeof x.Tag === 'string' && typeof x.Data === 'string') {
      return { Nonce: x.Nonce, Tag: x.Tag, Data: x.Data };
    }
  } catch { /* not sealed */ }
  return undefined;
}

/** True when a secret file's text is sealed (a reader without the keys cannot use it). */
export function isSealedText(text: string): boolean {
  return sealedOf(text) !== undefined;
}
