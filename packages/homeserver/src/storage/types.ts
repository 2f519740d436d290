/**
 * The storage and persistence contracts of the homeserver. The embedded profile implements them on
 * SQLite + files (`./sqlite/`), the scale-out profile on PostgreSQL (`./postgres/`); the HTTP,
 * auth and admin layers only ever see these interfaces. Every method is async for the latter.
 *
 * Conventions:
 * - Users are identified by their z-base-32 public key string (52 chars) everywhere in this API.
 * - `*Micros` / `createdAt` / `modifiedAt` are µs since the Unix epoch (integers);
 *   grant fields named `...At` in the grant section are **unix seconds** (as in spec §3.6).
 * - Paths are canonical storage paths (the HTTP layer normalises them first), e.g. `/pub/a/b.txt`,
 *   directories end with `/`.
 * - Errors a caller can cause are thrown as `StorageError` (./errors.ts) with an HTTP `status`, a
 *   stable `code` and the reference message text.
 */
import type { MirrorStore } from '../mirror/mirror-store.ts';

/** Per-user limits set by an admin or copied from a signup token. `null` = system default. */
export interface UserQuota {
  /** MB (×1 048 576 bytes). `null` = default, `-1` = unlimited. */
  storageQuotaMb: number | null;
  /** e.g. `"100mb/m"` or `"unlimited"`; `null` = default. Stored verbatim, parsed by the HTTP layer. */
  rateRead: string | null;
  rateWrite: string | null;
  rateReadBurst: number | null;
  rateWriteBurst: number | null;
  /** Canonical paths; directory entries end with `/`. `[]` = read-only, `null` = unrestricted. */
  allowedWritePaths: string[] | null;
}

export interface UserRecord extends UserQuota {
  id: number;
  /** z32 */
  publicKey: string;
  disabled: boolean;
  /** Σ (content_length + 256) over the user's files (spec §2.8). */
  usedBytes: number;
  createdAt: number;
}

export interface UserStats {
  numUsers: number;
  numDisabledUsers: number;
  /** Σ used_bytes over all users. */
  totalUsedBytes: number;
}

export interface CreateUserOptions {
  /** Overrides stored on the user (ignored fields stay `null`). */
  quota?: Partial<UserQuota>;
  /**
   * Signup token to consume in the same transaction as the user creation. The token's quota is copied
   * onto the user (explicit `quota` fields win). Errors, in this order (spec POST /signup):
   * 409 `user_exists` "User already exists"; 401 `signup_token_invalid` "Invalid token";
   * 401 `signup_token_used` "Token already used".
   */
  signupToken?: string;
}

export interface UserStore {
  /** Creates a user. 409 `user_exists` if the key is already registered. */
  create(publicKey: string, options?: CreateUserOptions): Promise<UserRecord>;
  get(publicKey: string): Promise<UserRecord | null>;
  /** Returns false if the user does not exist. */
  setDisabled(publicKey: string, disabled: boolean): Promise<boolean>;
  /** Partial update: absent fields are kept, `null` resets to default. Returns null for unknown user. */
  setQuota(publicKey: string, patch: Partial<UserQuota>): Promise<UserRecord | null>;
  /**
   * Deletes the whole account: entries, blobs, events, cookie sessions, grants (+ their bearer
   * sessions). Revocations are published for every session/grant removed. Returns false if unknown.
   */
  delete(publicKey: string): Promise<boolean>;
  stats(): Promise<UserStats>;
  /** Public keys (z32) in ascending order, after `cursor` (exclusive), at most `limit`. */
  list(options: { limit: number; cursor?: string | null }): Promise<string[]>;
}

export interface SignupTokenRecord {
  /** `XXXX-XXXX-XXXX` (Crockford, spec §3.5). */
  token: string;
  createdAt: number;
  /** z32 of the user who consumed it. */
  usedBy: string | null;
  usedAt: number | null;
  /** Quota copied onto the user at signup. */
  quota: UserQuota;
}

export type SignupTokenState = 'all' | 'used' | 'unused';

