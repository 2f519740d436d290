// Validation of pubky.app records against pubky-app-specs 0.x: every rule gives a reason, so an
// indexer can count and report what it refused instead of storing half of it.
import { PublicKey } from '@pubky-ts/common';
import { bookmarkId, isHashIdShape, parseTimestampId, tagId } from './ids.ts';
import { POST_KINDS, PUBKY_APP_ROOT, type AppPath, type AppRecord, type PostKind } from './records.ts';

export type Validation = { ok: true; record: AppRecord } | { ok: false; reason: string };

/** Largest body an indexer needs to read: a long post of 50,000 scalars of up to 4 bytes, plus JSON. */
export const MAX_RECORD_BYTES = 256 * 1024;
const MAX_FILE_SIZE = 10 * 1024 * 1024;
const DELETED = '[DELETED]';

class Invalid extends Error {}
const fail = (reason: string): never => {
  throw new Invalid(reason);
};

/** Length in Unicode scalars (what the Rust specs count), not UTF-16 units. */
const scalars = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** The shape of a path under `/pub/pubky.app/`; null when it is not one pubky.app defines. */
export function parseAppPath(path: string): AppPath | null {
  if (!path.startsWith(PUBKY_APP_ROOT)) return null;
  const rest = path.slice(PUBKY_APP_ROOT.length);
  if (rest === 'profile.json') return { kind: 'user' };
  if (rest === 'last_read') return { kind: 'last_read' };
  const m = /^(posts|tags|bookmarks|follows|mutes|files|blobs|feeds)\/([^/]+)$/.exec(rest);
  if (!m) return null;
  const kinds = {
    posts: 'post',
    tags: 'tag',
    bookmarks: 'bookmark',
    follows: 'follow',
    mutes: 'mute',
    files: 'file',
    blobs: 'blob',
    feeds: 'feed',
  } as const;
  return { kind: kinds[m[1] as keyof typeof kinds], id: m[2] };
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function string(o: Record<string, unknown>, key: string, opts: { min?: number; max: number; optional?: boolean }): string | null {
  const v = o[key];
  if (v === undefined || v === null) {
    if (opts.optional) return null;
    fail(`${key} is required`);
  }
  if (typeof v !== 'string') fail(`${key} must be a string`);
  const n = scalars(v as string);
  if (n < (opts.min ?? 0)) fail(`${key} must have at least ${opts.min} characters, has ${n}`);
  if (n > opts.max) fail(`${key} must have at most ${opts.max} characters, has ${n}`);
  return v as string;
}

function url(
  o: Record<string, unknown>,
  key: string,
  max: number,
  optional: boolean,
  protocols = ['pubky:', 'http:', 'https:'],
): string | null {
  const v = string(o, key, { max, optional });
  if (v === null) return null;
  checkUrl(v, key, protocols);
  return v;
}

function checkUrl(v: string, what: string, protocols: string[]): void {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return fail(`${what} is not a valid URL`);
  }
  if (!protocols.includes(u.protocol)) fail(`${what} must use ${protocols.join(' or ')}, not ${u.protocol}`);
}

function integer(o: Record<string, unknown>, key: string, min = 0): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(`${key} must be an integer`);
  if ((v as number) < min) fail(`${key} must be at least ${min}`);
  return v as number;
}

function timestampIdOf(id: string, what: string): void {
  if (parseTimestampId(id) === null) fail(`${what} id ${JSON.stringify(id.slice(0, 40))} is not a 13-character Crockford timestamp id`);
}

