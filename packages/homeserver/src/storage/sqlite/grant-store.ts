import { base64urlEncode, nowMicros, randomBytes, BEARER_TOKEN } from '@pubky-ts/common';
import { storageErrors } from '../errors.ts';
import { bearerHash, GRANT_COLUMNS, grantFromRow, type GrantRow } from '../grant-row.ts';
import type { GrantRecord, GrantSessionRecord, GrantStore, NewGrant } from '../types.ts';
import type { SqliteContext } from './context.ts';

interface SessionRow {
  id: number;
  grant_id: string;
  expires_at: number;
  created_at: number;
}

function sessionFromRow(r: SessionRow): GrantSessionRecord {
  return { id: r.id, grantId: r.grant_id, expiresAt: r.expires_at, createdAt: r.created_at };
}

const nowSec = () => Math.floor(Date.now() / 1000);

export class SqliteGrantStore implements GrantStore {
  private readonly ctx: SqliteContext;
  private readonly userId;
  private readonly insertGrant;
  private readonly byId;
  private readonly revokeStmt;
  private readonly deleteSessions;
  private readonly active;
  private readonly insertSession;
  private readonly resolve;
  private readonly purgeNonces;
  private readonly insertNonce;

  constructor(ctx: SqliteContext) {
    this.ctx = ctx;
    const db = ctx.db;
    this.userId = db.prepare<[string], { id: number }>('SELECT id FROM users WHERE public_key = ?');
    this.insertGrant = db.prepare(
      `INSERT INTO grants (id, user_id, client_id, client_cnf_key, capabilities, issued_at, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    );
    this.byId = db.prepare<[string], GrantRow>(`SELECT ${GRANT_COLUMNS} FROM grants g JOIN users u ON u.id = g.user_id WHERE g.id = ?`);
    this.revokeStmt = db.prepare('UPDATE grants SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?');
    this.deleteSessions = db.prepare('DELETE FROM grant_sessions WHERE grant_id = ?');
    this.active = db.prepare<[string, number], GrantRow>(
      `SELECT ${GRANT_COLUMNS} FROM grants g JOIN users u ON u.id = g.user_id
       WHERE u.public_key = ? AND g.revoked_at IS NULL AND g.expires_at > ? ORDER BY g.created_at, g.id`,
    );
    this.insertSession = db.prepare<[Buffer, string, number, number]>(
      'INSERT INTO grant_sessions (token_hash, grant_id, expires_at, created_at) VALUES (?, ?, ?, ?)',
    );
    this.resolve = db.prepare<[Buffer], SessionRow & { g_expires: number; g_revoked: number | null }>(
      `SELECT s.id, s.grant_id, s.expires_at, s.created_at, g.expires_at AS g_expires, g.revoked_at AS g_revoked
       FROM grant_sessions s JOIN grants g ON g.id = s.grant_id WHERE s.token_hash = ?`,
    );
    this.purgeNonces = db.prepare('DELETE FROM pop_nonces WHERE created_at < ?');
    this.insertNonce = db.prepare('INSERT INTO pop_nonces (nonce, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
  }

  async upsert(grant: NewGrant): Promise<GrantRecord> {
    const u = this.userId.get(grant.user);
    if (!u) throw storageErrors.userNotFound();
    this.insertGrant.run(
      grant.id,
      u.id,
      grant.clientId,
      grant.clientCnfKey,
      grant.capabilities,
      grant.issuedAt,
      grant.expiresAt,
      nowMicros(),
    );
    return grantFromRow(this.byId.get(grant.id)!);
  }

  async get(id: string): Promise<GrantRecord | null> {
    const r = this.byId.get(id);
    return r ? grantFromRow(r) : null;
  }

  async revoke(id: string, nowSeconds = nowSec()): Promise<boolean> {
    const run = this.ctx.db.transaction(() => {
      if (this.revokeStmt.run(nowSeconds, id).changes === 0) return false;
      this.deleteSessions.run(id);
      return true;
    });
    if (!run.immediate()) return false;
    this.ctx.revocations.publish({ kind: 'grant', id });
    return true;
  }

  async listActive(user: string, nowSeconds = nowSec()): Promise<GrantRecord[]> {
    return this.active.all(user, nowSeconds).map(grantFromRow);
  }

  async mintSession(grantId: string, expiresAtSeconds: number) {
    const token = base64urlEncode(randomBytes(32));
    const run = this.ctx.db.transaction(() => {
      if (!this.byId.get(grantId)) throw storageErrors.grantNotFound();
      this.deleteSessions.run(grantId);
      const createdAt = nowMicros();
      const id = Number(this.insertSession.run(bearerHash(token), grantId, expiresAtSeconds, createdAt).lastInsertRowid);
      return { id, grantId, expiresAt: expiresAtSeconds, createdAt };
    });
    return { token, session: run.immediate() };
  }

  async resolveBearer(token: string, nowSeconds = nowSec()) {
    if (typeof token !== 'string' || !BEARER_TOKEN.test(token)) return null;
    const r = this.resolve.get(bearerHash(token));
    if (!r || r.expires_at <= nowSeconds || r.g_revoked !== null || r.g_expires <= nowSeconds) return null;
    const grant = this.byId.get(r.grant_id);
    if (!grant) return null;
    return { session: sessionFromRow(r), grant: grantFromRow(grant) };
  }

  async useNonce(nonce: string, nowSeconds = nowSec(), maxAgeSeconds = 360): Promise<boolean> {
    this.purgeNonces.run(nowSeconds - maxAgeSeconds);
    return this.insertNonce.run(nonce, nowSeconds).changes === 1;
  }
}
