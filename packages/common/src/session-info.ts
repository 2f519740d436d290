import { concatBytes } from './bytes.ts';
import { commonError } from './errors.ts';
import { PublicKey } from './keys.ts';
import { encodeString, encodeVarint, PostcardReader } from './postcard.ts';

/** What a homeserver tells a client about its session (postcard, homeserver spec §3.3.3). */
export interface SessionInfo {
  publicKey: PublicKey;
  /** The reference sends µs after sign-up/sign-in and seconds from `GET /session`. */
  createdAt: number;
  capabilities: string[];
  name?: string;
  userAgent?: string;
}

export function encodeSessionInfo(info: SessionInfo): Uint8Array {
  return concatBytes(
    encodeVarint(0),
    info.publicKey.bytes,
    encodeVarint(info.createdAt),
    encodeString(info.name ?? ''),
    encodeString(info.userAgent ?? ''),
    encodeVarint(info.capabilities.length),
    ...info.capabilities.map(encodeString),
  );
}

export function decodeSessionInfo(bytes: Uint8Array): SessionInfo {
  const r = new PostcardReader(bytes);
  const version = r.varint();
  if (version > 0) throw commonError('session_info_unknown_version', `unknown SessionInfo version ${version}`);
  const publicKey = PublicKey.fromBytes(r.take(32));
  const createdAt = r.varint();
  const name = r.string();
  const userAgent = r.string();
  const count = r.varint();
  if (count > bytes.length) throw commonError('postcard_unexpected_end', 'Hit the end of buffer, expected more data');
  const capabilities: string[] = [];
  for (let i = 0; i < count; i++) capabilities.push(r.string());
  return { publicKey, createdAt, name, userAgent, capabilities };
}
