import pg from 'pg';
import type { ClientConfig, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { DatabaseUnavailableError, isConnectionError, isRetryableConflict, mapDbError } from './errors.ts';

export interface PgDatabaseOptions {
  /** `postgres://user@host:port/db` */
  databaseUrl: string;
  /** Schema holding every table (created if missing); default: the server's search_path (`public`). */
  schema?: string | null;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** How long to wait for a new connection before answering 503 (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

const INT8_OID = 20;
const INT8_ARRAY_OID = 1016;

/** int8 → number (our values are µs timestamps, ids and byte counts, all < 2^53). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (v: string) => Number(v);
    if (oid === INT8_ARRAY_OID && format !== 'binary') {
      const parseArray = pg.types.getTypeParser(INT8_ARRAY_OID as never, 'text') as unknown as (v: string) => (string | null)[];
      return (v: string) => parseArray(v).map((x) => (x === null ? null : Number(x)));
    }
    return pg.types.getTypeParser(oid as never, format as never);
  },
};

/** A valid, quoted SQL identifier for a schema name. */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(name)) throw new Error(`invalid schema name ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** A stable signed 53-bit key for pg_advisory_lock, derived from a string (FNV-1a, 64 → 53 bits). */
export function advisoryKey(text: string): number {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(text)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return Number(BigInt.asIntN(53, h));
}

export interface QueryOptions {
  /**
   * Retry once on a fresh connection when the connection fails: `true` for statements that are safe
   * to run twice (reads, idempotent writes); `'unexecuted'` only when the statement provably did not
   * run (the connection could not be opened, or the server answered it with an error, e.g. the FATAL
   * of a backend terminated while idle), never after a silent drop, whose outcome is unknown.
   */
  retry?: boolean | 'unexecuted';
}

/** The connection failed in a way that proves the statement did not commit. */
function provablyUnexecuted(err: unknown): boolean {
  const e = err as { code?: unknown; severity?: unknown };
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return true;
  // An ErrorResponse from the server (it has a severity) means the statement failed as a whole.
  return typeof e.severity === 'string' && typeof e.code === 'string' && /^(57P0[123]|08...)$/.test(e.code);
}

/**
 * A `pg.Pool` with the homeserver's conventions: a fixed search_path, int8 as numbers, errors of the
 * pool's idle clients absorbed (a dropped connection never crashes the process), connection failures
 * turned into `DatabaseUnavailableError` (503), and transactions retried once when the connection
 * broke before COMMIT was sent or on a deadlock.
 */
export class PgDatabase {
  readonly pool: pg.Pool;
  readonly schema: string | null;
  /** Errors reported by idle pooled clients (connection killed while idle); for tests and metrics. */
  idleErrors = 0;
  private readonly config: ClientConfig;
  private closed = false;

  constructor(options: PgDatabaseOptions) {
    this.schema = options.schema ?? null;
    this.config = {
      connectionString: options.databaseUrl,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      application_name: options.applicationName ?? 'pubky-homeserver',
      options: this.schema ? `-c search_path=${quoteIdent(this.schema)}` : undefined,
      types: types as ClientConfig['types'],
      keepAlive: true,
    };
    this.pool = new pg.Pool({ ...this.config, max: options.maxConnections ?? 10, idleTimeoutMillis: 30_000 });
    // An idle client whose connection dies emits 'error' on the pool; without a listener that is an
    // uncaught exception. The pool drops the client; the next checkout opens a fresh connection.
    this.pool.on('error', () => {
      this.idleErrors++;
    });
  }

  /** Config for a dedicated connection (LISTEN), same target and search_path as the pool. */
  clientConfig(): ClientConfig {
    return { ...this.config };
  }

  async query<R extends QueryResultRow = any>(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<QueryResult<R>> {
    const retry = options.retry ?? false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pool.query<R>(sql, params as any[]);
      } catch (err) {
        if (attempt < 2 && isConnectionError(err) && (retry === true || (retry === 'unexecuted' && provablyUnexecuted(err)))) continue;
        throw mapDbError(err);
      }
    }
  }

  /**
   * Runs `fn` in a transaction on one pooled connection. Retried (from scratch) once when the
   * connection fails before COMMIT is sent, or on a deadlock/serialization failure; `fn` must
   * therefore only have side effects in the database. A connection lost during COMMIT is reported as
   * 503 (the outcome is unknown).
   */
  async tx<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        if (attempt < 2 && isConnectionError(err)) continue;
        throw mapDbError(err);
      }
      let commitSent = false;
      try {
        await client.query('BEGIN');
        const out = await fn(client);
        commitSent = true;
        await client.query('COMMIT');
        client.release();
        return out;
      } catch (err) {
        if (isConnectionError(err)) {
          client.release(err as Error);
          if (!commitSent && attempt < 2) continue;
          throw new DatabaseUnavailableError(err);
        }
        try {
          await client.query('ROLLBACK');
          client.release();
        } catch (rollbackErr) {
          client.release(rollbackErr as Error);
        }
        if (isRetryableConflict(err) && attempt < 3) continue;
        throw err;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
