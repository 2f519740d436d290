import { concatBytes, utf8Encode } from './bytes.ts';
import { Capabilities } from './capabilities.ts';
import { PubkyError, commonError } from './errors.ts';
import { type Keypair, PublicKey } from './keys.ts';
import { encodeString, PostcardReader } from './postcard.ts';
import { nowMicros } from './timestamp.ts';

const NAMESPACE = utf8Encode('PUBKY:AUTH');
/** The signature covers bytes 65.. (the first namespace byte is not signed, as in the reference). */
const SIGNED_FROM = 65;
const HEADER_LENGTH = 115;
export const DEFAULT_AUTH_TOKEN_WINDOW_SECONDS = 180;

/**
 * An AuthToken (spec §7.4 / homeserver §3.1): a user's signed statement that grants capabilities,
 * posted to `/signup` and `/session`.
 */
export class AuthToken {
  private constructor(
    readonly bytes: Uint8Array,
    readonly timestamp: number,
    readonly publicKey: PublicKey,
    readonly capabilities: Capabilities,
  ) {}

  static sign(keypair: Keypair, capabilities: Capabilities | string, timestamp: number = nowMicros()): AuthToken {
    const caps = Capabilities.from(capabilities);
    const ts = new Uint8Array(8);
    new DataView(ts.buffer).setBigUint64(0, BigInt(timestamp));
    const body = concatBytes(NAMESPACE, Uint8Array.of(0), ts, keypair.publicKey.bytes, encodeString(caps.toString()));
    const signature = keypair.sign(body.subarray(SIGNED_FROM - 64));
    return new AuthToken(concatBytes(signature, body), timestamp, keypair.publicKey, caps);
  }

  /** Decodes without checking time or signature. Throws PubkyError for every malformed input. */
  static parse(bytes: Uint8Array): AuthToken {
    if (bytes.length < HEADER_LENGTH + 1) {
      throw commonError('auth_token_truncated', `an AuthToken is at least ${HEADER_LENGTH + 1} bytes, got ${bytes.length}`);
    }
    if (bytes[74] !== 0) throw commonError('auth_token_unknown_version', 'Unknown version');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ts = view.getBigUint64(75);
    if (ts > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw commonError('auth_token_bad_timestamp', 'AuthToken timestamp is out of range');
    }
    let publicKey: PublicKey;
    try {
      publicKey = PublicKey.fromBytes(bytes.subarray(83, 115));
    } catch (e) {
      throw commonError('auth_token_bad_key', `AuthToken public key: ${(e as Error).message}`);
    }
    const reader = new PostcardReader(bytes, HEADER_LENGTH);
    const capsText = reader.string();
    let capabilities: Capabilities;
    try {
      capabilities = Capabilities.parse(capsText);
    } catch (e) {
      // The reference answers with postcard's generic text; the detail follows for humans.
      throw commonError('auth_token_bad_capabilities', `Serde Deserialization Error: ${(e as Error).message}`);
    }
    return new AuthToken(Uint8Array.from(bytes), Number(ts), publicKey, capabilities);
  }

  /**
   * Parses and verifies: the version, the time window (±180 s by default) and the signature.
   * Replay refusal is the caller's (see `replayId`), because it must hold across processes.
   */
  static verify(bytes: Uint8Array, options: { nowMicros?: number; windowSeconds?: number } = {}): AuthToken {
    const token = AuthToken.parse(bytes);
    const window = options.windowSeconds ?? DEFAULT_AUTH_TOKEN_WINDOW_SECONDS;
    const now = options.nowMicros ?? Date.now() * 1000;
    const diff = token.timestamp - now;
    const span = window % 60 === 0 ? `${window / 60} minutes` : `${window} seconds`;
    if (diff > window * 1e6) {
      throw commonError('auth_token_future', `AuthToken has a timestamp that is more than ${span} in the future`);
    }
    if (diff < -window * 1e6) {
      throw commonError('auth_token_expired', `AuthToken has a timestamp that is more than ${span} in the past`);
    }
    if (!token.publicKey.verify(token.bytes.subarray(SIGNED_FROM), token.bytes.subarray(0, 64))) {
      throw commonError('auth_token_invalid_signature', 'Invalid Signature');
    }
    return token;
  }

  get signature(): Uint8Array {
    return this.bytes.subarray(0, 64);
  }

  /** Bytes 75..115 (timestamp ‖ public key): a token seen twice within the window is a replay. */
  get replayId(): Uint8Array {
    return this.bytes.subarray(75, 115);
  }

  serialize(): Uint8Array {
    return this.bytes;
  }
}
