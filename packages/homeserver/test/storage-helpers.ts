import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keypair } from '@pubky-ts/common';
import { openHomeserverStore, type SqliteHomeserverStore, type SqliteStoreExtras } from '../src/storage/open-store.ts';
import type { HomeserverStoreOptions } from '../src/storage/types.ts';

/** A fresh store in a temp dir; `cleanup` closes it and removes the dir. */
export async function tempStore(options: Partial<HomeserverStoreOptions> & SqliteStoreExtras = {}) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'hs-store-'));
  const store = await openHomeserverStore({ ...options, dataDir });
  return {
    store,
    dataDir,
    async cleanup() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function randomUserKey(): string {
  return Keypair.random().publicKey.z32;
}

export async function* chunks(...parts: (string | Uint8Array)[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

export async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of body) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

export async function putText(store: SqliteHomeserverStore, user: string, path: string, text: string) {
  return store.files.put(user, path, chunks(text));
}
