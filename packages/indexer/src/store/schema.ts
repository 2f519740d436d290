// The index's tables. Counts are never stored: they are COUNT(*) over indexed rows, so they cannot
// drift from the graph (pubky-nexus#936). Each homeserver's cursor lives in `homeservers` and moves
// in the same transaction as the rows its events produced (pubky-nexus#865).
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS homeservers (
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  cursor TEXT NOT NULL DEFAULT '0',
  events INTEGER NOT NULL DEFAULT 0,
  applied INTEGER NOT NULL DEFAULT 0,
  invalid INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  added_at INTEGER NOT NULL,
  last_event_at INTEGER
);
CREATE TABLE IF NOT EXISTS users (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  homeserver TEXT,
  name TEXT, bio TEXT, image TEXT, status TEXT, links TEXT,
  indexed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS posts (
  seq INTEGER PRIMARY KEY,
  author TEXT NOT NULL,
  id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  content TEXT NOT NULL,
  parent_author TEXT, parent_id TEXT,
  embed_author TEXT, embed_id TEXT,
  attachments TEXT,
  indexed_at INTEGER NOT NULL,
  UNIQUE (author, id)
);
CREATE INDEX IF NOT EXISTS posts_by_author ON posts (author, created_at DESC, seq DESC);
CREATE INDEX IF NOT EXISTS posts_by_parent ON posts (parent_author, parent_id, created_at) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS posts_by_time ON posts (created_at DESC, seq DESC);
CREATE TABLE IF NOT EXISTS follows (follower TEXT NOT NULL, followee TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (follower, followee)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS follows_by_followee ON follows (followee, follower);
CREATE TABLE IF NOT EXISTS mutes (muter TEXT NOT NULL, mutee TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (muter, mutee)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tags (
  tagger TEXT NOT NULL, id TEXT NOT NULL,
  uri TEXT NOT NULL, label TEXT NOT NULL, created_at INTEGER NOT NULL,
  target_user TEXT, target_post TEXT,
  PRIMARY KEY (tagger, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_by_target ON tags (target_user, target_post, label);
CREATE INDEX IF NOT EXISTS tags_by_label ON tags (label, created_at);
CREATE TABLE IF NOT EXISTS bookmarks (user TEXT NOT NULL, id TEXT NOT NULL, uri TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (user, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (user TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, src TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (user, id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS invalid_records (
  user TEXT NOT NULL, path TEXT NOT NULL, homeserver TEXT NOT NULL, reason TEXT NOT NULL, seen_at INTEGER NOT NULL,
  PRIMARY KEY (user, path)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS posts_fts USING fts5 (content, content='', contentless_delete=1);
CREATE VIRTUAL TABLE IF NOT EXISTS users_fts USING fts5 (name, bio, content='', contentless_delete=1);
`;
