/**
 * Swarm secrets and configs (Engine API v1.41 Secret/Config) and the references a ContainerSpec
 * makes to them. The stored object never holds the plaintext: `Sealed` is its AES-256-GCM
 * ciphertext (lib/secrets/secret-cipher.ts), and the API never returns it.
 */
import type { ObjectVersion } from './types.js';

export interface Driver { Name: string; Options?: Record<string, string> }

export interface SecretSpec {
  Name: string;
  Labels?: Record<string, string>;
  /** Base64 of the content: only in create requests, never stored nor returned for secrets. */
  Data?: string;
  Driver?: Driver;
  Templating?: Driver;
}

export type ConfigSpec = Omit<SecretSpec, 'Driver'>;

/** Ciphertext of an object's content (base64 fields), bound to the object's ID. */
export interface Sealed { Nonce: string; Tag: string; Data: string }

export interface Secret {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: SecretSpec;
  /** swarmlet: the encrypted content (stripped from every API answer). */
  Sealed?: Sealed;
}

export interface Config {
  ID: string;
  Version: ObjectVersion;
  CreatedAt: string;
  UpdatedAt: string;
  Spec: ConfigSpec;
  Sealed?: Sealed;
}

/** A file a reference makes: its name (target), owner and mode. */
export interface FileTarget { Name: string; UID?: string; GID?: string; Mode?: number }

export interface SecretReference { File?: FileTarget; SecretID: string; SecretName: string }
export interface ConfigReference { File?: FileTarget; Runtime?: Record<string, never>; ConfigID: string; ConfigName: string }
