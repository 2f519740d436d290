export type MirrorState = 'catching_up' | 'live' | 'retrying' | 'stopped';

/** One mirrored user (table `mirrors`). Times: `...At` in µs, except grant/bearer expiries (unix seconds). */
export interface MirrorRecord {
  /** z32 of the mirrored user. */
  user: string;
  /** z32 of the primary homeserver. */
  primary: string;
  /** The user's grant to this homeserver's key (private mirroring), or null (`/pub/` only). */
  grant: string | null;
  grantExpiresAt: number | null;
  /** The current bearer at the primary, and when it expires (unix seconds). */
  bearer: string | null;
  bearerExpiresAt: number | null;
  /** The primary's cursor after the last applied event ('' = from the start). */
  cursor: string;
  appliedEvents: number;
  pendingEvents: number;
  /** When the oldest event received and not yet applied arrived (µs), null when none is pending. */
  oldestPendingAt: number | null;
  lastAppliedAt: number | null;
  lastError: string | null;
  state: MirrorState;
  /** Bumped by every PUT /mirror; progress of an older follower is then ignored. */
  generation: number;
  /** The process running the follower, until `leaseUntil` (µs). */
  owner: string | null;
  leaseUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

/** What a follower reports as it goes (absent fields are left unchanged). */
export type MirrorProgress = Partial<
  Pick<
    MirrorRecord,
    | 'cursor'
    | 'appliedEvents'
    | 'pendingEvents'
    | 'oldestPendingAt'
    | 'lastAppliedAt'
    | 'lastError'
    | 'state'
    | 'bearer'
    | 'bearerExpiresAt'
  >
>;

export interface NewMirror {
  user: string;
  primary: string;
  grant: string | null;
  grantExpiresAt: number | null;
  bearer: string | null;
  bearerExpiresAt: number | null;
  /** Keep the cursor and counters of an existing row (same primary, same scope); else start over. */
  keepCursor: boolean;
}

/** Persistence of mirror state, in both storage profiles (`HomeserverStore.mirrors`). */
export interface MirrorStore {
  /** Creates or replaces the user's mirror (new generation, lease released). null for an unknown user. */
  put(m: NewMirror, nowMicros: number): Promise<MirrorRecord | null>;
  get(user: string): Promise<MirrorRecord | null>;
  /** Every mirror, by user key. */
  list(): Promise<MirrorRecord[]>;
  delete(user: string): Promise<boolean>;
  /** Applies `progress` when the row still has `generation`; false when it was replaced or deleted. */
  report(user: string, generation: number, progress: MirrorProgress, nowMicros: number): Promise<boolean>;
  /**
   * Takes or renews the lease on the row for `owner` until `untilMicros`, when the row still has
   * `generation` and its lease is free, expired or already `owner`'s. Returns whether `owner` holds it.
   */
  claim(user: string, generation: number, owner: string, untilMicros: number, nowMicros: number): Promise<boolean>;
  /** Gives up every lease of `owner` (graceful shutdown), so another process can take over at once. */
  release(owner: string): Promise<void>;
}

/** A `mirrors` row joined with its user's key, as both SQL profiles read it. */
export interface MirrorRow {
  user: string;
  primary_key: string;
  grant_jws: string | null;
  grant_expires_at: number | string | null;
  bearer: string | null;
  bearer_expires_at: number | string | null;
  cursor: string;
  applied_events: number | string;
  pending_events: number;
  oldest_pending_at: number | string | null;
  last_applied_at: number | string | null;
  last_error: string | null;
  state: string;
  generation: number;
  owner: string | null;
  lease_until: number | string | null;
  created_at: number | string;
  updated_at: number | string;
}

export const MIRROR_SELECT = 'SELECT u.public_key AS user, m.* FROM mirrors m JOIN users u ON u.id = m.user_id';

/** The column of each reportable progress field. */
export const MIRROR_PROGRESS_COLUMNS: Record<keyof MirrorProgress, string> = {
  cursor: 'cursor',
  appliedEvents: 'applied_events',
  pendingEvents: 'pending_events',
  oldestPendingAt: 'oldest_pending_at',
  lastAppliedAt: 'last_applied_at',
  lastError: 'last_error',
  state: 'state',
  bearer: 'bearer',
  bearerExpiresAt: 'bearer_expires_at',
};

export function progressFields(p: MirrorProgress): (keyof MirrorProgress)[] {
  return (Object.keys(p) as (keyof MirrorProgress)[]).filter((k) => MIRROR_PROGRESS_COLUMNS[k] !== undefined && p[k] !== undefined);
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
const STATES: readonly string[] = ['catching_up', 'live', 'retrying', 'stopped'];

export function mirrorFromRow(r: MirrorRow): MirrorRecord {
  return {
    user: r.user,
    primary: r.primary_key,
    grant: r.grant_jws,
    grantExpiresAt: num(r.grant_expires_at),
    bearer: r.bearer,
    bearerExpiresAt: num(r.bearer_expires_at),
    cursor: r.cursor,
    appliedEvents: Number(r.applied_events),
    pendingEvents: r.pending_events,
    oldestPendingAt: num(r.oldest_pending_at),
    lastAppliedAt: num(r.last_applied_at),
    lastError: r.last_error,
    state: (STATES.includes(r.state) ? r.state : 'stopped') as MirrorState,
    generation: r.generation,
    owner: r.owner,
    leaseUntil: num(r.lease_until),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
