// @pubky-ts/client: the Pubky SDK for Node and browsers.
export { Pubky, DEFAULT_PKARR_RELAYS, TESTNET_HTTP_RELAY_PORT, TESTNET_PKARR_RELAY_PORT, type PubkyOptions } from './pubky.ts';
export { Signer, type SigninOptions } from './signer.ts';
export { Session, type SessionDetails, type SessionKind } from './session.ts';
export { migrateAccount, type MigrateOptions, type MigrationPhase, type MigrationProgress, type MigrationReport } from './migrate/migrate.ts';
export { diffTrees, listFiles, readTree, hashFromEtag, type Tree, type TreeDiff, type TreeFile } from './tree.ts';
export {
  PublicStorage,
  SessionStorage,
  parseListing,
  type ListOptions,
  type PutBody,
  type RequestOptions,
  type ResourceStats,
} from './storage.ts';
export { type ByteRangeRequest, type RangeRead } from './range-read.ts';
export { AuthFlow, type AuthFlowKind, type AuthFlowOptions, type AuthFlowState } from './auth-flow.ts';
export {
  DEFAULT_HTTP_RELAY,
  formatDeepLink,
  parseDeepLink,
  type AuthDeepLink,
  type DeepLinkCallbacks,
  type DeepLinkIntent,
} from './deep-link.ts';
export {
  channelId,
  channelUrl,
  decryptPayload,
  encryptPayload,
  generateSecret,
  receiveFromChannel,
  sendToChannel,
  type FetchLike,
} from './channel.ts';
export {
  parseEventMessage,
  parseEventsFeed,
  type EventsOptions,
  type EventsPage,
  type EventType,
  type FeedEvent,
  type FeedOptions,
  type PubkyEvent,
} from './events.ts';
export { SseParser, parseSseStream, type SseMessage } from './sse.ts';
export { CookieJar, type StoredCookie } from './cookie-jar.ts';
export {
  createGrant,
  createPop,
  decodeJws,
  verifyGrant,
  DEFAULT_GRANT_LIFETIME_SECONDS,
  type GrantClaims,
  type GrantSessionInfo,
  type PopClaims,
  type VerifiedGrant,
} from './grant.ts';
export { Pkdns, PkarrPacketSource, selectEndpoint, homeserverFromPacket, type HomeserverEndpoint, type PacketSource } from './pkdns.ts';
export { MemoryPacketSource } from './memory-source.ts';
export {
  DEFAULT_READ_TIMEOUT_MS,
  MIRROR_CLIENT_ID,
  parseMirrorStatus,
  type AddMirrorOptions,
  type MirrorSetup,
  type MirrorState,
  type MirrorStatus,
} from './mirror.ts';
export { PATH_ADDRESSED_STORAGE, type CookieMode } from './http.ts';
export { parsePubkyTarget, parseResourceAddress, type PubkyTarget, type ResourceAddress } from './pubky-url.ts';
export {
  AuthFlowError,
  ClientError,
  PkarrResolutionError,
  PubkyHttpError,
  httpErrorCode,
  type ClientErrorCode,
} from './errors.ts';
export {
  ArchiveError,
  exportArchive,
  importArchive,
  readArchiveManifest,
  verifyArchive,
  type ArchiveErrorCode,
  type ArchiveFile,
  type ArchiveManifest,
  type ArchiveProgress,
  type ArchiveSource,
  type ExportArchiveOptions,
  type ExportArchiveResult,
  type ImportArchiveOptions,
  type ImportArchiveResult,
  type VerifiedArchive,
  type VerifyArchiveOptions,
} from './archive/index.ts';
// Keys, recovery files, capabilities and tokens come from the common package.
export {
  AuthToken,
  Capabilities,
  Capability,
  Keypair,
  PublicKey,
  PubkyError,
  createRecoveryFile,
  decryptRecoveryFile,
} from '@pubky-ts/common';
