// @pubky-ts/indexer: a Pubky custom backend over many homeservers.
export { startIndexer, type Indexer, type IndexerOptions } from './indexer.ts';
export { INDEXER_ERRORS, IndexerApiError, type IndexerErrorCode } from './errors.ts';
export { DEFAULT_FOLLOWER_OPTIONS, type FollowerOptions, type FollowerStatus } from './follow/homeserver-follower.ts';
export { openApiDocument } from './api/openapi.ts';
export type { Page, PostView, ProfileView, TagView, UserView } from './store/index-reader.ts';
export { IndexerClient, IndexerClientError } from './api-client.ts';
export { verifyIndex, type UserDrift, type VerifyReport } from './verify.ts';
export { openDatabase } from './store/database.ts';
export { IndexReader } from './store/index-reader.ts';
