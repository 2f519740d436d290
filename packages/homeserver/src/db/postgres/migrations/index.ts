import type { PgMigration } from '../migrate.ts';
import { pgMigration0001 } from './0001-initial.ts';
import { pgMigration0002 } from './0002-concurrent-event-commits.ts';
import { pgMigration0003 } from './0003-mirrors.ts';

/** Every PostgreSQL migration in order. Append only; never edit one that has shipped. */
export const pgMigrations: PgMigration[] = [pgMigration0001, pgMigration0002, pgMigration0003];
