export { PubkyError } from './errors.ts';
export {
  base64Decode,
  base64Encode,
  base64urlDecode,
  base64urlEncode,
  bytesEqual,
  bytesToHex,
  compareBytes,
  concatBytes,
  hexToBytes,
  randomBytes,
  utf8Decode,
  utf8Encode,
} from './bytes.ts';
export { z32Decode, z32Encode } from './z32.ts';
export { crockfordDecode, crockfordEncode } from './crockford.ts';
export { nowMicros } from './timestamp.ts';
export { Keypair, PublicKey } from './keys.ts';
export { blake3, createBlake3, type Blake3Hasher } from './blake3.ts';
export { decrypt, encrypt } from './secretbox.ts';
export { createRecoveryFile, decryptRecoveryFile, recoveryKey } from './recovery-file.ts';
export { encodeString, encodeVarint, PostcardReader } from './postcard.ts';
export {
  isPrivatePath,
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  normalizeStoragePath,
  parseStrictStoragePath,
  PRIVATE_ROOT,
  PUBLIC_ROOT,
  type StoragePath,
} from './storage-path.ts';
export { Capabilities, Capability, type Action } from './capabilities.ts';
export { AuthToken, DEFAULT_AUTH_TOKEN_WINDOW_SECONDS } from './auth-token.ts';
export { decodeSessionInfo, encodeSessionInfo, type SessionInfo } from './session-info.ts';
export { decodeJws, signJws, MAX_JWS_LENGTH, type DecodedJws } from './jws.ts';