/** A `pubky://<z32>/…` URI: returns the user key and path. */
export function parsePubkyUri(uri: string): { user: string; path: string } | null {
  const m = /^pubky:\/\/([a-z0-9]{52})(\/[^?#]*)?$/.exec(uri);
  if (!m || !PublicKey.tryParse(m[1])) return null;
  return { user: m[1], path: m[2] ?? '' };
}

function pubkyUri(v: string, what: string): void {
  if (!parsePubkyUri(v)) fail(`${what} must be a pubky://<user>/… URI`);
}

function user(value: Record<string, unknown>) {
  const name = string(value, 'name', { min: 3, max: 50 })!;
  if (name.trim() === DELETED) fail('name cannot be "[DELETED]"');
  string(value, 'bio', { max: 160, optional: true });
  url(value, 'image', 300, true);
  string(value, 'status', { max: 50, optional: true });
  const links = value.links;
  if (links !== undefined && links !== null) {
    if (!Array.isArray(links)) fail('links must be an array');
    if ((links as unknown[]).length > 5) fail('at most 5 links');
    (links as unknown[]).forEach((l, i) => {
      const link = object(l, `links[${i}]`);
      string(link, 'title', { max: 100 });
      url(link, 'url', 300, false);
    });
  }
}

function post(value: Record<string, unknown>) {
  const kind = value.kind;
  if (typeof kind !== 'string' || !(POST_KINDS as readonly string[]).includes(kind)) fail(`kind must be one of ${POST_KINDS.join(', ')}`);
  const max = kind === 'long' ? 50_000 : kind === 'collection' ? 40_000 : 2_000;
  const content = string(value, 'content', { max })!;
  if (content === DELETED) fail('content cannot be "[DELETED]"');
  const parent = string(value, 'parent', { max: 1024, optional: true });
  if (parent !== null) pubkyUri(parent, 'parent');
  if (value.embed !== undefined && value.embed !== null) {
    const embed = object(value.embed, 'embed');
    if (typeof embed.kind !== 'string' || !(POST_KINDS as readonly string[]).includes(embed.kind)) fail('embed.kind must be a post kind');
    const uri = string(embed, 'uri', { max: 1024 })!;
    pubkyUri(uri, 'embed.uri');
  }
  const attachments = value.attachments;
  if (attachments !== undefined && attachments !== null) {
    if (!Array.isArray(attachments)) fail('attachments must be an array');
    (attachments as unknown[]).forEach((a, i) => {
      if (typeof a !== 'string') fail(`attachments[${i}] must be a string`);
      checkUrl(a as string, `attachments[${i}]`, ['pubky:', 'http:', 'https:']);
    });
  }
  const lock = string(value, 'lock', { max: 200, optional: true });
  if (lock !== null) pubkyUri(lock, 'lock');
  if (kind === 'collection' && (parent !== null || value.embed || (Array.isArray(attachments) && attachments.length > 0))) {
    fail('a collection has no parent, embed or attachments');
  }
}

/** Tag labels: trimmed, lowercase, 1..20 characters, no whitespace, `,` or `:`. */
export function tagLabelProblem(label: string): string | null {
  const n = scalars(label);
  if (n < 1 || n > 20) return `label must have 1 to 20 characters, has ${n}`;
  if (label !== label.trim().toLowerCase()) return 'label must be trimmed and lowercase';
  if (/[\s,:]/u.test(label)) return 'label cannot contain whitespace, "," or ":"';
  return null;
}

async function tag(id: string, value: Record<string, unknown>) {
  const uri = string(value, 'uri', { max: 1024 })!;
  checkUrl(uri, 'uri', ['pubky:', 'http:', 'https:']);
  const label = string(value, 'label', { max: 1000 })!;
  const problem = tagLabelProblem(label);
  if (problem) fail(problem);
  integer(value, 'created_at');
  const expected = await tagId(uri, label);
  if (id !== expected) fail(`tag id ${JSON.stringify(id.slice(0, 40))} is not the hash id of "uri:label" (${expected})`);
}

async function bookmark(id: string, value: Record<string, unknown>) {
  const uri = string(value, 'uri', { max: 1024 })!;
  checkUrl(uri, 'uri', ['pubky:', 'http:', 'https:']);
  integer(value, 'created_at');
  const expected = await bookmarkId(uri);
  if (id !== expected) fail(`bookmark id ${JSON.stringify(id.slice(0, 40))} is not the hash id of its uri (${expected})`);
}

function file(value: Record<string, unknown>) {
  string(value, 'name', { min: 1, max: 255 });
  integer(value, 'created_at');
  url(value, 'src', 1024, false);
  const type = string(value, 'content_type', { max: 255 })!;
  if (!/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;.*)?$/i.test(type))
    fail('content_type must be a MIME type (type/subtype)');
  const size = integer(value, 'size', 1);
  if (size > MAX_FILE_SIZE) fail(`size must be at most ${MAX_FILE_SIZE} bytes`);
}

function parseJson(body: Uint8Array | string): unknown {
  if (typeof body !== 'string' && body.length > MAX_RECORD_BYTES) fail(`body is ${body.length} bytes, more than ${MAX_RECORD_BYTES}`);
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return fail('body is not UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    return fail('body is not JSON');
  }
}

/**
 * Checks one file of the pubky.app tree: its path shape, id rule and JSON fields. Never throws for
 * bad input; the reason says which rule failed.
 */
export async function validateAppRecord(path: string, body: Uint8Array | string): Promise<Validation> {
  try {
    const at = parseAppPath(path);
    if (!at) return fail(`${path.slice(0, 120)} is not a pubky.app path`);
    if (at.kind === 'blob') {
      if (!isHashIdShape(at.id) && parseTimestampId(at.id) === null) fail('blob id must be a hash id or a timestamp id');
      return { ok: true, record: { kind: 'blob', id: at.id } };
    }
    const value = object(parseJson(body), 'the record');
    switch (at.kind) {
      case 'user':
        user(value);
        return { ok: true, record: { kind: 'user', value: value as never } };
      case 'post':
        timestampIdOf(at.id, 'post');
        post(value);
        return { ok: true, record: { kind: 'post', id: at.id, value: value as never } };
      case 'tag':
        await tag(at.id, value);
        return { ok: true, record: { kind: 'tag', id: at.id, value: value as never } };
      case 'bookmark':
        await bookmark(at.id, value);
        return { ok: true, record: { kind: 'bookmark', id: at.id, value: value as never } };
      case 'follow':
      case 'mute':
        if (!PublicKey.tryParse(at.id) || !/^[a-z0-9]{52}$/.test(at.id)) fail(`${at.kind} id must be a user's z32 key`);
        integer(value, 'created_at');
        return { ok: true, record: { kind: at.kind, id: at.id, value: value as never } };
      case 'file':
        timestampIdOf(at.id, 'file');
        file(value);
        return { ok: true, record: { kind: 'file', id: at.id, value: value as never } };
      case 'feed':
        if (!isHashIdShape(at.id)) fail('feed id must be a 26-character hash id');
        object(value.feed, 'feed');
        string(value, 'name', { min: 1, max: 100 });
        integer(value, 'created_at');
        return { ok: true, record: { kind: 'feed', id: at.id, value } };
      case 'last_read':
        integer(value, 'timestamp', 1);
        return { ok: true, record: { kind: 'last_read', value: value as never } };
    }
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, reason: e.message };
    return { ok: false, reason: `unreadable record: ${(e as Error).message}` };
  }
}

export type { PostKind };
