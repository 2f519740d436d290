// A typed client for the indexer API (fetch only: runs in browsers too).
import { PubkyError } from '@pubky-ts/common';
import type { FollowerStatus } from './follow/homeserver-follower.ts';
import type { Page, PostView, ProfileView, TagView, UserView } from './store/index-reader.ts';

/** The API answered with an error: `code` is the catalogue's (`user_not_found`, `invalid_limit`, …). */
export class IndexerClientError extends PubkyError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.name = 'IndexerClientError';
    this.status = status;
  }
}

export interface PageOptions {
  cursor?: string;
  limit?: number;
}

type Key = string | { z32: string };
const k = (u: Key) => (typeof u === 'string' ? u : u.z32);

export class IndexerClient {
  readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(baseUrl: string, options: { fetch?: typeof fetch } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((i, init) => globalThis.fetch(i, init));
  }

  private async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [key, v] of Object.entries(query)) if (v !== undefined) q.set(key, String(v));
    const qs = q.toString();
    const res = await this.fetchFn(`${this.baseUrl}${path}${qs ? `?${qs}` : ''}`, { headers: { accept: 'application/json' } });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new IndexerClientError(res.status, 'invalid_response', `the indexer answered ${res.status} with a body that is not JSON`);
    }
    if (!res.ok) {
      const e = body as { error?: string; message?: string };
      throw new IndexerClientError(res.status, e.error ?? 'http_error', e.message ?? `HTTP ${res.status}`);
    }
    return body as T;
  }

  profile(user: Key): Promise<ProfileView> {
    return this.get(`/v0/users/${k(user)}`);
  }
  followers(user: Key, o: PageOptions = {}): Promise<Page<string>> {
    return this.get(`/v0/users/${k(user)}/followers`, { ...o });
  }
  following(user: Key, o: PageOptions = {}): Promise<Page<string>> {
    return this.get(`/v0/users/${k(user)}/following`, { ...o });
  }
  friends(user: Key, o: PageOptions = {}): Promise<Page<string>> {
    return this.get(`/v0/users/${k(user)}/friends`, { ...o });
  }
  posts(user: Key, o: PageOptions = {}): Promise<Page<PostView>> {
    return this.get(`/v0/users/${k(user)}/posts`, { ...o });
  }
  feed(user: Key, o: PageOptions = {}): Promise<Page<PostView>> {
    return this.get(`/v0/users/${k(user)}/feed`, { ...o });
  }
  userTags(user: Key, o: { limit?: number } = {}): Promise<{ tags: TagView[] }> {
    return this.get(`/v0/users/${k(user)}/tags`, { ...o });
  }
  whoToFollow(
    user: Key,
    o: { limit?: number } = {},
  ): Promise<{ users: Array<{ user: string; via: number; sharedTags: number; score: number }> }> {
    return this.get(`/v0/users/${k(user)}/who-to-follow`, { ...o });
  }
  latestPosts(o: PageOptions = {}): Promise<Page<PostView>> {
    return this.get('/v0/posts', { ...o });
  }
  post(author: Key, id: string, o: { limit?: number } = {}): Promise<{ post: PostView; tags: TagView[]; replies: Page<PostView> }> {
    return this.get(`/v0/posts/${k(author)}/${encodeURIComponent(id)}`, { ...o });
  }
  replies(author: Key, id: string, o: PageOptions = {}): Promise<Page<PostView>> {
    return this.get(`/v0/posts/${k(author)}/${encodeURIComponent(id)}/replies`, { ...o });
  }
  postTags(author: Key, id: string, o: { limit?: number } = {}): Promise<{ tags: TagView[] }> {
    return this.get(`/v0/posts/${k(author)}/${encodeURIComponent(id)}/tags`, { ...o });
  }
  hotTags(o: { since?: number; limit?: number } = {}): Promise<{ tags: Array<{ label: string; taggers: number; uses: number }> }> {
    return this.get('/v0/tags/hot', { ...o });
  }
  searchPosts(q: string, o: PageOptions = {}): Promise<Page<PostView>> {
    return this.get('/v0/search/posts', { q, ...o });
  }
  searchUsers(q: string, o: PageOptions = {}): Promise<Page<UserView>> {
    return this.get('/v0/search/users', { q, ...o });
  }
  status(): Promise<{
    homeservers: Array<Record<string, unknown> & { id: string; cursor: string; follower: FollowerStatus | null }>;
    recentInvalid: Array<{ user: string; path: string; reason: string }>;
  }> {
    return this.get('/status');
  }
}
