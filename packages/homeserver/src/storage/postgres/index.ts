export { openPostgresStore, PostgresHomeserverStore, type PostgresStoreOptions } from './open-store.ts';
export { DatabaseUnavailableError, isConnectionError } from '../../db/postgres/errors.ts';
export { PgDatabase } from '../../db/postgres/database.ts';
