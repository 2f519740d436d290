// The only code that writes the index: one transaction per fetched page of events, with the
// homeserver's cursor, so a kill at any moment leaves either the whole page or none of it.
import { parseAppPath, parseTimestampId, type AppRecord } from '@pubky-ts/client';
import { postRef, tagTarget, type Change } from './changes.ts';
import type { Db } from './database.ts';

export interface BatchResult {
  applied: number;
  invalid: number;
  skipped: number;
  /** Posts created or edited by the batch, for the live stream. */
  posts: Array<{ author: string; id: string }>;
  /** Users the batch mentions (followed, tagged, replied to), for discovery. */
  mentioned: Set<string>;
}

export class IndexWriter {
  private readonly db: Db;
  private readonly s;
  readonly applyBatch: (homeserver: string, cursor: string, events: number, changes: Change[]) => BatchResult;

  constructor(db: Db) {
    this.db = db;
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      addHomeserver: p(`INSERT INTO homeservers (id, source, added_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`),
      cursor: p(
        `UPDATE homeservers SET cursor = ?, events = events + ?, applied = applied + ?, invalid = invalid + ?, skipped = skipped + ?, last_event_at = ? WHERE id = ?`,
      ),
      user: p(`INSERT INTO users (id, homeserver, indexed_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`),
      move: p(`UPDATE users SET homeserver = ? WHERE id = ?`),
      userSeq: p(`SELECT seq FROM users WHERE id = ?`),
      storedHome: p(`SELECT homeserver FROM users WHERE id = ?`),
      profile: p(`UPDATE users SET name = ?, bio = ?, image = ?, status = ?, links = ?, indexed_at = ? WHERE id = ?`),
      usersFtsDel: p(`DELETE FROM users_fts WHERE rowid = ?`),
      usersFtsAdd: p(`INSERT INTO users_fts (rowid, name, bio) VALUES (?, ?, ?)`),
      postSeq: p(`SELECT seq FROM posts WHERE author = ? AND id = ?`),
      postInsert: p(
        `INSERT INTO posts (author, id, created_at, kind, content, parent_author, parent_id, embed_author, embed_id, attachments, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      postUpdate: p(
        `UPDATE posts SET kind = ?, content = ?, parent_author = ?, parent_id = ?, embed_author = ?, embed_id = ?, attachments = ?, indexed_at = ? WHERE seq = ?`,
      ),
      postDelete: p(`DELETE FROM posts WHERE seq = ?`),
      postsFtsDel: p(`DELETE FROM posts_fts WHERE rowid = ?`),
      postsFtsAdd: p(`INSERT INTO posts_fts (rowid, content) VALUES (?, ?)`),
      follow: p(
        `INSERT INTO follows (follower, followee, created_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET created_at = excluded.created_at`,
      ),
      unfollow: p(`DELETE FROM follows WHERE follower = ? AND followee = ?`),
      mute: p(`INSERT INTO mutes (muter, mutee, created_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET created_at = excluded.created_at`),
      unmute: p(`DELETE FROM mutes WHERE muter = ? AND mutee = ?`),
      tag: p(
        `INSERT INTO tags (tagger, id, uri, label, created_at, target_user, target_post) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET created_at = excluded.created_at`,
      ),
      untag: p(`DELETE FROM tags WHERE tagger = ? AND id = ?`),
      bookmark: p(
        `INSERT INTO bookmarks (user, id, uri, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET created_at = excluded.created_at`,
      ),
      unbookmark: p(`DELETE FROM bookmarks WHERE user = ? AND id = ?`),
      file: p(
        `INSERT INTO files (user, id, name, src, content_type, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET name = excluded.name, src = excluded.src, content_type = excluded.content_type, size = excluded.size`,
      ),
      unfile: p(`DELETE FROM files WHERE user = ? AND id = ?`),
      invalid: p(
        `INSERT INTO invalid_records (user, path, homeserver, reason, seen_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET reason = excluded.reason, homeserver = excluded.homeserver, seen_at = excluded.seen_at`,
      ),
      valid: p(`DELETE FROM invalid_records WHERE user = ? AND path = ?`),
    };
    this.applyBatch = db.transaction((homeserver: string, cursor: string, events: number, changes: Change[]) => {
      const now = Date.now();
      const result: BatchResult = { applied: 0, invalid: 0, skipped: 0, posts: [], mentioned: new Set() };
      for (const c of changes) {
        if (c.op === 'skip') {
          result.skipped++;
          continue;
        }
        this.s.user.run(c.user, homeserver, now);
        if (c.op === 'move') {
          this.s.move.run(homeserver, c.user);
          continue;
        }
        // Checked inside the transaction: a user's rows come from one homeserver at a time, so a
        // mirror's copy or an old home's late writes never interleave with the home's.
        const stored = this.storedHomeOf(c.user);
        if (stored !== null && stored !== homeserver) {
          result.skipped++;
          continue;
        }
        if (c.op === 'invalid') {
          this.remove(c.user, c.path);
          this.s.invalid.run(c.user, c.path, homeserver, c.reason, now);
          result.invalid++;
          continue;
        }
        this.s.valid.run(c.user, c.path);
        if (c.op === 'del') this.remove(c.user, c.path);
        else this.put(c.user, c.record, now, result);
        result.applied++;
      }
      const r = this.s.cursor.run(cursor, events, result.applied, result.invalid, result.skipped, now, homeserver);
      if (r.changes !== 1) throw new Error(`homeserver ${homeserver} is not in the index`);
      return result;
    });
  }

  /** The homeserver the index took this user's rows from, or null for a user it has not seen. */
  storedHomeOf(user: string): string | null {
    return (this.s.storedHome.get(user) as { homeserver: string | null } | undefined)?.homeserver ?? null;
  }

  /** Registers a homeserver to follow (no-op when known); returns whether it was new. */
  addHomeserver(id: string, source: 'config' | 'discovered'): boolean {
    return this.s.addHomeserver.run(id, source, Date.now()).changes === 1;
  }

  private put(user: string, rec: AppRecord, now: number, result: BatchResult): void {
    const s = this.s;
    switch (rec.kind) {
      case 'user': {
        const v = rec.value;
        s.profile.run(v.name, v.bio ?? null, v.image ?? null, v.status ?? null, v.links ? JSON.stringify(v.links) : null, now, user);
        const row = s.userSeq.get(user) as { seq: number };
        s.usersFtsDel.run(row.seq);
        s.usersFtsAdd.run(row.seq, v.name, v.bio ?? '');
        return;
      }
      case 'post': {
        const v = rec.value;
        const parent = postRef(v.parent);
        const embed = postRef(v.embed?.uri);
        const attachments = v.attachments?.length ? JSON.stringify(v.attachments) : null;
        const existing = s.postSeq.get(user, rec.id) as { seq: number } | undefined;
        let seq: number;
        if (existing) {
          seq = existing.seq;
          s.postUpdate.run(
            v.kind,
            v.content,
            parent?.author ?? null,
            parent?.id ?? null,
            embed?.author ?? null,
            embed?.id ?? null,
            attachments,
            now,
            seq,
          );
          s.postsFtsDel.run(seq);
        } else {
          const createdAt = parseTimestampId(rec.id)!;
          seq = Number(
            s.postInsert.run(
              user,
              rec.id,
              createdAt,
              v.kind,
              v.content,
              parent?.author ?? null,
              parent?.id ?? null,
              embed?.author ?? null,
              embed?.id ?? null,
              attachments,
              now,
            ).lastInsertRowid,
          );
        }
        s.postsFtsAdd.run(seq, v.content);
        result.posts.push({ author: user, id: rec.id });
        if (parent) result.mentioned.add(parent.author);
        if (embed) result.mentioned.add(embed.author);
        return;
      }
      case 'follow':
        s.follow.run(user, rec.id, rec.value.created_at);
        result.mentioned.add(rec.id);
        return;
      case 'mute':
        s.mute.run(user, rec.id, rec.value.created_at);
        return;
      case 'tag': {
        const t = tagTarget(rec.value.uri);
        s.tag.run(user, rec.id, rec.value.uri, rec.value.label, rec.value.created_at, t.user, t.post);
        if (t.user) result.mentioned.add(t.user);
        return;
      }
      case 'bookmark':
        s.bookmark.run(user, rec.id, rec.value.uri, rec.value.created_at);
        return;
      case 'file': {
        const v = rec.value;
        s.file.run(user, rec.id, v.name, v.src, v.content_type, v.size, v.created_at);
        return;
      }
      // Blobs, feeds and last_read are valid records the API does not serve: checked, not stored.
      case 'blob':
      case 'feed':
      case 'last_read':
        return;
    }
  }

  private remove(user: string, path: string): void {
    const at = parseAppPath(path);
    if (!at) return;
    const s = this.s;
    switch (at.kind) {
      case 'user': {
        const row = s.userSeq.get(user) as { seq: number } | undefined;
        s.profile.run(null, null, null, null, null, Date.now(), user);
        if (row) s.usersFtsDel.run(row.seq);
        return;
      }
      case 'post': {
        const row = s.postSeq.get(user, at.id) as { seq: number } | undefined;
        if (!row) return;
        s.postDelete.run(row.seq);
        s.postsFtsDel.run(row.seq);
        return;
      }
      case 'follow':
        s.unfollow.run(user, at.id);
        return;
      case 'mute':
        s.unmute.run(user, at.id);
        return;
      case 'tag':
        s.untag.run(user, at.id);
        return;
      case 'bookmark':
        s.unbookmark.run(user, at.id);
        return;
      case 'file':
        s.unfile.run(user, at.id);
        return;
      default:
        return;
    }
  }
}
