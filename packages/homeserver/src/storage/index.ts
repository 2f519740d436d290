export * from './types.ts';
export * from './errors.ts';
export { openHomeserverStore, SqliteHomeserverStore, DEFAULT_INLINE_THRESHOLD } from './open-store.ts';
export { detectContentType, sniffContentType, contentTypeFromPath } from './content-type.ts';
export { FILE_OVERHEAD_BYTES, storageLimitBytes } from './quota.ts';
export { isUnderStorageRoot, writeAllowed } from './path-policy.ts';
export { LocalBus } from './bus.ts';
export { etagOf } from './rows.ts';