export interface SignupTokenStore {
  /** Generates and stores a fresh single-use token. */
  create(quota?: Partial<UserQuota>): Promise<string>;
  get(token: string): Promise<SignupTokenRecord | null>;
  /** Ordered by token ascending; `cursor` is exclusive; `nextCursor` is null on the last page. */
  list(options: { limit: number; cursor?: string | null; state?: SignupTokenState }): Promise<{
    items: SignupTokenRecord[];
    nextCursor: string | null;
  }>;
  stats(): Promise<{ total: number; unused: number }>;
}

/** Cookie session (spec §3.3). Never expires; deleted by sign-out or account deletion. */
export interface CookieSessionRecord {
  id: number;
  /** 26-char Crockford secret (the cookie value). */
  secret: string;
  /** z32 of the session's user. */
  user: string;
  /** Comma-joined capabilities string from the AuthToken. */
  capabilities: string;
  createdAt: number;
}

export interface CookieSessionStore {
  /** Creates a session with a fresh secret. 404 `USER_NOT_FOUND` for an unknown user. */
  create(user: string, capabilities: string): Promise<CookieSessionRecord>;
  /** null if unknown (also for malformed secrets). */
  getBySecret(secret: string): Promise<CookieSessionRecord | null>;
  /**
   * Optional: the session and its user's record read together, as of one moment (the SQLite store
   * checks the database for other writers once for both). null if either is unknown.
   */
  getBySecretWithUser?(secret: string): Promise<{ session: CookieSessionRecord; user: UserRecord } | null>;
  /**
   * Optional: the same from memory only, without asking the database whether another process changed
   * them (null unless both are held). `stamp` goes into WriteOptions.authority: the write's commit
   * then confirms that neither changed since, or fails with 503 `STALE_AUTH`.
   */
  peekBySecretWithUser?(secret: string): { session: CookieSessionRecord; user: UserRecord; stamp: AuthStamp } | null;
  /** Deletes by secret; publishes a `cookie_session` revocation. False if it did not exist. */
  delete(secret: string): Promise<boolean>;
}

/** A stored grant (spec §3.6, table `grants`). Times in unix **seconds**, except `createdAt` (µs). */
export interface GrantRecord {
  /** The grant's `jti` (1..22 chars). */
  id: string;
  /** z32 of the issuing user (`iss`). */
  user: string;
  clientId: string;
  /** z32 of the client key (`cnf`). */
  clientCnfKey: string;
  /** Comma-joined capabilities. */
  capabilities: string;
  issuedAt: number;
  expiresAt: number;
  revokedAt: number | null;
  createdAt: number;
}

export type NewGrant = Omit<GrantRecord, 'revokedAt' | 'createdAt'>;

export interface GrantSessionRecord {
  id: number;
  grantId: string;
  /** unix seconds */
  expiresAt: number;
  createdAt: number;
}

export interface GrantStore {
  /**
   * `INSERT … ON CONFLICT DO NOTHING`: the first stored copy wins; returns the stored row.
   * 404 `USER_NOT_FOUND` if `user` is not registered.
   */
  upsert(grant: NewGrant): Promise<GrantRecord>;
  get(id: string): Promise<GrantRecord | null>;
  /** Sets `revoked_at`, deletes all its bearer sessions, publishes a `grant` revocation. False if unknown. */
  revoke(id: string, nowSeconds?: number): Promise<boolean>;
  /** Grants of `user` not revoked and with `expiresAt > nowSeconds`. */
  listActive(user: string, nowSeconds?: number): Promise<GrantRecord[]>;
  /**
   * Mints a bearer for the grant: 32 random bytes → base64url (43 chars). Only SHA-256(bearer) is
   * stored; any earlier session of this grant is deleted (one session per grant).
   */
  mintSession(grantId: string, expiresAtSeconds: number): Promise<{ token: string; session: GrantSessionRecord }>;
  /**
   * Resolves a 43-char bearer: session not expired, grant not revoked and not expired. null otherwise
   * (including malformed tokens).
   */
  resolveBearer(token: string, nowSeconds?: number): Promise<{ session: GrantSessionRecord; grant: GrantRecord } | null>;
  /**
   * PoP nonce replay guard: drops nonces older than `maxAgeSeconds` (default 360), then inserts.
   * Returns false if the nonce was already used.
   */
  useNonce(nonce: string, nowSeconds?: number, maxAgeSeconds?: number): Promise<boolean>;
}

