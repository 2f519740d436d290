// Benchmark: age encryption in the SDK, each figure against a baseline measured in the same run.
//
//   throughput   encrypt / decrypt M MiB in memory (encryptAgeBytes / decryptAgeBytes) against raw
//                node:crypto ChaCha20-Poly1305 over the same bytes, in the same 64 KiB pieces
//                (the work the format needs) and as one call over the whole buffer; the
//                age-encryption library's own (pure JavaScript) encrypt for reference
//   PUT 1 KiB    putEncrypted vs a plain put through the SDK on a local testnet, interleaved
//   RSS          a large file streamed through putEncrypted and getDecryptedStream: peak RSS growth
//                over the RSS before (the homeserver runs in this process and counts too), against
//                the same plain round trip, and the encryption layer alone (no HTTP)
//
//   npm run bench -- encryption
//   node --import tsx benchmarks/encryption.ts [--mib 16] [--rounds 5] [--puts 300] [--big-mib 256]
//   (--big-mib 1024 is the 1 GiB round trip of the issue: about a minute on this machine)
import { createCipheriv } from 'node:crypto';
import { Encrypter } from 'age-encryption';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ageKeyPairOf,
  decryptAge,
  decryptAgeBytes,
  encryptAge,
  encodeRecipient,
  EncryptedStorage,
  encryptAgeBytes,
  Keyring,
  Keypair,
  MemoryPacketSource,
  Pubky,
} from '@pubky-ts/client';
import { resolveConfig, startHomeserver } from '@pubky-ts/homeserver';
import { SignedPacket } from '@pubky-ts/pkarr';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive whole number`);
  return v;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const mib = arg('mib', 16);
const rounds = arg('rounds', 5);
const puts = arg('puts', 300);
const bigMib = arg('big-mib', 256);

// ---- throughput -------------------------------------------------------------------------------
const { identity, recipient } = ageKeyPairOf(Keypair.random());
const plain = new Uint8Array(mib * 1024 * 1024).map((_, i) => i * 7);
const key = new Uint8Array(32).fill(3);
const nonce = new Uint8Array(12);
function rawChunks(): void {
  for (let off = 0; off < plain.length; off += 65536) {
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.update(plain.subarray(off, off + 65536));
    c.final();
    c.getAuthTag();
  }
}
function rawWhole(): void {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.update(plain);
  c.final();
  c.getAuthTag();
}
let sealed = (await encryptAgeBytes(plain, [recipient])).bytes;
const lib = new Encrypter();
lib.addRecipient(encodeRecipient(recipient));
const ops: Array<[string, () => Promise<unknown> | unknown]> = [
  ['raw node:crypto, 64 KiB pieces (baseline)', rawChunks],
  ['raw node:crypto, one call', rawWhole],
  ['SDK encrypt (age file)', async () => (sealed = (await encryptAgeBytes(plain, [recipient])).bytes)],
  ['SDK decrypt (age file)', () => decryptAgeBytes(sealed, { identities: [identity] })],
  ['age-encryption library encrypt (pure JS)', () => lib.encrypt(plain)],
];
const times = ops.map(() => [] as number[]);
for (let r = 0; r < rounds + 1; r++) {
  for (const [k, [, fn]] of ops.entries()) {
    const t0 = performance.now();
    await fn();
    if (r > 0) times[k]!.push(performance.now() - t0);
  }
}
const base = median(times[0]!);
console.log(`throughput over ${mib} MiB, median of ${rounds} interleaved rounds (a loaded shared machine: read the ratios)\n`);
console.log('| operation | MB/s | ratio to raw 64 KiB pieces |\n| --- | ---: | ---: |');
for (const [k, [name]] of ops.entries()) {
  const t = median(times[k]!);
  console.log(`| ${name} | ${Math.round(plain.length / 1e6 / (t / 1000))} | ${(base / t).toFixed(2)} |`);
}

// ---- PUT 1 KiB and the big round trip, on a homeserver in this process -------------------------
// Its packet goes to an in-memory source (no DHT or relay in the way); no file size limit, for --big-mib.
const source = new MemoryPacketSource();
const dir = mkdtempSync(join(tmpdir(), 'bench-encryption-'));
const hsKeypair = Keypair.random();
const hs = await startHomeserver(
  resolveConfig(dir, {
    general: { signup_mode: 'open' },
    drive: { icann_listen_socket: '127.0.0.1:0', rate_limits: [], max_file_bytes: 0 },
    admin: { enabled: false },
    logging: { level: 'error' },
  }),
  {
    keypair: hsKeypair,
    publisher: async (info: { keypair: Keypair; icannPort: number }) => {
      const port = info.icannPort;
      await source.publish(
        SignedPacket.sign(info.keypair, [
          {
            type: 'HTTPS',
            name: '.',
            ttl: 3600,
            priority: 10,
            target: 'localhost',
            params: { other: [{ key: 65280, value: Uint8Array.of(port >> 8, port & 0xff) }] },
          },
          { type: 'A', name: '.', ttl: 3600, address: '127.0.0.1' },
        ]),
      );
    },
  },
);
try {
  const keypair = Keypair.random();
  const pubky = new Pubky({ packetSource: source });
  const session = await pubky.signer(keypair).signup(hsKeypair.publicKey);
  const enc = new EncryptedStorage(session.storage, Keyring.fromKeypair(keypair));
  const body = new Uint8Array(1024).fill(9);
  const plainPut: number[] = [];
  const encPut: number[] = [];
  const timed = async (out: number[], keep: boolean, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    if (keep) out.push(performance.now() - t0);
  };
  for (let i = 0; i < puts + 20; i++) {
    // Which goes first alternates: the second of a pair can meet the first's commit.
    const plainOne = () => timed(plainPut, i >= 20, () => session.storage.put(`/priv/bench/plain-${i % 50}`, body));
    const encOne = () => timed(encPut, i >= 20, () => enc.putEncrypted(`/priv/bench/enc-${i % 50}`, body));
    if (i % 2) {
      await plainOne();
      await encOne();
    } else {
      await encOne();
      await plainOne();
    }
  }
  const p = median(plainPut);
  const e = median(encPut);
  console.log(`\nPUT of 1 KiB through the SDK, median of ${puts} interleaved pairs\n`);
  console.log('| operation | median ms | ops/s ratio to plain |\n| --- | ---: | ---: |');
  console.log(`| plain put (baseline) | ${p.toFixed(3)} | 1.00 |`);
  console.log(`| putEncrypted | ${e.toFixed(3)} | ${(p / e).toFixed(2)} |`);

  // Big round trips: generated plaintext streamed up and down, plain (the baseline) then encrypted.
  const piece = new Uint8Array(1024 * 1024).fill(1);
  async function* bigPlaintext() {
    for (let i = 0; i < bigMib; i++) yield piece;
  }
  function toStream(it: AsyncIterator<Uint8Array>): ReadableStream<Uint8Array> {
    return new ReadableStream({
      async pull(c) {
        const { done, value } = await it.next();
        if (done) c.close();
        else c.enqueue(value);
      },
    });
  }
  async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
    let got = 0;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return got;
      got += value.length;
    }
  }
  async function roundTrip(name: string, up: () => Promise<unknown>, down: () => Promise<ReadableStream<Uint8Array>>) {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const t0 = performance.now();
    await up();
    const t1 = performance.now();
    const got = await drain(await down());
    const t2 = performance.now();
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (got !== bigMib * 1024 * 1024) throw new Error(`${name}: read back ${got} bytes, wrote ${bigMib} MiB`);
    const mb = bigMib * 1.048576;
    console.log(
      `| ${name} | ${t1 - t0 < 1 ? '—' : (mb / ((t1 - t0) / 1000)).toFixed(0)} | ${(mb / ((t2 - t1) / 1000)).toFixed(0)} | ${(before / 2 ** 20).toFixed(0)} | ${((peak - before) / 2 ** 20).toFixed(1)} |`,
    );
  }
  console.log(`\n${bigMib} MiB streamed up and down (client and homeserver in this one process)\n`);
  console.log('| round trip | up MB/s | down MB/s | RSS before MiB | peak RSS growth MiB |\n| --- | ---: | ---: | ---: | ---: |');
  // The encryption layer alone: encrypt → decrypt piped in memory, no HTTP.
  await roundTrip(
    'encryptAge → decryptAge in memory, no HTTP',
    async () => {},
    async () => decryptAge((await encryptAge(toStream(bigPlaintext()), [recipient])).stream, { identities: [identity] }),
  );
  await roundTrip(
    'plain put / getStream (baseline)',
    () => session.storage.put('/priv/bench/big-plain.bin', bigPlaintext()),
    () => session.storage.getStream('/priv/bench/big-plain.bin'),
  );
  await session.storage.delete('/priv/bench/big-plain.bin');
  await roundTrip(
    'putEncrypted / getDecryptedStream',
    () => enc.putEncrypted('/priv/bench/big.bin', bigPlaintext()),
    () => enc.getDecryptedStream('/priv/bench/big.bin'),
  );
} finally {
  await hs.close();
  rmSync(dir, { recursive: true, force: true });
}
