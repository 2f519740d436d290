// What a mirror homeserver says about the copy it keeps of a user (`GET/PUT /mirror`): written by the
// mirror, read by the SDK and the CLI.
import { PubkyError, commonError } from './errors.ts';
import { PublicKey } from './keys.ts';

/** The client id of the grant a mirror uses to read the user's private data at the primary. */
export const MIRROR_CLIENT_ID = 'pubky-mirror';

export type MirrorState = 'catching_up' | 'live' | 'retrying' | 'stopped';
export const MIRROR_STATES: readonly MirrorState[] = ['catching_up', 'live', 'retrying', 'stopped'];

export interface MirrorStatus {
  user: string;
  primary: string;
  /** Whether `/priv/` is mirrored too (the mirror holds a grant). */
  private: boolean;
  state: MirrorState;
  /** The last primary event id applied. */
  cursor: string;
  appliedEvents: number;
  pendingEvents: number;
  /** Age of the oldest event received from the primary and not yet applied (0 when none is pending). */
  lagMs: number;
  /** ISO time of the last applied event, or null. */
  lastAppliedAt: string | null;
  lastError: string | null;
}

/** Parses the status JSON; garbage is a PubkyError `invalid_response` naming the field. */
export function parseMirrorStatus(text: string): MirrorStatus {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw commonError('invalid_response', `the mirror status is not JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw commonError('invalid_response', 'the mirror status is not a JSON object');
  const o = json as Record<string, unknown>;
  const bad = (field: string, what: string) => commonError('invalid_response', `the mirror status field "${field}" is not ${what}`);
  const str = (f: string): string => {
    if (typeof o[f] !== 'string') throw bad(f, 'a string');
    return o[f] as string;
  };
  const strOrNull = (f: string): string | null => {
    if (o[f] !== null && typeof o[f] !== 'string') throw bad(f, 'a string or null');
    return o[f] as string | null;
  };
  const count = (f: string): number => {
    const v = o[f];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(f, 'a non-negative integer');
    return v;
  };
  const user = str('user');
  const primary = str('primary');
  if (PublicKey.tryParse(user) === null) throw bad('user', 'a public key');
  if (PublicKey.tryParse(primary) === null) throw bad('primary', 'a public key');
  if (typeof o.private !== 'boolean') throw bad('private', 'a boolean');
  const state = o.state as MirrorState;
  if (!MIRROR_STATES.includes(state)) throw bad('state', `one of ${MIRROR_STATES.join(', ')}`);
  const lastAppliedAt = strOrNull('lastAppliedAt');
  if (lastAppliedAt !== null && Number.isNaN(Date.parse(lastAppliedAt))) throw bad('lastAppliedAt', 'an ISO time or null');
  return {
    user,
    primary,
    private: o.private,
    state,
    cursor: str('cursor'),
    appliedEvents: count('appliedEvents'),
    pendingEvents: count('pendingEvents'),
    lagMs: count('lagMs'),
    lastAppliedAt,
    lastError: strOrNull('lastError'),
  };
}
