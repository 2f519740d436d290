// The API's routes: each a named handler from (request context) to a JSON body. The table also
// feeds the OpenAPI document, so the two cannot disagree.
import { apiError } from '../errors.ts';
import type { IndexReader } from '../store/index-reader.ts';
import type { FollowerStatus } from '../follow/homeserver-follower.ts';
import { limit, offsetCursor, postCursor, postId, searchQuery, since, userCursor, userKey } from './params.ts';

export interface RouteContext {
  reader: IndexReader;
  params: Record<string, string | undefined>;
  query: URLSearchParams;
  status: () => { homeservers: FollowerStatus[] };
}

export interface Route {
  path: string;
  summary: string;
  /** Query parameters it reads (documented in OpenAPI). */
  query: Array<'cursor' | 'limit' | 'q' | 'since'>;
  /** What the 200 body is. */
  returns: string;
  handler: (ctx: RouteContext) => unknown;
}

function requireUser(ctx: RouteContext): string {
  const id = userKey(ctx.params.user);
  if (!ctx.reader.user(id))
    throw apiError('user_not_found', `the index has not seen ${id}: not on a followed homeserver yet, or no pubky.app data`);
  return id;
}

export function getProfile(ctx: RouteContext) {
  return ctx.reader.profile(requireUser(ctx));
}

export function getFollowers(ctx: RouteContext) {
  return ctx.reader.relations(requireUser(ctx), 'followers', userCursor(ctx.query), limit(ctx.query));
}

export function getFollowing(ctx: RouteContext) {
  return ctx.reader.relations(requireUser(ctx), 'following', userCursor(ctx.query), limit(ctx.query));
}

export function getFriends(ctx: RouteContext) {
  return ctx.reader.relations(requireUser(ctx), 'friends', userCursor(ctx.query), limit(ctx.query));
}

export function getUserPosts(ctx: RouteContext) {
  return ctx.reader.userPosts(requireUser(ctx), postCursor(ctx.query), limit(ctx.query));
}

export function getHomeFeed(ctx: RouteContext) {
  return ctx.reader.homeFeed(requireUser(ctx), postCursor(ctx.query), limit(ctx.query));
}

export function getUserTags(ctx: RouteContext) {
  return { tags: ctx.reader.tagsOf(requireUser(ctx), null, limit(ctx.query, 100, 10)) };
}

export function getWhoToFollow(ctx: RouteContext) {
  return { users: ctx.reader.whoToFollow(requireUser(ctx), limit(ctx.query)) };
}

function requirePost(ctx: RouteContext) {
  const author = userKey(ctx.params.user);
  const id = postId(ctx.params.post);
  const post = ctx.reader.post(author, id);
  if (!post) throw apiError('post_not_found', `the index has no post ${id} by ${author}`);
  return post;
}

export function getPost(ctx: RouteContext) {
  const post = requirePost(ctx);
  return {
    post,
    tags: ctx.reader.tagsOf(post.author, post.id, 10),
    replies: ctx.reader.replies(post.author, post.id, null, limit(ctx.query)),
  };
}

export function getReplies(ctx: RouteContext) {
  const post = requirePost(ctx);
  return ctx.reader.replies(post.author, post.id, postCursor(ctx.query), limit(ctx.query));
}

export function getPostTags(ctx: RouteContext) {
  const post = requirePost(ctx);
  return { tags: ctx.reader.tagsOf(post.author, post.id, limit(ctx.query, 100, 10)) };
}

export function getLatestPosts(ctx: RouteContext) {
  return ctx.reader.latestPosts(postCursor(ctx.query), limit(ctx.query));
}

export function getHotTags(ctx: RouteContext) {
  return { tags: ctx.reader.hotTags(since(ctx.query), limit(ctx.query)) };
}

export function searchPosts(ctx: RouteContext) {
  return ctx.reader.searchPosts(searchQuery(ctx.query), offsetCursor(ctx.query), limit(ctx.query));
}

