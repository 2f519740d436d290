// Managing mirrors through the SDK against real homeservers: add (sign-up or sign-in on the mirror,
// without moving the user), add again, status, remove; the user's packet keeps the primary first.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair, PubkyError } from '@pubky-ts/common';
import { homeserverOf, mirrorsOf } from '@pubky-ts/pkarr';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { Pubky } from '@pubky-ts/client';

let testnet: Testnet;
let mirror: ExtraHomeserver;

before(async () => {
  testnet = await startTestnet({ signupMode: 'open', logLevel: 'error' });
  mirror = await startExtraHomeserver(testnet, { logLevel: 'error' });
});
after(async () => {
  await mirror?.close();
  await testnet?.close();
});

function client(): Pubky {
  return new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });
}

test('addMirror, again, mirrorStatus, removeMirror: the packet and the mirror agree at each step', { timeout: 120_000 }, async () => {
  const pubky = client();
  const keypair = Keypair.random();
  const signer = pubky.signer(keypair);
  const session = await signer.signup(testnet.homeserver.publicKey);
  await session.storage.putText('/pub/app/one.txt', 'one');

  assert.equal(
    await signer.mirrorStatus(mirror.publicKey).catch((e) => e.code),
    'not_found',
    'no account on the mirror yet: sign-in there is a 404',
  );
  await assert.rejects(
    signer.addMirror(testnet.homeserver.publicKey),
    (e: unknown) => e instanceof PubkyError && e.code === 'invalid_argument' && /primary/.test(e.message),
  );

  const added = await signer.addMirror(mirror.publicKey, { private: false });
  assert.equal(added.status.private, false);
  assert.ok(['catching_up', 'live'].includes(added.status.state), added.status.state);
  const packet = await client().pkdns.source.resolve(keypair.publicKey, { fresh: true });
  assert.ok(packet);
  assert.equal(homeserverOf(packet)?.z32, testnet.homeserver.publicKey.z32);
  assert.deepEqual(
    mirrorsOf(packet).map((k) => k.z32),
    [mirror.publicKey.z32],
  );
  assert.equal((await pubky.getHomeserverOf(keypair.publicKey))?.z32, testnet.homeserver.publicKey.z32);

  // again, now signing in on the mirror (the account exists): still one mirror record, now private
  const again = await signer.addMirror(mirror.publicKey);
  assert.equal(again.status.private, true);
  assert.deepEqual(
    (await client().getMirrorsOf(keypair.publicKey)).map((k) => k.z32),
    [mirror.publicKey.z32],
  );

  const deadline = Date.now() + 60_000;
  let status = await signer.mirrorStatus(mirror.publicKey);
  while (status && status.appliedEvents < 1 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    status = await signer.mirrorStatus(mirror.publicKey, { session: again.session });
  }
  assert.equal(status?.primary, testnet.homeserver.publicKey.z32);
  assert.ok((status?.appliedEvents ?? 0) >= 1, JSON.stringify(status));

  // a sign-in republish keeps the mirror record
  await signer.publishHomeserver(testnet.homeserver.publicKey);
  assert.deepEqual(
    (await client().getMirrorsOf(keypair.publicKey)).map((k) => k.z32),
    [mirror.publicKey.z32],
  );

  await signer.removeMirror(mirror.publicKey, { session: again.session });
  assert.deepEqual(await client().getMirrorsOf(keypair.publicKey), []);
  assert.equal((await client().getHomeserverOf(keypair.publicKey))?.z32, testnet.homeserver.publicKey.z32);
  assert.equal(await signer.mirrorStatus(mirror.publicKey), null, 'the mirror stopped following');
  // removing it again is harmless
  await signer.removeMirror(mirror.publicKey);
  assert.deepEqual(await pubky.getMirrorsOf(keypair.publicKey), []);
});
