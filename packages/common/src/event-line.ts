// The homeserver's event lines, written by the server and read by the SDK and by mirrors: one SSE
// message per event on `/events-stream` (homeserver spec §4.3) and one text line per event on the
// `/events/` feed (§4.2). Both sides use this file, so the format is defined once.
import { base64Decode } from './bytes.ts';
import { type PubkyError, commonError } from './errors.ts';
import { PublicKey } from './keys.ts';
import type { SseMessage } from './sse.ts';

export type EventType = 'PUT' | 'DEL';

/** One event of `/events-stream`, parsed. */
export interface PubkyEvent {
  type: EventType;
  /** Whose tree changed. */
  user: PublicKey;
  /** The canonical path (`/pub/app/x.json`). */
  path: string;
  /** `pubky://<user><path>` */
  url: string;
  /** Opaque; pass it back as the user's cursor to resume after this event. */
  cursor: string;
  /** Standard base64 of the BLAKE3 of the new content (PUT only; same form as the ETag body). */
  contentHash: string | null;
}

/** One line of the `/events/` feed, parsed. */
export interface FeedEvent {
  type: EventType;
  user: PublicKey;
  path: string;
  url: string;
}

export interface EventsPage {
  events: FeedEvent[];
  /** The cursor to ask for the next page with; null when the page was empty (caught up). */
  cursor: string | null;
}

/**
 * The exact SSE message of an event: `event: PUT|DEL`, data lines `pubky://<user><path>`,
 * `cursor: <c>`, and for a PUT with a hash `content_hash: <base64>`, then the blank line.
 */
export function formatEventMessage(
  type: EventType,
  user: string,
  path: string,
  cursor: string | number,
  contentHash: string | null,
): string {
  const hash = type === 'PUT' && contentHash !== null ? `data: content_hash: ${contentHash}\n` : '';
  return `event: ${type}\ndata: pubky://${user}${path}\ndata: cursor: ${cursor}\n${hash}\n`;
}

/** One event line of the `/events/` feed: `PUT|DEL pubky://<user><path>`. */
export function formatFeedLine(type: EventType, user: string, path: string): string {
  return `${type} pubky://${user}${path}`;
}

/** The last line of a non-empty `/events/` page. */
export function formatFeedCursor(cursor: string | number): string {
  return `cursor: ${cursor}`;
}

function invalid(message: string): PubkyError {
  return commonError('invalid_event', message);
}

/** Splits `pubky://<z32>/<path>` into key and path; PubkyError `invalid_event` otherwise. */
export function parseEventUrl(url: string): { user: PublicKey; path: string } {
  const m = /^pubky:\/\/([^/]{52})(\/.*)$/.exec(url);
  if (!m) throw invalid(`event resource is not a pubky:// URL: ${JSON.stringify(url.slice(0, 120))}`);
  const user = PublicKey.tryParse(m[1]);
  if (!user || user.z32 !== m[1]) throw invalid(`event resource names an invalid key: ${JSON.stringify(m[1])}`);
  return { user, path: m[2] };
}

/** A cursor as the server writes it: 1..64 characters without white space. */
export function parseEventCursor(value: string): string {
  if (value === '' || value.length > 64 || /\s/.test(value)) throw invalid(`invalid event cursor ${JSON.stringify(value.slice(0, 80))}`);
  return value;
}

function parseHash(value: string): string {
  let bytes: Uint8Array;
  try {
    bytes = base64Decode(value);
  } catch {
    throw invalid(`content_hash is not base64: ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (bytes.length !== 32) throw invalid(`content_hash must be 32 bytes, got ${bytes.length}`);
  return value;
}

/**
 * Turns one SSE message of `/events-stream` into an event; PubkyError `invalid_event` says what is
 * wrong. Unknown extra `key: value` lines are ignored (room for the server to grow).
 */
export function parseEventMessage(msg: SseMessage): PubkyEvent {
  if (msg.event !== 'PUT' && msg.event !== 'DEL') throw invalid(`unknown event type ${JSON.stringify(msg.event.slice(0, 40))}`);
  const lines = msg.data.split('\n');
  const { user, path } = parseEventUrl(lines[0]);
  let cursor: string | null = null;
  let contentHash: string | null = null;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(': ');
    if (colon < 0) throw invalid(`malformed event line ${JSON.stringify(line.slice(0, 80))}`);
    const key = line.slice(0, colon);
    const value = line.slice(colon + 2);
    if (key === 'cursor') cursor = parseEventCursor(value);
    else if (key === 'content_hash') contentHash = parseHash(value);
  }
  if (cursor === null) throw invalid('event without a cursor');
  return { type: msg.event, user, path, url: `pubky://${user.z32}${path}`, cursor, contentHash };
}

function feedError(e: unknown): PubkyError {
  return commonError('invalid_events_feed', (e as Error).message);
}

/** Parses a `/events/` body: `PUT|DEL pubky://…` lines and a final `cursor: <c>` line (`invalid_events_feed`). */
export function parseEventsFeed(text: string): EventsPage {
  const events: FeedEvent[] = [];
  let cursor: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    if (line.startsWith('cursor: ')) {
      try {
        cursor = parseEventCursor(line.slice(8));
      } catch (e) {
        throw feedError(e);
      }
      continue;
    }
    const space = line.indexOf(' ');
    const type = line.slice(0, space);
    if (space < 0 || (type !== 'PUT' && type !== 'DEL')) {
      throw commonError('invalid_events_feed', `malformed feed line ${JSON.stringify(line.slice(0, 80))}`);
    }
    let parsed;
    try {
      parsed = parseEventUrl(line.slice(space + 1));
    } catch (e) {
      throw feedError(e);
    }
    events.push({ type, ...parsed, url: `pubky://${parsed.user.z32}${parsed.path}` });
  }
  if (events.length > 0 && cursor === null) throw commonError('invalid_events_feed', 'a non-empty feed page lacks its cursor line');
  return { events, cursor };
}
