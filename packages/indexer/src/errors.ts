// The indexer API's error catalogue: one code per thing a caller can get wrong, each with its status.
import { PubkyError } from '@pubky-ts/common';

export const INDEXER_ERRORS = {
  invalid_user_key: { status: 400, what: 'a user id in the path is not a z-base-32 public key' },
  invalid_post_id: { status: 400, what: 'a post id is not a 13-character Crockford timestamp id' },
  invalid_limit: { status: 400, what: 'limit is not an integer in range' },
  invalid_cursor: { status: 400, what: 'cursor is not one this API handed out' },
  invalid_query: { status: 400, what: 'a search needs q, 1 to 200 characters with at least one word' },
  invalid_since: { status: 400, what: 'since is not a non-negative integer of microseconds' },
  user_not_found: { status: 404, what: 'the index has never seen this user' },
  post_not_found: { status: 404, what: 'the index has no such post' },
  route_not_found: { status: 404, what: 'no such route (see /openapi.json)' },
  method_not_allowed: { status: 405, what: 'the route exists, but not for this method' },
} as const;

export type IndexerErrorCode = keyof typeof INDEXER_ERRORS;

/** An error a caller of the indexer API caused: `status` is its HTTP status, `code` is stable. */
export class IndexerApiError extends PubkyError {
  readonly status: number;
  override readonly code: IndexerErrorCode;
  constructor(code: IndexerErrorCode, message: string) {
    super(code, message);
    this.name = 'IndexerApiError';
    this.code = code;
    this.status = INDEXER_ERRORS[code].status;
  }
}

export const apiError = (code: IndexerErrorCode, message: string) => new IndexerApiError(code, message);