/**
 * AuthToken replay guard (spec §3.1.3 step 5), shared by every process using the same database (the
 * reference keeps it in memory per process).
 */
export interface AuthTokenReplayGuard {
  /**
   * Records `id` (AuthToken bytes 75..115: timestamp + public key) until `expiresAtMicros`.
   * Returns false if it was already recorded and not yet expired. Expired ids are purged lazily.
   */
  markUsed(id: Uint8Array, expiresAtMicros: number): Promise<boolean>;
}

export type Revocation = { kind: 'cookie_session'; id: number } | { kind: 'grant'; id: string };

/** Minimal in-process pub/sub. Listeners run synchronously after the commit; they must not throw. */
export interface Bus<T> {
  subscribe(listener: (value: T) => void): () => void;
  publish(value: T): void;
}

// ---------------------------------------------------------------------------------------------
// Files

/** Metadata of one stored file (table `entries`). */
export interface FileEntry {
  /** z32 of the owner. */
  user: string;
  /** Canonical path, e.g. `/pub/app/file.txt`. */
  path: string;
  /** BLAKE3-256 of the exact stored bytes (32 bytes). */
  contentHash: Uint8Array;
  contentLength: number;
  /** Sniffed / guessed, never from the request (spec §2.6). No charset. */
  contentType: string;
  modifiedAt: number;
  createdAt: number;
  /** `"<base64-std(contentHash)>"`, quotes included, ready for the `ETag` header. */
  etag: string;
}

export interface FileContent {
  entry: FileEntry;
  /**
   * The bytes. Small (inline) files come as one Uint8Array in `inline` too, so the HTTP layer can
   * send them without a stream. Iterating `body` a second time is not supported.
   */
  body: AsyncIterable<Uint8Array>;
  inline: Uint8Array | null;
  /** Set when a `ReadOptions.range` selector chose a range: `body` and `inline` hold only those bytes. */
  range?: ByteRange;
}

/** Bytes `start` to `end` of a file, both inclusive (HTTP's `Content-Range` convention). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ReadOptions {
  /** Admin / WebDAV read: any path, including outside `/pub/` and `/priv/`. */
  admin?: boolean;
  /**
   * Picks the bytes to read from the entry found (null = all), before any byte is read, so the
   * range is resolved against the very version whose bytes are sent. What it throws, `get` throws.
   */
  range?: (entry: FileEntry) => ByteRange | null;
}

/**
 * What a commit checks when a write was authorised with a session and user read from memory:
 * neither changed since (`peekBySecretWithUser` makes it), else 503 `STALE_AUTH`, nothing written.
 */
export interface AuthStamp {
  readonly secret: string;
  readonly fingerprint: string;
}

/**
 * Who a write is made as, handed down the layers so that none reads the writer again: the writer's
 * record, read during this request (with its session, one moment of the database, or by the policy
 * layer), and the stamp its commit confirms when the records came from memory. A layer uses `user`
 * only when its key is the writer's; never pass a record read before the request.
 */
export interface WriteAuthority {
  readonly user: UserRecord;
  readonly stamp?: AuthStamp;
}

export interface WriteOptions {
  /**
   * Admin / WebDAV writes (spec §5.1): bypass the allowed-write-path and collision checks and the
   * disabled-user check; quota, entries and events still apply.
   */
  admin?: boolean;
  /** Declared body size (Content-Length) for the early 507 check before streaming. */
  sizeHint?: number;
  /** Aborts the streaming phase (client disconnect); nothing is committed. */
  signal?: AbortSignal;
  /** Who the write is made as (see WriteAuthority); the layers read the writer's record themselves without it. */
  authority?: WriteAuthority;
  /** Conditional write (see WriteCondition): `*` or a strong ETag; 412 `PRECONDITION_FAILED` when it fails. */
  ifMatch?: string;
  ifNoneMatch?: string;
}

