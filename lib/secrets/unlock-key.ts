/**
 * Autolock's unlock key and the wrapping of a secret with it (pure, no files).
 *
 * The key is 32 random bytes shown in Docker's human-readable form, `SWMKEY-1-` followed by the bytes
 * in unpadded standard base64 (as swarmkit's encryption.HumanReadableKey). A secret is wrapped with
 * AES-256-GCM under a key derived from the unlock key with HKDF-SHA256 (a random salt per wrapping,
 * a label as the HKDF info and as associated data, so a wrapped blob moved to another purpose does not
 * open). The unlock key is 256 random bits, so a fast KDF is enough: nothing is guessed from a password.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SwarmletError } from '../errors.js';

const PREFIX = 'SWMKEY-1-';
const KEY_BYTES = 32;

/** Docker's answer to a wrong unlock key (moby daemon/cluster/errors.go invalidUnlockKey, 401). */
export const INVALID_UNLOCK_KEY = 'swarm could not be unlocked: invalid key provided';

export interface WrappedSecret { kdf: 'hkdf-sha256'; salt: string; nonce: string; tag: string; data: string }

/** A new unlock key (its bytes). */
export function newUnlockKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The key as Docker prints it: `SWMKEY-1-<unpadded base64>`. */
export function formatUnlockKey(key: Buffer): string {
  return PREFIX + key.toString('base64').replace(/=+$/, '');
}

/**
 * The bytes of a human-readable key; `invalid key string` (Docker's text, 400) when it is not one.
 * Surrounding whitespace (a newline from stdin) is ignored.
 */
export function parseUnlockKey(text: string): Buffer {
  const s = text.trim();
  const body = s.startsWith(PREFIX) ? s.slice(PREFIX.length) : undefined;
  if (body === undefined || !/^[A-Za-z0-9+/]+$/.test(body)) throw new SwarmletError('invalid_argument', 'invalid key string', 'UnlockKey');
  const key = Buffer.from(body, 'base64');
  if (key.length !== KEY_BYTES) throw new SwarmletError('invalid_argument', 'invalid key string', 'UnlockKey');
  return key;
}

function derive(unlockKey: Buffer, salt: Buffer, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', unlockKey, salt, `swarmlet-autolock-v1:${label}`, KEY_BYTES));
}

/** `secret` sealed under the unlock key for one purpose (`label`). */
export function wrapSecret(unlockKey: Buffer, secret: Buffer, label: string): WrappedSecret {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', derive(unlockKey, salt, label), nonce);
  c.setAAD(Buffer.from(label, 'utf8'));
  const data = Buffer.concat([c.update(secret), c.final()]);
  return { kdf: 'hkdf-sha256', salt: salt.toString('base64'), nonce: nonce.toString('base64'), tag: c.getAuthTag().toString('base64'), data: data.toString('base64') };
}

/** The secret back; Docker's "invalid key provided" refusal (401) when the key (or the label) is not the one it was wrapped with. */
export function unwrapSecret(unlockKey: Buffer, wrapped: WrappedSecret, label: string): Buffer {
  try {
    if (wrapped.kdf !== 'hkdf-sha256') throw new Error('unknown kdf');
    const d = createDecipheriv('aes-256-gcm', derive(unlockKey, Buffer.from(wrapped.salt, 'base64'), label), Buffer.from(wrapped.nonce, 'base64'));
    d.setAAD(Buffer.from(label, 'utf8'));
    d.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(wrapped.data, 'base64')), d.final()]);
  } catch {
    throw new SwarmletError('unauthenticated', INVALID_UNLOCK_KEY, 'UnlockKey');
  }
}

/** True for a parsed JSON value shaped as a WrappedSecret. */
export function isWrappedSecret(x: unknown): x is WrappedSecret {
  if (typeof x !== 'object' || x === null) return false;
  const w = x as Record<string, unknown>;
  return w.kdf === 'hkdf-sha256' && ['salt', 'nonce', 'tag', 'data'].every((k) => typeof w[k] === 'string');
}
