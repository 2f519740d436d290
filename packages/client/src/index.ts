// @pubky-ts/client: the Pubky SDK for Node and browsers.
export { Pubky, DEFAULT_PKARR_RELAYS, TESTNET_HTTP_RELAY_PORT, TESTNET_PKARR_RELAY_PORT, type PubkyOptions } from './pubky.ts';
export { Signer, type SigninOptions } from './signer.ts';
export { Session, type SessionDetails, type SessionKind } from './session.ts';
export {
  migrateAccount,
  type MigrateOptions,
  type MigrationPhase,
  type MigrationProgress,
  type MigrationReport,
} from './migrate/migrate.ts';
export { diffTrees, listFiles, readTree, type Tree, type TreeDiff, type TreeFile } from './tree.ts';
export {
  PublicStorage,
  SessionStorage,
  parseListing,
  type ListOptions,
  type PutBody,
  type RequestOptions,
  type ResourceStats,
} from './storage.ts';
export type { ByteRangeRequest, RangeRead } from './range-read.ts';
export {
  createAppPassword,
  listGrants,
  revokeGrant,
  type AppPassword,
  type AppPasswordOptions,
  type GrantListing,
} from './app-password.ts';
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
export type { EventsOptions, FeedOptions } from './events.ts';
export { CookieJar, type StoredCookie } from './cookie-jar.ts';
export { decodeJws, verifyGrant, type GrantSessionInfo } from './grant.ts';
export { Pkdns, PkarrPacketSource, homeserverFromPacket, type PacketSource } from './pkdns.ts';
export { selectHomeserverEndpoint as selectEndpoint, type HomeserverEndpoint } from '@pubky-ts/pkarr';
export { MemoryPacketSource } from './memory-source.ts';
export type { AddMirrorOptions, MirrorSetup } from './mirror-admin.ts';
export { DEFAULT_READ_TIMEOUT_MS, PATH_ADDRESSED_STORAGE, type CookieMode } from './http.ts';
export { parsePubkyTarget, parseResourceAddress, type PubkyTarget, type ResourceAddress } from './pubky-url.ts';
export {
  AuthFlowError,
  ClientError,
  PkarrResolutionError,
  PubkyHttpError,
  httpErrorCode,
  type ClientErrorCode,
} from './errors.ts';
export { CLIENT_ERROR_DOCS, CLIENT_ERRORS } from './error-catalogue.ts';
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
// Keys, recovery files, capabilities, tokens and the formats the SDK shares with the homeserver
// (events, SSE, ETags, grants, mirror status) come from the common package.
export {
  createGrant,
  createPop,
  DEFAULT_GRANT_LIFETIME_SECONDS,
  hashFromEtag,
  MIRROR_CLIENT_ID,
  parseEventMessage,
  parseEventsFeed,
  parseMirrorStatus,
  parseSseStream,
  SseParser,
  type EventsPage,
  type EventType,
  type FeedEvent,
  type GrantClaims,
  type MirrorState,
  type MirrorStatus,
  type PopClaims,
  type PubkyEvent,
  type SseMessage,
  type VerifiedGrant,
  AuthToken,
  Capabilities,
  Capability,
  Keypair,
  PublicKey,
  PubkyError,
  createRecoveryFile,
  decryptRecoveryFile,
} from '@pubky-ts/common';
export * from './crypto/index.ts';
// The pubky.app data model (pubky-app-specs 0.x): ids, validation and typed writers.
export * from './apps/pubky-app/index.ts';