/** Options of `FileStore.delete`; `ifMatch` / `ifNoneMatch` make it conditional, as for a put. */
export interface DeleteOptions {
  admin?: boolean;
  authority?: WriteAuthority;
  ifMatch?: string;
  ifNoneMatch?: string;
}

/**
 * A body its producer can hand over in one piece (a small upload already on its way), as well as
 * iterate. Stores may call `whole()` instead of iterating (one await instead of one per chunk); the
 * bytes belong to the store afterwards. Either way the read starts only when asked for.
 */
export interface WholeBody extends AsyncIterable<Uint8Array> {
  whole(): Promise<Uint8Array>;
}

export interface ListOptions {
  /** Default 100, capped at 1000 by the caller (the store caps at 1000 too). */
  limit?: number;
  /** Exclusive cursor: a full path (`> cursor` ascending, `< cursor` with `reverse`). */
  cursor?: string | null;
  reverse?: boolean;
  /** Immediate children only; sub-directories appear once as `<dir>/<name>/`. */
  shallow?: boolean;
  /** Admin / WebDAV listing: any directory, including outside `/pub/` and `/priv/`. */
  admin?: boolean;
}

/**
 * The one interface of the file storage stack: PathPolicy → Quota → Bookkeeping → BlobStore.
 * Errors (StorageError): 400 `NOT_A_FILE`; 403 `WRITE_FORBIDDEN_ROOT`
 * ("Writing to directories other than '/pub/' and '/priv/' is forbidden"), `READ_FORBIDDEN_ROOT`,
 * `USER_DISABLED` ("User is disabled"), `WRITE_PATH_NOT_ALLOWED` ("Write to this path is not
 * allowed"); 404 `USER_NOT_FOUND` / `NOT_FOUND`; 409 `PATH_COLLISION` ("File/folder path
 * collision"); 412 `PRECONDITION_FAILED` (a conditional write whose condition failed, checked in the
 * write's transaction); 507 `QUOTA_EXCEEDED` ("Disk space quota exceeded").
 */
export interface FileStore {
  /** Streams `body` in, then atomically commits entry + PUT event + usage. Returns the new entry. */
  put(user: string, path: string, body: AsyncIterable<Uint8Array>, options?: WriteOptions): Promise<FileEntry>;
  /** null if the user or file does not exist. */
  get(user: string, path: string, options?: ReadOptions): Promise<FileContent | null>;
  head(user: string, path: string, options?: { admin?: boolean }): Promise<FileEntry | null>;
  /** Removes entry + DEL event + usage refund atomically. 404 `NOT_FOUND` if missing; 412 if a condition fails. */
  delete(user: string, path: string, options?: DeleteOptions): Promise<void>;
  /**
   * Lists `dir` (ending in `/`) in byte order. Returns full paths (`/pub/a/b`, shallow directories
   * as `/pub/a/`), or null when the user has no entry at all under `dir` (→ 404). An empty array
   * means the cursor is past the last entry.
   */
  list(user: string, dir: string, options?: ListOptions): Promise<string[] | null>;
}

// ---------------------------------------------------------------------------------------------
// Events

export type EventType = 'PUT' | 'DEL';

export interface StoredEvent {
  /** Monotonic; the decimal cursor of the feeds. */
  id: number;
  type: EventType;
  /** z32 */
  user: string;
  path: string;
  /** 32 bytes for PUT, null for DEL. */
  contentHash: Uint8Array | null;
  createdAt: number;
}

export interface EventQuery {
  /**
   * Restrict to these users, each with its own exclusive cursor (event id; `id > cursor`, or
   * `id < cursor` when reversed; absent = from the start / from the end). Absent = all users.
   */
  users?: { user: string; cursor?: number | null }[];
  /** Global exclusive cursor (admin SSE); combined with per-user cursors. */
  cursor?: number | null;
  /** Union filter: entries ending with `/` are directory prefixes, others exact paths. */
  paths?: string[];
  /** Only events under `/pub/`. */
  publicOnly?: boolean;
  /** Descending by id. */
  reverse?: boolean;
  /** Default 100, max 1000. */
  limit?: number;
}

