import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isSwarmletError } from '../errors.js';
import { isSealedText } from '../secrets/manager-keys.js';

export type JoinRole = 'worker' | 'manager';

export interface Secrets {
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
 * Where the secrets live when they are shared by several managers (lib/ha/shared-secrets.ts: sealed
 * in the cluster store). `read` is called on every check, so a change written by another manager is
 * seen at once; `write` works only where the store takes writes (the leader).
 */
export interface SecretsHome {
  read(): Secrets | undefined;
  write(s: Secrets): void;
}

/** Fresh tokens and no credentials. */
export function newSecrets(): Secrets {
  return { tokens: { worker: newToken('worker'), manager: newToken('manager') }, client: newClientToken(), credentials: {} };
}

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

/**
 * Join tokens (worker, manager), the client token and node credentials, kept in a 0600 file in the
 * manager's data directory (or in memory), or in a shared home (several managers). Tokens are compared
 * in constant time; rotating one invalidates the old token at once, while nodes that already joined
 * keep working with their credential. Never log what this holds.
 */
export class JoinTokens {
  private loaded: Secrets | undefined;
  private placeholder: Secrets | undefined;
  private readonly file: string | undefined;
  private readonly home: SecretsHome | undefined;
  /**
   * The tokens of `file` (created on first use), or in memory, or in a shared `home`. With a codec the
   * file may be sealed: while the manager is locked the tokens are read on first use after the unlock.
   */
  constructor(where: string | undefined | SecretsHome, private readonly codec?: SecretFileCodec) {
    if (typeof where === 'object') {
      this.home = where;
      return;
    }
    this.file = where;
    try {
      this.loaded = this.load();
    } catch (e) {
      if (!(isSwarmletError(e) && e.code === 'unavailable')) throw e; // locked: loaded on first use
    }
    codec?.onAutolockChange(() => { if (this.loaded) this.save(); });
  }

  /** The current secrets; a shared home that holds none yet (no leader has written them) has no valid token. */
  private get s(): Secrets {
    if (this.home) return this.home.read() ?? (this.placeholder ??= newSecrets()); // random: nobody holds them
    this.loaded ??= this.load();
    return this.loaded;
  }

  /** Shared home: writes fresh secrets when the store holds none yet (called by a new leader). */
  ensure(): void {
    if (this.home && this.home.read() === undefined) this.home.write(newSecrets());
  }

  /** Applies `fn` to the secrets and keeps them (a shared home: a changed copy written to the store). */
  private change(fn: (s: Secrets) => void): void {
    if (!this.home) {
      fn(this.s);
      this.save();
      return;
    }
    const next = structuredClone(this.home.read() ?? newSecrets());
    fn(next);
    this.home.write(next);
  }

  private load(): Secrets {
    if (this.file && existsSync(this.file)) {
      const text = readFileSync(this.file, 'utf8');
      const s = JSON.parse(this.codec ? this.codec.openText(FILE_LABEL, text) : text) as Secrets;
      if (typeof s.client !== 'string') { s.client = newClientToken(); this.write(s); } // older secrets files
      return s;
    }
    const s: Secrets = { tokens: { worker: newToken('worker'), manager: newToken('manager') }, client: newClientToken(), credentials: {} };
    this.write(s); // written before it is used: a locked manager (nothing can be sealed yet) makes them after the unlock
    return s;
  }

  private save(): void { this.write(this.s); }

  private write(s: Secrets): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const text = JSON.stringify(s);
    writeFileSync(tmp, this.codec ? this.codec.sealText(FILE_LABEL, text) : text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  token(role: JoinRole): string { return this.s.tokens[role]; }

  rotate(role: JoinRole): string {
    const token = newToken(role);
    this.change((s) => { s.tokens[role] = token; });
    return token;
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
    const token = newClientToken();
    this.change((s) => { s.client = token; });
    return token;
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
    this.change((s) => { s.credentials[nodeId] = sha256(cred); });
    return cred;
  }

  checkCredential(nodeId: string, credential: string): boolean {
    const want = this.s.credentials[nodeId];
    if (!want) return false;
    return timingSafeEqual(Buffer.from(want, 'hex'), Buffer.from(sha256(credential), 'hex'));
  }

  forget(nodeId: string): void {
    if (this.s.credentials[nodeId] === undefined) return;
    this.change((s) => { delete s.credentials[nodeId]; });
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
