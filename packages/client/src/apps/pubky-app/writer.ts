// Typed helpers that write pubky.app records the way the app does: the id from the spec's rules,
// the JSON validated before it leaves, one PUT per record.
import { nowMicros, PublicKey } from '@pubky-ts/common';
import { ClientError } from '../../errors.ts';
import type { SessionStorage } from '../../storage.ts';
import { bookmarkId, tagId, timestampId } from './ids.ts';
import { PUBKY_APP_ROOT, type AppFile, type AppPost, type AppUser, type PostKind } from './records.ts';
import { validateAppRecord } from './validate.ts';

export interface Written {
  /** Path in the author's tree (`/pub/pubky.app/posts/0034…`). */
  path: string;
  /** `pubky://<author><path>`: what other records point at. */
  uri: string;
  id: string;
}

export interface NewPost {
  content: string;
  kind?: PostKind;
  /** Reply to this post (`pubky://…/posts/<id>` or a Written). */
  parent?: string | Written;
  /** Repost this post. */
  embed?: { kind: PostKind; uri: string | Written };
  attachments?: string[];
}

const uriOf = (u: string | Written) => (typeof u === 'string' ? u : u.uri);
const keyOf = (u: PublicKey | string) => (typeof u === 'string' ? PublicKey.parse(u) : u).z32;

/** A user's pubky.app data, written through their session's storage. */
export class PubkyAppWriter {
  readonly user: PublicKey;
  private readonly storage: SessionStorage;

  /** `session`: a Session (or anything with its `publicKey` and `storage`). */
  constructor(session: { publicKey: PublicKey; storage: SessionStorage }) {
    this.storage = session.storage;
    this.user = session.publicKey;
  }

  private async put(path: string, value: unknown, id: string): Promise<Written> {
    const checked = await validateAppRecord(path, JSON.stringify(value));
    if (!checked.ok) throw new ClientError('invalid_argument', `not a valid pubky.app record at ${path}: ${checked.reason}`);
    await this.storage.putJson(path, value);
    return { path, uri: `pubky://${this.user.z32}${path}`, id };
  }

  private async remove(path: string): Promise<void> {
    await this.storage.delete(path);
  }

  setProfile(profile: AppUser): Promise<Written> {
    return this.put(`${PUBKY_APP_ROOT}profile.json`, profile, 'profile.json');
  }

  /** A new post (reply when `parent` is set, repost when `embed` is set), under a fresh timestamp id. */
  post(post: NewPost): Promise<Written> {
    const id = timestampId();
    const value: AppPost = { content: post.content, kind: post.kind ?? 'short' };
    if (post.parent !== undefined) value.parent = uriOf(post.parent);
    if (post.embed !== undefined) value.embed = { kind: post.embed.kind, uri: uriOf(post.embed.uri) };
    if (post.attachments !== undefined) value.attachments = post.attachments;
    return this.put(`${PUBKY_APP_ROOT}posts/${id}`, value, id);
  }

  /** Rewrites an existing post (same id). */
  editPost(id: string, post: AppPost): Promise<Written> {
    return this.put(`${PUBKY_APP_ROOT}posts/${id}`, post, id);
  }

  deletePost(id: string): Promise<void> {
    return this.remove(`${PUBKY_APP_ROOT}posts/${id}`);
  }

  follow(user: PublicKey | string): Promise<Written> {
    const id = keyOf(user);
    return this.put(`${PUBKY_APP_ROOT}follows/${id}`, { created_at: nowMicros() }, id);
  }

  unfollow(user: PublicKey | string): Promise<void> {
    return this.remove(`${PUBKY_APP_ROOT}follows/${keyOf(user)}`);
  }

  mute(user: PublicKey | string): Promise<Written> {
    const id = keyOf(user);
    return this.put(`${PUBKY_APP_ROOT}mutes/${id}`, { created_at: nowMicros() }, id);
  }

  unmute(user: PublicKey | string): Promise<void> {
    return this.remove(`${PUBKY_APP_ROOT}mutes/${keyOf(user)}`);
  }

  /** Tags a post or a user (`pubky://<user>` or a post URI); the label is trimmed and lowercased as the spec asks. */
  async tag(target: string | Written | PublicKey, label: string): Promise<Written> {
    const uri = target instanceof PublicKey ? `pubky://${target.z32}` : uriOf(target);
    const clean = label.trim().toLowerCase();
    const id = await tagId(uri, clean);
    return this.put(`${PUBKY_APP_ROOT}tags/${id}`, { uri, label: clean, created_at: nowMicros() }, id);
  }

  async untag(target: string | Written | PublicKey, label: string): Promise<void> {
    const uri = target instanceof PublicKey ? `pubky://${target.z32}` : uriOf(target);
    await this.remove(`${PUBKY_APP_ROOT}tags/${await tagId(uri, label.trim().toLowerCase())}`);
  }

  async bookmark(target: string | Written): Promise<Written> {
    const uri = uriOf(target);
    const id = await bookmarkId(uri);
    return this.put(`${PUBKY_APP_ROOT}bookmarks/${id}`, { uri, created_at: nowMicros() }, id);
  }

  /** File metadata pointing at an already uploaded blob. */
  file(meta: Omit<AppFile, 'created_at'>): Promise<Written> {
    const id = timestampId();
    return this.put(`${PUBKY_APP_ROOT}files/${id}`, { ...meta, created_at: nowMicros() }, id);
  }
}