export function searchUsers(ctx: RouteContext) {
  return ctx.reader.searchUsers(searchQuery(ctx.query), offsetCursor(ctx.query), limit(ctx.query));
}

export function getStatus(ctx: RouteContext) {
  const live = new Map(ctx.status().homeservers.map((s) => [s.homeserver, s]));
  return {
    homeservers: ctx.reader.homeservers().map((h) => ({ ...h, follower: live.get(h.id) ?? null })),
    recentInvalid: ctx.reader.invalidRecords(limit(ctx.query, 100, 20)),
  };
}

export const ROUTES: Route[] = [
  {
    path: '/v0/users/:user',
    summary: "a user's profile with counts (posts, followers, following, friends, tags, replies)",
    query: [],
    returns: 'Profile',
    handler: getProfile,
  },
  {
    path: '/v0/users/:user/followers',
    summary: 'who follows the user',
    query: ['cursor', 'limit'],
    returns: 'UserKeyPage',
    handler: getFollowers,
  },
  {
    path: '/v0/users/:user/following',
    summary: 'whom the user follows',
    query: ['cursor', 'limit'],
    returns: 'UserKeyPage',
    handler: getFollowing,
  },
  {
    path: '/v0/users/:user/friends',
    summary: 'users who follow the user and whom the user follows back',
    query: ['cursor', 'limit'],
    returns: 'UserKeyPage',
    handler: getFriends,
  },
  {
    path: '/v0/users/:user/posts',
    summary: "the user's posts, newest first",
    query: ['cursor', 'limit'],
    returns: 'PostPage',
    handler: getUserPosts,
  },
  {
    path: '/v0/users/:user/feed',
    summary: 'home feed: posts of the users the user follows (not muted), newest first',
    query: ['cursor', 'limit'],
    returns: 'PostPage',
    handler: getHomeFeed,
  },
  {
    path: '/v0/users/:user/tags',
    summary: 'labels others put on the user, with who tagged',
    query: ['limit'],
    returns: 'TagList',
    handler: getUserTags,
  },
  {
    path: '/v0/users/:user/who-to-follow',
    summary: 'users followed by the people the user follows, ranked by how many of them and by the tag labels the user shares with them',
    query: ['limit'],
    returns: 'Suggestions',
    handler: getWhoToFollow,
  },
  {
    path: '/v0/posts',
    summary: 'every indexed post, newest first',
    query: ['cursor', 'limit'],
    returns: 'PostPage',
    handler: getLatestPosts,
  },
  {
    path: '/v0/posts/:user/:post',
    summary: 'a post with its tags and first replies',
    query: ['limit'],
    returns: 'PostThread',
    handler: getPost,
  },
  {
    path: '/v0/posts/:user/:post/replies',
    summary: 'replies to a post, oldest first',
    query: ['cursor', 'limit'],
    returns: 'PostPage',
    handler: getReplies,
  },
  {
    path: '/v0/posts/:user/:post/tags',
    summary: 'labels on a post, with who tagged',
    query: ['limit'],
    returns: 'TagList',
    handler: getPostTags,
  },
  {
    path: '/v0/tags/hot',
    summary: 'labels used by the most distinct taggers (since a time)',
    query: ['since', 'limit'],
    returns: 'HotTags',
    handler: getHotTags,
  },
  {
    path: '/v0/search/posts',
    summary: 'full-text search over posts (all words, the last as a prefix), most recently indexed first',
    query: ['q', 'cursor', 'limit'],
    returns: 'PostPage',
    handler: searchPosts,
  },
  {
    path: '/v0/search/users',
    summary: 'full-text search over user names and bios',
    query: ['q', 'cursor', 'limit'],
    returns: 'UserPage',
    handler: searchUsers,
  },
  {
    path: '/status',
    summary: 'per homeserver: cursor, events, refusals, lag and errors; the latest refused records',
    query: ['limit'],
    returns: 'Status',
    handler: getStatus,
  },
];
