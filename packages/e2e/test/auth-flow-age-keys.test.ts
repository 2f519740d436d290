// Scope keys in the auth flow, over a real HTTP relay: an app that asks (`ageKeys`) gets the
// directory keys of its granted scopes from `approveAuthRequest`, opens what the user encrypted
// there and nothing else; a flow that does not ask gets no second message.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { Pkarr } from '@pubky-ts/pkarr';
import { startHttpRelay, startPkarrRelay, type HttpRelayHandle, type PkarrRelayHandle } from '@pubky-ts/relay';
import {
  decryptAgeBytes,
  EncryptedStorage,
  Keyring,
  Pubky,
  PkarrPacketSource,
  channelUrl,
  parseDeepLink,
  type PubkyOptions,
} from '@pubky-ts/client';
import { scopeKeysSecret } from '../../client/src/crypto/scope-key-channel.ts';
import { startTestHomeserver, type TestHomeserver } from './helpers.ts';

let pkarrRelay: PkarrRelayHandle;
let httpRelay: HttpRelayHandle;
let hs: TestHomeserver;
let options: PubkyOptions;

before(async () => {
  pkarrRelay = await startPkarrRelay({ port: 0, host: '127.0.0.1', dht: false });
  httpRelay = await startHttpRelay({ port: 0, host: '127.0.0.1' });
  hs = await startTestHomeserver(new PkarrPacketSource(new Pkarr({ relays: [pkarrRelay.url] })));
  options = { relays: [pkarrRelay.url], httpRelay: `${httpRelay.url}/inbox` };
});
after(async () => {
  await hs.stop();
  await httpRelay.close();
  await pkarrRelay.close();
});

test("an app asking for keys gets its scopes' directory keys, opens its scope and nothing else", { timeout: 30_000 }, async () => {
  const pubky = new Pubky(options);
  const keypair = Keypair.random();
  const owner = await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
  const mine = new EncryptedStorage(owner.storage, Keyring.fromKeypair(keypair));
  await mine.putEncrypted('/priv/example.app/notes.txt', 'for the app');
  await mine.putEncrypted('/priv/other.app/notes.txt', 'not for the app');

  const app = new Pubky(options);
  const flow = app.startAuthFlow('/priv/example.app/:rw', { ageKeys: true });
  assert.match(flow.authorizationUrl, /&x-age-keys=1$/);
  assert.equal(parseDeepLink(flow.authorizationUrl).intent, 'signin');
  const approved = pubky.signer(keypair).approveAuthRequest(flow.authorizationUrl);
  const [session, keyring] = await Promise.all([flow.awaitSession(), flow.awaitKeyring(), approved]);
  const enc = new EncryptedStorage(session.storage, keyring);
  assert.equal(await enc.getDecryptedText('/priv/example.app/notes.txt'), 'for the app');
  // Another scope's ciphertext (fetched with the owner's session: the app's grant cannot even read it).
  const other = await owner.storage.getBytes('/priv/other.app/notes.txt');
  await assert.rejects(decryptAgeBytes(other, keyring.keysFor(keypair.publicKey, '/priv/other.app/notes.txt')), {
    code: 'age_no_matching_key',
  });
  await enc.putEncrypted('/priv/example.app/from-app.txt', 'written by the app');
  assert.equal(await mine.getDecryptedText('/priv/example.app/from-app.txt'), 'written by the app');
  // What it holds is the scope's directory key, not the user's age identity.
  assert.deepEqual(keyring.keysFor(keypair.publicKey, '/priv/example.app/x').identities, []);
});

test('a flow that does not ask for keys gets none, and awaitKeyring says how to ask', { timeout: 30_000 }, async () => {
  const pubky = new Pubky(options);
  const keypair = Keypair.random();
  await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
  const flow = new Pubky(options).startAuthFlow('/priv/example.app/:rw');
  assert.doesNotMatch(flow.authorizationUrl, /x-age-keys/);
  await Promise.all([flow.awaitSession(), pubky.signer(keypair).approveAuthRequest(flow.authorizationUrl)]);
  await assert.rejects(flow.awaitKeyring(), { code: 'invalid_auth_flow_state' });
  // Nothing waits on the keys channel.
  const secret = parseDeepLink(flow.authorizationUrl) as { secret: Uint8Array };
  const res = await fetch(await channelUrl(`${httpRelay.url}/inbox`, scopeKeysSecret(secret.secret)), {
    signal: AbortSignal.timeout(1500),
  }).catch((e: Error) => e);
  assert.ok(res instanceof Error || res.status !== 200, 'no scope-keys message on the relay');
});
