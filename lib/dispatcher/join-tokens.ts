import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isSwarmletError } from '../errors.js';
import { isSealedText } from '../secrets/manager-keys.js';

export type JoinRole = 'worker' | 'manager';

interface Secrets {
  tokens: Record<JoinRole, string>;
  /** The client token: `Authorization: Bearer <it>` on manager routes when client auth is on. */
  client: string;
  /** Node ID → sha256 of its credential (the plain credential is only ever held by the node). */
  credentials: Record<string, string>;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomBase36(n: number): string {
  let s = '';
  for (const b of randomBytes(n)) s += ALPHABET[b % 36];
  return s;
}

function newToken(role: JoinRole): string {
  return `SWLTKN-1-${randomBase36(50)}-${role === 'worker' ? 'w' : 'm'}${randomBase36(24)}`;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function newClientToken(): string {
  return `SWLCTK-1-${randomBase36(50)}`;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(sha256(a), 'hex');
  const y = Buffer.from(sha256(b), 'hex');
  return timingSafeEqual(x, y);
}

/**
 * Join tokens (worker, manager), the client token and node credentials, kept in a 0600 file in the
 * manager's data directory (or in memory). Tokens are compared in constant time; rotating one
 * invalidates the old token at once, while nodes that already joined keep working with their
 * credential. Never log what this holds.
 */
/**
 * How the tokens file is kept at rest (the manager's keys: sealed with the data key when autolock
 * is on). `open` throws Docker's locked refusal while the manager is locked.
 */
export interface SecretFileCodec {
  sealText(label: string, text: string): string;
  openText(label: string, text: string): string;
  onAutolockChange(reseal: () => void): void;
}

const FILE_LABEL = 'secrets.json';

export class JoinTokens {
  private loaded: Secrets | undefined;
  /**
   * The tokens of `file` (created on first use), or in memory. With a codec the file may be sealed:
   * while the manager is locked the tokens are read on first use after the unlock.
   */
  constructor(private readonly file: string | undefined, private readonly codec?: SecretFileCodec) {
    try {
      this.loaded = this.load();
    } catch (e) {
      if (!(isSwarmletError(e) && e.code === 'unavailable')) throw e; // locked: loaded on first use
    }
    codec?.onAutolockChange(() => { if (this.loaded) this.save(); });
  }

  private get s(): Secrets {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private load(): Secrets {
    if (this.file && existsSync(this.file)) {
      const text = readFileSync(this.file, 'utf8');
      const s = JSON.parse(this.codec ? this.codec.openText(FILE_LABEL, text) : text) as Secrets;
      this.loaded = s;
      if (typeof s.client !== 'string') { s.client = newClientToken(); this.save(); } // older secrets files
      return s;
    }
    this.loaded = { tokens: { worker: newToken('worker'), manager: newToken('manager') }, client: newClientToken(), credentials: {} };
    this.save();
    return this.loaded;
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const text = JSON.stringify(this.s);
    writeFileSync(tmp, this.codec ? this.codec.sealText(FILE_LABEL, text) : text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  token(role: JoinRole): string { return this.s.tokens[role]; }

  rotate(role: JoinRole): string {
    this.s.tokens[role] = newToken(role);
    this.save();
    return this.s.tokens[role];
  }

  /** The role a join token grants, or undefined (constant-time comparison against both). */
  roleOf(token: string): JoinRole | undefined {
    const w = sameSecret(token, this.s.tokens.worker);
    const m = sameSecret(token, this.s.tokens.manager);
    return m ? 'manager' : w ? 'worker' : undefined;
  }

  clientToken(): string { return this.s.client; }

  /** A new client token: the old one is refused at once. */
  rotateClientToken(): string {
    this.s.client = newClientToken();
    this.save();
    return this.s.client;
  }

  /** Constant-time check of a client token. */
  checkClientToken(token: string): boolean {
    return sameSecret(token, this.s.client);
  }

  /**
   * The node whose credential this is, or undefined. Compares against every node's credential hash
   * in constant time each, without stopping at the first match.
   */
  nodeOfCredential(credential: string): string | undefined {
    const presented = Buffer.from(sha256(credential), 'hex');
    let found: string | undefined;
    for (const [nodeId, want] of Object.entries(this.s.credentials)) {
      if (timingSafeEqual(Buffer.from(want, 'hex'), presented) && found === undefined) found = nodeId;
    }
    return found;
  }

  /** A new credential for a node (replacing any earlier one). */
  issueCredential(nodeId: string): string {
    const cred = `SWLCRED-${randomBase36(48)}`;
    this.s.credentials[nodeId] = sha256(cred);
    this.save();
    return cred;
  }

  checkCredential(nodeId: string, credential: string): boolean {
    const want = this.s.credentials[nodeId];
    if (!want) return false;
    return timingSafeEqual(Buffer.from(want, 'hex'), Buffer.from(sha256(credential), 'hex'));
  }

  forget(nodeId: string): void {
    delete this.s.credentials[nodeId];
    this.save();
  }
}

/** The secrets file's name in a manager's data directory. */
export const SECRETS_FILE = 'secrets.json';

/**
 * The client token kept in a manager's secrets file (read-only: for bootstrapping a client on the
 * manager's machine), or undefined when the file does not exist, has none yet or is sealed (autolock).
 */
export function readClientToken(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  if (isSealedText(text)) return undefined; // autolock: only the running manager can open it
  const s = JSON.parse(text) as Partial<Secrets>;
  return typeof s.client === 'string' ? s.client : undefined;
}
