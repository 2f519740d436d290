import { backend } from '#ed25519';
import { bytesEqual, bytesToHex, hexToBytes, randomBytes } from './bytes.ts';
import { commonError } from './errors.ts';
import { z32Decode, z32Encode } from './z32.ts';

const Z32_KEY_LENGTH = 52;
// Decompressing a point costs far more than a map lookup; remember recently validated keys.
const MAX_CACHED = 8192;
const validated = new Map<string, PublicKey>();

/** An Ed25519 public key: a user's or a server's identity. Immutable. */
export class PublicKey {
  readonly bytes: Uint8Array;
  readonly z32: string;

  private constructor(bytes: Uint8Array, z32: string) {
    this.bytes = bytes;
    this.z32 = z32;
  }

  /** From 32 raw bytes; refuses bytes that are not a curve point (code `invalid_public_key`). */
  static fromBytes(bytes: Uint8Array): PublicKey {
    if (bytes.length !== 32) {
      throw commonError('invalid_public_key', `a public key is 32 bytes, got ${bytes.length}`);
    }
    const z32 = z32Encode(bytes);
    const cached = validated.get(z32);
    if (cached) return cached;
    if (!backend.isValidPoint(bytes)) {
      throw commonError('invalid_public_key', `${z32} is not a valid Ed25519 public key`);
    }
    const key = new PublicKey(Uint8Array.from(bytes), z32);
    if (validated.size >= MAX_CACHED) validated.delete(validated.keys().next().value as string);
    validated.set(z32, key);
    return key;
  }

  /**
   * Parses a key from any form the reference accepts: bare z32, `pk:<z32>`, and inside URLs or host
   * names (`https://foo.<z32>.:8888/x?q#h` → `<z32>`; the last dot-separated label wins).
   * The `pubky<z32>` display form is accepted too (see `parsePubkyPrefixed` for the strict wire rule).
   */
  static parse(input: string): PublicKey {
    if (typeof input !== 'string') throw commonError('invalid_public_key', 'a public key must be a string');
    let s = input;
    if (s.length === Z32_KEY_LENGTH + 5 && s.startsWith('pubky')) s = s.slice(5);
    s = extractKeyLabel(s);
    if (s.length !== Z32_KEY_LENGTH) {
      throw commonError('invalid_public_key', `expected a 52-character z-base-32 public key, got ${JSON.stringify(truncate(input))}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = z32Decode(s);
    } catch (e) {
      throw commonError('invalid_public_key', `${JSON.stringify(truncate(input))} is not z-base-32: ${(e as Error).message}`);
    }
    if (bytes.length !== 32) throw commonError('invalid_public_key', 'a public key decodes to 32 bytes');
    return PublicKey.fromBytes(bytes);
  }

  /** Like `parse`, but answers null instead of throwing. */
  static tryParse(input: string): PublicKey | null {
    try {
      return PublicKey.parse(input);
    } catch {
      return null;
    }
  }

  /** Strict form used on the wire (hosts, headers, JSON): exactly the 52-char z32, nothing around it. */
  static parseZ32(input: string): PublicKey {
    if (typeof input !== 'string' || input.length !== Z32_KEY_LENGTH) {
      throw commonError('invalid_public_key', `expected a 52-character z-base-32 public key`);
    }
    const key = PublicKey.parse(input);
    if (key.z32 !== input) throw commonError('invalid_public_key', `${input} is not in canonical z-base-32`);
    return key;
  }

  toString(): string {
    return this.z32;
  }
  toJSON(): string {
    return this.z32;
  }
  /** `pk:<z32>`, the PKARR URI form. */
  toUri(): string {
    return `pk:${this.z32}`;
  }
  /** `pubky<z32>`, the display form of the Pubky SDKs. */
  toPubkyString(): string {
    return `pubky${this.z32}`;
  }
  toHex(): string {
    return bytesToHex(this.bytes);
  }
  equals(other: PublicKey | null | undefined): boolean {
    return other != null && bytesEqual(this.bytes, other.bytes);
  }
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return backend.verify(this.bytes, message, signature);
  }
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The reference's lenient extraction of a key label from a URL or host name (spec §1.2). */
function extractKeyLabel(input: string): string {
  let s = input;
  const steps: Array<(x: string) => string> = [
    // Like the reference, everything up to the first ':' counts as a scheme here, so a bare
    // `<z32>:6287` keeps `6287` and fails, as it does there.
    (x) => {
      const i = x.indexOf(':');
      return i >= 0 ? x.slice(i + 1) : x;
    },
    (x) => (x.startsWith('//') ? x.slice(2) : x),
    (x) => {
      const at = x.indexOf('@');
      const slash = x.indexOf('/');
      return at >= 0 && (slash < 0 || at < slash) ? x.slice(at + 1) : x;
    },
    (x) => {
      const i = x.indexOf(':');
      return i >= 0 ? x.slice(0, i) : x;
    },
    (x) => {
      const i = x.indexOf('/');
      return i >= 0 ? x.slice(0, i) : x;
    },
    (x) => {
      const i = x.indexOf('?');
      return i >= 0 ? x.slice(0, i) : x;
    },
    (x) => {
      const i = x.indexOf('#');
      return i >= 0 ? x.slice(0, i) : x;
    },
    (x) => x.replace(/\.+$/, ''),
    (x) => {
      const i = x.lastIndexOf('.');
      return i >= 0 ? x.slice(i + 1) : x;
    },
  ];
  for (const step of steps) {
    if (s.length <= Z32_KEY_LENGTH) break;
    s = step(s);
  }
  return s;
}

/** An Ed25519 key pair. The 32-byte secret key is the RFC 8032 seed. */
export class Keypair {
  readonly secretKey: Uint8Array;
  readonly publicKey: PublicKey;

  private constructor(secretKey: Uint8Array, publicKey: PublicKey) {
    this.secretKey = secretKey;
    this.publicKey = publicKey;
  }

  static random(): Keypair {
    return Keypair.fromSecretKey(randomBytes(32));
  }

  static fromSecretKey(secretKey: Uint8Array): Keypair {
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32) {
      throw commonError('invalid_secret_key', 'a secret key is 32 bytes');
    }
    const seed = Uint8Array.from(secretKey);
    return new Keypair(seed, PublicKey.fromBytes(backend.publicKey(seed)));
  }

  /** Reads the 64 hex characters of a secret key file (whitespace around is ignored). */
  static fromSecretKeyHex(text: string): Keypair {
    const hex = text.trim();
    if (hex.length !== 64) throw commonError('invalid_secret_key', 'a secret key file holds 64 hexadecimal characters');
    return Keypair.fromSecretKey(hexToBytes(hex));
  }

  secretKeyHex(): string {
    return bytesToHex(this.secretKey);
  }

  sign(message: Uint8Array): Uint8Array {
    return backend.sign(this.secretKey, message);
  }
}
