// The keys one SDK user holds for encrypted data: their own age identity (with the secret key), or
// the directory keys of the scopes an app was granted (handed over in the auth flow), plus file keys
// learned from share envelopes. It answers two questions: whom to encrypt a new file at a path to,
// and what might open a file at a path.
import type { Keypair, PublicKey } from '@pubky-ts/common';
import { ageKeyPairOf, decodeIdentity, recipientOfPublicKey, deriveDirectoryKey, encodeIdentity, rootDirectoryKey } from './age-keys.ts';
import { EncryptionError } from './encryption-error.ts';
import type { HeaderKeys } from './age-header.ts';

/** The key of one directory scope (path ends in `/`), as the authenticator hands it to an app. */
export interface ScopeKey {
  scope: string;
  /** 32 bytes. */
  key: Uint8Array;
}

/** A scope key as JSON (inside the auth flow's encrypted channel). */
export interface ScopeKeyJson {
  scope: string;
  key: string;
}

export class Keyring {
  private readonly scopes: ScopeKey[];
  private readonly identities: Uint8Array[] = [];
  private readonly fileKeys: Uint8Array[] = [];

  private constructor(
    /** Whose tree the directory keys open. */
    readonly user: PublicKey,
    scopes: ScopeKey[],
  ) {
    this.scopes = scopes.map((s) => ({ scope: checkScope(s.scope), key: checkKey(s.key) }));
  }

  /** Everything the user's secret key opens: their age identity and every directory key. */
  static fromKeypair(keypair: Keypair): Keyring {
    const { identity } = ageKeyPairOf(keypair);
    const ring = new Keyring(keypair.publicKey, [{ scope: '/', key: rootDirectoryKey(identity) }]);
    ring.identities.push(identity);
    return ring;
  }

  /** What an app was handed for its granted scopes: their directory keys and nothing else. */
  static fromScopeKeys(user: PublicKey, scopes: ScopeKey[]): Keyring {
    return new Keyring(user, scopes);
  }

  /**
   * The directory keys for `scopes` (capability paths ending in `/`), derived from the user's
   * secret key: what an authenticator hands an app. Scopes naming single files get no key.
   */
  static scopeKeysFor(keypair: Keypair, scopes: readonly string[]): ScopeKey[] {
    const root = rootDirectoryKey(ageKeyPairOf(keypair).identity);
    return [...new Set(scopes.filter((s) => s.endsWith('/')))].map((scope) => ({
      scope,
      key: deriveDirectoryKey(root, '/', checkScope(scope)),
    }));
  }

  /** Adds an age identity (`AGE-SECRET-KEY-1…` or 32 bytes), e.g. to read files encrypted `to` it. */
  addIdentity(identity: string | Uint8Array): this {
    this.identities.push(typeof identity === 'string' ? decodeIdentity(identity) : checkKey(identity));
    return this;
  }

  /** Adds a file key from a share envelope. */
  addFileKey(fileKey: Uint8Array): this {
    if (!(fileKey instanceof Uint8Array) || fileKey.length !== 16)
      throw new EncryptionError('invalid_share', 'an age file key is 16 bytes');
    this.fileKeys.push(fileKey);
    return this;
  }

  /** The key of `dir` (ending in `/`) in the user's tree, when a held scope covers it. */
  directoryKey(dir: string): Uint8Array | null {
    let best: ScopeKey | undefined;
    for (const s of this.scopes) if (dir.startsWith(s.scope) && (!best || s.scope.length > best.scope.length)) best = s;
    return best ? deriveDirectoryKey(best.key, best.scope, dir) : null;
  }

  /**
   * Whom a new file at `path` in `owner`'s tree is encrypted to: the owner (so their own key, and
   * the age CLI with it, opens everything of theirs) and the file's directory (so apps and folder
   * shares holding that directory or one above it open it).
   */
  recipientsFor(owner: PublicKey, path: string): { recipients: Uint8Array[]; directoryKeys: Uint8Array[] } {
    const dir = owner.equals(this.user) ? this.directoryKey(dirOf(path)) : null;
    return { recipients: [recipientOfPublicKey(owner)], directoryKeys: dir ? [dir] : [] };
  }

  /** What might open a file at `path` in `owner`'s tree. */
  keysFor(owner: PublicKey, path: string): HeaderKeys {
    const dir = owner.equals(this.user) ? this.directoryKey(dirOf(path)) : null;
    return { identities: this.identities, directoryKeys: dir ? [dir] : [], fileKeys: this.fileKeys };
  }

  /** The scope keys as JSON, for the auth flow's channel. */
  static scopeKeysToJson(keys: readonly ScopeKey[]): ScopeKeyJson[] {
    return keys.map((k) => ({ scope: k.scope, key: encodeIdentity(k.key) }));
  }

  static scopeKeysFromJson(value: unknown): ScopeKey[] {
    if (!Array.isArray(value) || value.length > 64)
      throw new EncryptionError('invalid_share', 'scope keys are a list of at most 64 { scope, key } objects');
    return value.map((v) => {
      if (!v || typeof v !== 'object' || typeof v.scope !== 'string' || typeof v.key !== 'string') {
        throw new EncryptionError('invalid_share', 'a scope key is { scope: "/…/", key: "AGE-SECRET-KEY-1…" }');
      }
      return { scope: checkScope(v.scope), key: decodeIdentity(v.key) };
    });
  }
}

/** The directory a path lies in (`/priv/app/a.txt` → `/priv/app/`). */
export function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/') + 1);
}

function checkScope(scope: string): string {
  if (typeof scope !== 'string' || !scope.startsWith('/') || !scope.endsWith('/') || scope.includes('//') || scope.length > 1024) {
    throw new EncryptionError(
      'encryption_invalid_argument',
      `a key scope is a directory path like /priv/example.app/, got ${JSON.stringify(String(scope).slice(0, 80))}`,
    );
  }
  return scope;
}

function checkKey(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new EncryptionError('invalid_age_key', 'an age key is 32 bytes');
  return key;
}
