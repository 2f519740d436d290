import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { Pubky } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';

let testnet: Testnet;
let second: ExtraHomeserver;

before(async () => {
  testnet = await startTestnet({ signupMode: 'open' });
  second = await startExtraHomeserver(testnet, { signupMode: 'token_required' });
});
after(async () => {
  await second?.close();
  await testnet?.close();
});

test('an extra homeserver has its own key and data, is found through the testnet relay, and hands out signup tokens', async () => {
  assert.notEqual(second.publicKey.z32, testnet.homeserver.publicKey.z32);
  const pubky = new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });
  const user = pubky.signer(Keypair.random());
  const session = await user.signup(second.publicKey, await second.signupToken());
  await session.storage.putText('/pub/app/hello.txt', 'on the second homeserver');
  assert.equal((await pubky.pkdns.requireHomeserverOf(user.publicKey)).z32, second.publicKey.z32);
  assert.equal(await pubky.publicStorage.getText(`pubky://${user.publicKey.z32}/pub/app/hello.txt`), 'on the second homeserver');
  const res = await fetch(`${testnet.homeserver.url}/pub/app/hello.txt`, { headers: { 'pubky-host': user.publicKey.z32 } });
  assert.equal(res.status, 404, 'the first homeserver does not hold the file');
  await res.body?.cancel();
});
