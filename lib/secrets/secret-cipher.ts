/**
 * Encryption at rest of secret and config content: AES-256-GCM with a random 96-bit nonce per
 * object, the object's ID as associated data (a ciphertext moved to another object does not open).
 * The data key is 32 random bytes kept in its own file (mode 0600), apart from the store's journal;
 * without a data directory it lives in memory only (nothing is written anywhere then).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, writeSync, closeSync, fsyncSync } from 'node:fs';
import { dirname } from 'node:path';
import { SwarmletError } from '../errors.js';
import type { Sealed } from '../model/secret-types.js';

export interface SecretCipher {
  seal(id: string, plaintext: Buffer): Sealed;
  /** Throws `internal` (without any content in the message) when the ciphertext does not open. */
  open(id: string, sealed: Sealed): Buffer;
}

export const KEY_BYTES = 32;
export const DATA_KEY_FORMAT = 'swarmlet-data-key-v1';
const FORMAT = DATA_KEY_FORMAT;

/**
 * A cipher over a data key, or over a function giving it each time (a manager locked by autolock
 * has no key until it is unlocked: the function throws then, and so do seal and open).
 */
export function createSecretCipher(dataKey: Buffer | (() => Buffer)): SecretCipher {
  if (Buffer.isBuffer(dataKey) && dataKey.length !== KEY_BYTES) throw new Error(`a data key has ${KEY_BYTES} bytes, got ${dataKey.length}`);
  const keyOf = typeof dataKey === 'function' ? dataKey : () => dataKey;
  return {
    seal(id, plaintext) {
      const key = keyOf();
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, nonce);
      c.setAAD(Buffer.from(id, 'utf8'));
      const data = Buffer.concat([c.update(plaintext), c.final()]);
      return { Nonce: nonce.toString('base64'), Tag: c.getAuthTag().toString('base64'), Data: data.toString('base64') };
    },
    open(id, sealed) {
      const key = keyOf();
      try {
        const d = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.Nonce, 'base64'));
        d.setAAD(Buffer.from(id, 'utf8'));
        d.setAuthTag(Buffer.from(sealed.Tag, 'base64'));
        return Buffer.concat([d.update(Buffer.from(sealed.Data, 'base64')), d.final()]);
      } catch {
        throw new SwarmletError('internal', `the content of ${id} cannot be decrypted with this data key`);
      }
    },
  };
}

/** A cipher with a fresh key held in memory only (a cluster without a data directory). */
export function ephemeralSecretCipher(): SecretCipher {
  return createSecretCipher(randomBytes(KEY_BYTES));
}

/**
 * The data key of a data directory: read from `file`, or created there (exclusively, mode 0600)
 * on first use. A key file readable by others is tightened back to 0600.
 */
export function loadOrCreateDataKey(file: string): Buffer {
  if (existsSync(file)) return readKeyFile(file);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw e;
  }
  try {
    writeSync(fd, `${JSON.stringify({ format: FORMAT, key: key.toString('base64') })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}

function readKeyFile(file: string): Buffer {
  chmodSync(file, 0o600);
  let parsed: { format?: unknown; key?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch {
    throw new SwarmletError('failed_precondition', `data key file ${file} is not valid: secrets and configs cannot be read`);
  }
  const key = typeof parsed.key === 'string' ? Buffer.from(parsed.key, 'base64') : Buffer.alloc(0);
  if (parsed.format !== FORMAT || key.length !== KEY_BYTES) {
    throw new SwarmletError('failed_precondition', `data key file ${file} is not valid: secrets and configs cannot be read`);
  }
  return key;
}
