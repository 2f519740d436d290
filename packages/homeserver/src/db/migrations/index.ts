import type { Migration } from '../migrate.ts';
import { migration0001 } from './0001-initial.ts';
import { migration0002 } from './0002-user-packets.ts';
import { migration0003 } from './0003-mirrors.ts';
import { migration0004 } from './0004-tree-versions.ts';

/** Every migration in order. Append only; never edit one that has shipped. */
export const migrations: Migration[] = [migration0001, migration0002, migration0003, migration0004];