export interface EventStore {
  /** Ordered by id (ascending, or descending with `reverse`). */
  read(query: EventQuery): Promise<StoredEvent[]>;
  /** The `/events/` feed: `id > cursor`, `/pub/` only, ascending, limit ≤ 1000. */
  feed(cursor: number, limit: number): Promise<StoredEvent[]>;
  /** Highest event id, 0 when there are none. */
  latestId(): Promise<number>;
  /** Legacy cursor (13-char Crockford µs timestamp): the id of the event created at exactly that µs. */
  idAtCreatedAt(createdAtMicros: number): Promise<number | null>;
  /** Events are published here after their transaction commits, in id order. */
  readonly bus: Bus<StoredEvent>;
}

// ---------------------------------------------------------------------------------------------
// PKARR custody

/** The newest signed PKARR packet known for a user, and how its last republish went. */
export interface UserPacketRecord {
  /** z32 */
  user: string;
  /** Canonical SignedPacket bytes (key ‖ signature ‖ timestamp ‖ DNS), at most 1104. */
  packet: Uint8Array;
  /** The packet's own timestamp, µs. */
  timestamp: number;
  /** µs of the last successful republish. */
  lastPublishedAt: number | null;
  /** DHT nodes that stored it at the last republish. */
  lastStoredAt: number | null;
  /** µs of the last visibility check. */
  lastCheckedAt: number | null;
  /** Whether the network served this packet (or a newer one) at the last check. */
  visibleDht: boolean | null;
  visibleRelays: number | null;
  lastError: string | null;
}

export type UserPacketOutcome = Partial<Omit<UserPacketRecord, 'user' | 'packet' | 'timestamp'>>;

export interface UserPacketStore {
  /** Keeps `packet` when it is at least as new as the stored one; returns whether it was stored. False for unknown users. */
  save(user: string, packet: Uint8Array, timestamp: number): Promise<boolean>;
  get(user: string): Promise<UserPacketRecord | null>;
  /** Records the outcome of a republish or a visibility check. */
  report(user: string, outcome: UserPacketOutcome): Promise<void>;
  /** Registered users in z32 order, `after` exclusive. */
  listUsers(options: { limit: number; after?: string | null }): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------
// Composition

export type Durability = 'normal' | 'fsync';

export interface HomeserverStoreOptions {
  /** Directory holding `homeserver.sqlite` and `blobs/`. Created if missing. */
  dataDir: string;
  /** 'normal' (default): WAL + synchronous=NORMAL, no fsync per blob; 'fsync': synchronous=FULL + fsync blobs. */
  durability?: Durability;
  /** Contents up to this many bytes are stored inline in SQLite (default chosen by benchmark). */
  inlineThreshold?: number;
  /** `[storage].default_quota_mb` after legacy resolution: null/undefined = unlimited, 0 = zero. */
  defaultQuotaMb?: number | null;
}

/** Everything the HTTP/auth/admin layers need, opened together and closed together. */
export interface HomeserverStore {
  readonly users: UserStore;
  readonly signupTokens: SignupTokenStore;
  readonly sessions: CookieSessionStore;
  readonly grants: GrantStore;
  readonly authTokenReplay: AuthTokenReplayGuard;
  readonly files: FileStore;
  readonly events: EventStore;
  /** Users' signed PKARR packets (custody) and republish outcomes. */
  readonly packets: UserPacketStore;
  /** Session / grant revocations (sign-out, grant revoke, account deletion), for private SSE. */
  readonly revocations: Bus<Revocation>;
  /** Mirrored users (the `mirrors` table), as stored: the mirror service seals their secrets. */
  readonly mirrors: MirrorStore;
  /** True when one process owns the database (SQLite); false when several share it (PostgreSQL). */
  readonly singleProcess: boolean;
  close(): Promise<void>;
}
