// Child process for crash-recovery.test.ts: writes files through the store as fast as it can, with
// many writes in flight, and prints `ACK <n>` for each acknowledged write. The parent SIGKILLs it.
import { openHomeserverStore } from '../src/storage/open-store.ts';
import type { Durability } from '../src/storage/types.ts';

const SIZES = [0, 17, 900, 5_000, 40_000, 150_000];

/** Deterministic content of write `n` (the parent recomputes it). */
export function crashContent(n: number): Buffer {
  const size = SIZES[n % SIZES.length];
  const b = Buffer.alloc(size);
  let x = (n * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

async function* inChunks(b: Buffer): AsyncIterable<Uint8Array> {
  for (let i = 0; i < b.length; i += 16_384) {
    yield b.subarray(i, i + 16_384);
    await new Promise((r) => setImmediate(r));
  }
}

async function main() {
  const [dataDir, user, durability] = process.argv.slice(2);
  const store = await openHomeserverStore({ dataDir, durability: durability as Durability, inlineThreshold: 1024, versioning: true });
  if (!(await store.users.get(user))) await store.users.create(user);
  process.stdout.write('READY\n');
  let next = 0;
  const worker = async () => {
    for (;;) {
      const n = next++;
      await store.files.put(user, `/pub/crash/${n}`, inChunks(crashContent(n)));
      process.stdout.write(`ACK ${n}\n`);
    }
  };
  await Promise.all(Array.from({ length: 24 }, worker));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  main().catch((err) => {
    process.stderr.write(String(err?.stack ?? err));
    process.exit(1);
  });
}
