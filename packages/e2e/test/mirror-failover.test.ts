// Issue 6, end to end on a local network of three homeservers (the testnet's and two more): a user on
// a primary adds two mirrors through the SDK, writes 1,000 files, waits until the mirrors report them
// applied, the primary is stopped, and every file is read through the SDK byte for byte (from the
// first mirror); then the first mirror is stopped too and reads go on from the second.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { Pubky, type MirrorStatus, type Session } from '@pubky-ts/client';

const FILES = 1000;
const CATCH_UP_LIMIT_MS = 180_000;

let testnet: Testnet;
let primary: ExtraHomeserver;
let mirror1: ExtraHomeserver;

before(async () => {
  // `error`: the followers warn while they retry the stopped primary, as they should
  testnet = await startTestnet({ signupMode: 'token_required', logLevel: 'error' });
  primary = await startExtraHomeserver(testnet, { logLevel: 'error' });
  mirror1 = await startExtraHomeserver(testnet, { signupMode: 'token_required', logLevel: 'error' });
});
after(async () => {
  await mirror1?.close().catch(() => {});
  await primary?.close().catch(() => {});
  await testnet?.close();
});

function client(): Pubky {
  return new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });
}

/** Runs `fn` over `items` with `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function waitApplied(read: () => Promise<MirrorStatus | null>, events: number, label: string): Promise<MirrorStatus> {
  const deadline = Date.now() + CATCH_UP_LIMIT_MS;
  let status: MirrorStatus | null = null;
  while (Date.now() < deadline) {
    status = await read();
    assert.ok(status, `${label} stopped following`);
    if (status.appliedEvents >= events && status.pendingEvents === 0) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${label} did not apply ${events} events within ${CATCH_UP_LIMIT_MS} ms: ${JSON.stringify(status)}`);
}

test('1,000 files written on the primary are read back through the SDK from the mirrors once the primary is stopped', {
  timeout: 600_000,
}, async () => {
  const pubky = client();
  const keypair = Keypair.random();
  const signer = pubky.signer(keypair);
  const session: Session = await signer.signup(primary.publicKey);
  const user = keypair.publicKey;

  // two mirrors: the extra one (token_required, private too) and the testnet's (public only)
  const first = await signer.addMirror(mirror1.publicKey, { signupToken: await mirror1.signupToken() });
  assert.equal(first.status.primary, primary.publicKey.z32);
  assert.equal(first.status.user, user.z32);
  assert.equal(first.status.private, true);
  assert.ok(first.session.homeserver.equals(mirror1.publicKey));
  const second = await signer.addMirror(testnet.homeserver.publicKey, { signupToken: await testnet.signupToken(), private: false });
  assert.equal(second.status.private, false);
  assert.deepEqual(
    (await client().getMirrorsOf(user)).map((k) => k.z32),
    [mirror1.publicKey.z32, testnet.homeserver.publicKey.z32],
  );
  assert.equal((await client().getHomeserverOf(user))?.z32, primary.publicKey.z32, 'the primary stays the primary');
  assert.equal((await pubky.getHomeserverOf(user))?.z32, primary.publicKey.z32, 'and this client still resolves the user there');

  // 1,000 public files of 0..4 KiB, and a few private ones
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < FILES; i++) files.set(`/pub/mirror.test/f${String(i).padStart(4, '0')}.bin`, randomBytes((i * 37) % 4097));
  await pool([...files], 8, ([path, bytes]) => session.storage.putBytes(path, bytes));
  const secrets = ['/priv/mirror.test/a.txt', '/priv/mirror.test/b.txt'];
  for (const p of secrets) await session.storage.putText(p, `secret ${p}`);

  const s1 = await waitApplied(
    () => signer.mirrorStatus(mirror1.publicKey, { session: first.session }),
    FILES + secrets.length,
    'mirror 1',
  );
  const s2 = await waitApplied(() => signer.mirrorStatus(testnet.homeserver.publicKey, { session: second.session }), FILES, 'mirror 2');
  assert.equal(s1.lastError, null);
  assert.equal(s2.lagMs, 0);

  await primary.close();

  // every file, byte for byte, by a reader that knows nothing of the primary's fate
  const reader = client();
  const base = `pubky://${user.z32}`;
  let read = 0;
  await pool([...files], 8, async ([path, bytes]) => {
    const got = await reader.publicStorage.getBytes(`${base}${path}`);
    assert.deepEqual(got, new Uint8Array(bytes), path);
    read++;
  });
  assert.equal(read, FILES);
  const listed: string[] = [];
  for await (const url of reader.publicStorage.listAll(`${base}/pub/mirror.test/`)) listed.push(url);
  assert.deepEqual(
    listed,
    [...files.keys()].map((p) => `${base}${p}`),
  );
  // private files were copied to the mirror that holds a grant (read there with the user's session)
  for (const p of secrets) assert.equal(await first.session.storage.getText(p), `secret ${p}`);
  // writes still go to the primary only
  await assert.rejects(
    session.storage.putText('/pub/mirror.test/after.txt', 'x'),
    (e: unknown) => (e as { code?: string }).code === 'network_error',
  );

  // the first mirror goes too: the second one answers
  await mirror1.close();
  const sample = [...files].filter((_, i) => i % 50 === 0);
  for (const [path, bytes] of sample) assert.deepEqual(await reader.publicStorage.getBytes(`${base}${path}`), new Uint8Array(bytes), path);
});
