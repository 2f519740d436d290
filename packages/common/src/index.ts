export { COMMON_ERROR_DOCS, COMMON_ERRORS, commonError, PubkyError, type CommonErrorCode } from './errors.ts';
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
export { parseSseStream, SseParser, toAsyncIterable, type SseLimits, type SseMessage } from './sse.ts';
export {
  formatEventMessage,
  formatFeedCursor,
  formatFeedLine,
  parseEventCursor,
  parseEventMessage,
  parseEventsFeed,
  parseEventUrl,
  type EventsPage,
  type EventType,
  type FeedEvent,
  type PubkyEvent,
} from './event-line.ts';
export { etagFromBase64, etagOfHash, hashFromEtag } from './etag.ts';
export {
  BEARER_TOKEN,
  createGrant,
  createPop,
  DEFAULT_GRANT_LIFETIME_SECONDS,
  GRANT_ID,
  GRANT_TYP,
  GrantError,
  grantIdOf,
  NONCE_MAX_AGE_S,
  POP_TYP,
  POP_WINDOW_S,
  randomId,
  SIGNUP_CLIENT_ID,
  verifyGrant,
  verifyPop,
  type CreateGrantOptions,
  type GrantClaims,
  type GrantFailure,
  type PopClaims,
  type VerifiedGrant,
} from './grant.ts';
export { MIRROR_CLIENT_ID, MIRROR_STATES, parseMirrorStatus, type MirrorState, type MirrorStatus } from './mirror-status.ts';
export * from './merkle/index.ts';
export { readErrorSection, renderErrorTable, writeErrorSection, type ErrorDoc } from './error-docs.ts';
