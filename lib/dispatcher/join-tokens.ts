import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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
export class JoinTokens {
  private s: Secrets;
  constructor(private readonly file: string | undefined) {
    if (file && existsSync(file)) {
      this.s = JSON.parse(readFileSync(file, 'utf8')) as Secrets;
      if (typeof this.s.client !== 'string') { this.s.client = newClientToken(); this.save(); } // older secrets files
    } else {
      this.s = { tokens: { worker: newToken('worker'), manager: newToken('manager') }, client: newClientToken(), credentials: {} };
      this.save();
    }
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.s), { mode: 0o600 });
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
 * manager's machine), or undefined when the file does not exist or has none yet.
 */
export function readClientToken(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
  return typeof s.client === 'string' ? s.client : undefined;
}
