import type { UserPacketOutcome, UserPacketRecord } from './types.ts';

/** A `user_packets` row joined with its user's key, as both SQL profiles read it. */
export interface UserPacketRow {
  user: string;
  packet: Uint8Array;
  timestamp: number | string;
  last_published_at: number | string | null;
  last_stored_at: number | null;
  last_checked_at: number | string | null;
  /** SQLite stores 0/1, PostgreSQL a boolean. */
  visible_dht: boolean | number | null;
  visible_relays: number | null;
  last_error: string | null;
}

/** The column each reportable outcome field is stored in. */
export const USER_PACKET_OUTCOME_COLUMNS: Record<keyof UserPacketOutcome, string> = {
  lastPublishedAt: 'last_published_at',
  lastStoredAt: 'last_stored_at',
  lastCheckedAt: 'last_checked_at',
  visibleDht: 'visible_dht',
  visibleRelays: 'visible_relays',
  lastError: 'last_error',
};

/** The outcome fields actually given (undefined ones are left as they are). */
export function reportedFields(outcome: UserPacketOutcome): (keyof UserPacketOutcome)[] {
  return (Object.keys(outcome) as (keyof UserPacketOutcome)[]).filter(
    (k) => USER_PACKET_OUTCOME_COLUMNS[k] !== undefined && outcome[k] !== undefined,
  );
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

export function userPacketFromRow(r: UserPacketRow): UserPacketRecord {
  return {
    user: r.user,
    packet: new Uint8Array(r.packet),
    timestamp: Number(r.timestamp),
    lastPublishedAt: num(r.last_published_at),
    lastStoredAt: r.last_stored_at,
    lastCheckedAt: num(r.last_checked_at),
    visibleDht: r.visible_dht === null ? null : Boolean(r.visible_dht),
    visibleRelays: r.visible_relays,
    lastError: r.last_error,
  };
}
