// Keys never reach the homeserver: after a session of encrypted work (the owner's key, an app's
// scope key, a --to reader, a ranged read, a tampered read), nothing the homeserver wrote — its
// SQLite files, blob files and its trace-level log — holds a secret key, an age identity, a
// directory key, a file key or the plaintext, in raw bytes, hex, base64 or bech32.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { Keypair } from '@pubky-ts/common';
import { resolveConfig, startHomeserver, type RunningHomeserver } from '@pubky-ts/homeserver';
import {
  ageKeyPairOf,
  deriveDirectoryKey,
  encodeIdentity,
  EncryptedStorage,
  Keyring,
  MemoryPacketSource,
  Pubky,
  rootDirectoryKey,
} from '@pubky-ts/client';
import { pattern } from '../../client/src/crypto/age-test-helpers.ts';
import { homeserverPacket } from './helpers.ts';

const source = new MemoryPacketSource();
const dir = mkdtempSync(join(tmpdir(), 'client-secrecy-'));
const logFile = join(dir, 'homeserver.log');
let hs: RunningHomeserver;

before(async () => {
  const config = resolveConfig(join(dir, 'data'), {
    general: { signup_mode: 'open' },
    drive: { icann_listen_socket: '127.0.0.1:0' },
    admin: { enabled: false },
    logging: { level: 'trace' },
  });
  hs = await startHomeserver(config, {
    keypair: Keypair.random(),
    logger: pino({ level: 'trace' }, pino.destination({ dest: logFile, sync: true })),
    publisher: async (info) => {
      await source.publish(homeserverPacket(info.keypair, info.icannPort));
    },
  });
});
after(async () => {
  await hs.close();
  rmSync(dir, { recursive: true, force: true });
});

function filesUnder(d: string): string[] {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test("after encrypted work, the homeserver's database files and logs hold no key and no plaintext", { timeout: 60_000 }, async () => {
  const alice = Keypair.random();
  const bob = Keypair.random();
  const pubky = new Pubky({ packetSource: source });
  const session = await pubky.signer(alice).signup(hs.publicKey);
  await pubky.signer(bob).signup(hs.publicKey);
  const enc = new EncryptedStorage(session.storage, Keyring.fromKeypair(alice));
  const secretText = 'the-plaintext-marker-7f3a9c';
  const bigPlain = pattern(300_000, 77);
  const fileKeys = [
    await enc.putEncrypted('/priv/notes/a.txt', secretText),
    await enc.putEncrypted('/pub/shared/b.txt', secretText, { to: [bob.publicKey] }),
    await enc.putEncrypted('/priv/notes/big.bin', bigPlain),
  ];
  const scopeKeys = Keyring.scopeKeysFor(alice, ['/priv/example.app/']);
  const app = new EncryptedStorage(session.storage, Keyring.fromScopeKeys(alice.publicKey, scopeKeys));
  fileKeys.push(await app.putEncrypted('/priv/example.app/c.txt', secretText));
  assert.equal(await enc.getDecryptedText('/priv/notes/a.txt'), secretText);
  assert.equal(await app.getDecryptedText('/priv/example.app/c.txt'), secretText);
  await (await enc.openRanged('/priv/notes/big.bin')).read(70_000, 140_000);
  await assert.rejects(app.getDecryptedText('/priv/notes/a.txt'), { code: 'age_no_matching_key' });
  await new Promise((r) => setTimeout(r, 200)); // let the server's batched writes and logs land

  const aliceAge = ageKeyPairOf(alice).identity;
  const root = rootDirectoryKey(aliceAge);
  const secrets: Array<[string, Uint8Array]> = [
    ['alice secret key', alice.secretKey],
    ['bob secret key', bob.secretKey],
    ['alice age identity', aliceAge],
    ['bob age identity', ageKeyPairOf(bob).identity],
    ['root directory key', root],
    ['/priv/notes/ key', deriveDirectoryKey(root, '/', '/priv/notes/')],
    ['app scope key', scopeKeys[0]!.key],
    ...fileKeys.map((k, i) => [`file key ${i}`, k] as [string, Uint8Array]),
    ['plaintext', new TextEncoder().encode(secretText)],
    ['large plaintext', bigPlain.subarray(100_000, 100_048)],
  ];
  const needles = secrets.flatMap(([name, bytes]) => {
    const b = Buffer.from(bytes);
    return [
      [name, b],
      [`${name} (hex)`, Buffer.from(b.toString('hex'))],
      [`${name} (base64)`, Buffer.from(b.toString('base64').replace(/=+$/, '').slice(0, 20))],
      [`${name} (base64url)`, Buffer.from(b.toString('base64url').slice(0, 20))],
      ...(bytes.length === 32 ? [[`${name} (AGE-SECRET-KEY)`, Buffer.from(encodeIdentity(bytes).slice(0, 30))]] : []),
    ] as Array<[string, Buffer]>;
  });
  const files = filesUnder(dir);
  assert.match(readFileSync(logFile, 'utf8'), /"signup"/, 'the trace log was written (it logs each sign-up)');
  assert.ok(
    files.some((f) => /sqlite|\.db/.test(f)),
    `the database is among the files: ${files.join(', ')}`,
  );
  let scanned = 0;
  for (const f of files) {
    const bytes = readFileSync(f);
    scanned += bytes.length;
    for (const [name, needle] of needles) assert.equal(bytes.indexOf(needle), -1, `${f} holds the ${name}`);
  }
  // The scan can fail: the public key and an age file's version line are in there.
  const all = Buffer.concat(files.map((f) => readFileSync(f)));
  assert.ok(
    all.includes(Buffer.from(alice.publicKey.z32)) && all.includes(Buffer.from('age-encryption.org/v1')),
    `scanned ${scanned} bytes`,
  );
});
