// The pubkyauth flow end to end over real HTTP: a pkarr relay carries the PKARR records, an HTTP relay
// the encrypted answer, a homeserver the sessions.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { Pkarr } from '@pubky-ts/pkarr';
import { startHttpRelay, startPkarrRelay, type HttpRelayHandle, type PkarrRelayHandle } from '@pubky-ts/relay';
import { Pubky, type PubkyOptions, PkarrPacketSource, channelUrl, parseDeepLink } from '@pubky-ts/client';
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

async function newUser(): Promise<{ pubky: Pubky; keypair: Keypair }> {
  const pubky = new Pubky(options);
  const keypair = Keypair.random();
  await pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken());
  return { pubky, keypair };
}

describe('auth flow through a real HTTP relay', () => {
  test('signin: the app gets a session with exactly the capabilities it asked for', async () => {
    const user = await newUser();
    const app = new Pubky(options);
    const flow = app.startAuthFlow('/pub/example.app/:rw');
    assert.match(flow.authorizationUrl, /^pubkyauth:\/\/signin\?caps=%2Fpub%2Fexample\.app%2F%3Arw&relay=http/);
    const waiting = flow.awaitSession();
    await user.pubky.signer(user.keypair).approveAuthRequest(flow.authorizationUrl);
    const session = await waiting;
    assert.ok(session.publicKey.equals(user.keypair.publicKey));
    assert.deepEqual(session.capabilities, ['/pub/example.app/:rw']);
    await session.storage.putText('/pub/example.app/hello', 'from the app');
    await assert.rejects(session.storage.putText('/pub/other.app/x', 'no'), { status: 403 });
    assert.equal(await app.publicStorage.getText(`pubky://${user.keypair.publicKey.z32}/pub/example.app/hello`), 'from the app');
    // The app acknowledged: the inbox entry is gone.
    const url = await flow.channelUrl();
    for (let i = 0; i < 50; i++) {
      const ack = await fetch(`${url}/ack`);
      const text = await ack.text();
      if (ack.status === 404 || text === 'true') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const after = await fetch(`${url}/ack`);
    assert.ok(after.status === 404 || (await after.text()) === 'true');
  });

  test('a reloaded page resumes the flow from toJSON(), even after the approval arrived', async () => {
    const user = await newUser();
    const flow = new Pubky(options).startAuthFlow('/pub/resume.app/:rw');
    const saved = JSON.stringify(flow.toJSON());
    flow.cancel('page unloaded');
    await assert.rejects(flow.awaitSession(), { code: 'auth_flow_aborted' });
    await user.pubky.signer(user.keypair).approveAuthRequest(flow.authorizationUrl);
    const resumed = Pubky.resumeAuthFlow(saved, options);
    assert.equal(resumed.authorizationUrl, flow.authorizationUrl);
    const session = await resumed.awaitSession();
    assert.ok(session.publicKey.equals(user.keypair.publicKey));
    await session.storage.putText('/pub/resume.app/ok', '1');
  });

  test('signin_grant: the app gets a bearer session for its own client key', async () => {
    const user = await newUser();
    const app = new Pubky(options);
    const flow = app.startAuthFlow('/pub/grant.app/:rw', { kind: 'signin_grant', clientId: 'grant.app' });
    const link = parseDeepLink(flow.authorizationUrl);
    assert.equal(link.intent, 'signin_grant');
    const waiting = flow.awaitSession();
    await user.pubky.signer(user.keypair).approveAuthRequest(flow.authorizationUrl);
    const session = await waiting;
    assert.equal(session.kind, 'grant');
    await session.storage.putJson('/pub/grant.app/state.json', { ok: true });
    assert.deepEqual(await session.storage.getJson('/pub/grant.app/state.json'), { ok: true });
    await assert.rejects(session.storage.putText('/pub/elsewhere/x', 'no'), { status: 403 });
  });

  test('signup intent: the authenticator creates the account, the app gets its session', async () => {
    const app = new Pubky(options);
    const flow = app.startAuthFlow('/pub/new.app/:rw', { kind: 'signup', homeserver: hs.publicKey, signupToken: await hs.signupToken() });
    assert.match(flow.authorizationUrl, /^pubkyauth:\/\/signup\?.*&hs=/);
    const keypair = Keypair.random();
    const waiting = flow.awaitSession();
    await new Pubky(options).signer(keypair).approveAuthRequest(flow.authorizationUrl);
    const session = await waiting;
    assert.ok(session.publicKey.equals(keypair.publicKey));
    assert.ok((await app.getHomeserverOf(keypair.publicKey))!.equals(hs.publicKey));
    await session.storage.putText('/pub/new.app/first', 'hi');
  });

  test('legacy /link relays: the approval waits for the app', async () => {
    const user = await newUser();
    const app = new Pubky({ ...options, httpRelay: `${httpRelay.url}/link` });
    const flow = app.startAuthFlow('/pub/link.app/:rw');
    const approving = user.pubky.signer(user.keypair).approveAuthRequest(flow.authorizationUrl);
    const session = await flow.awaitSession();
    await approving;
    assert.deepEqual(session.capabilities, ['/pub/link.app/:rw']);
  });

  test('a message encrypted with another secret is refused, and garbage is refused', async () => {
    const app = new Pubky(options);
    const flow = app.startAuthFlow('/pub/x.app/:rw');
    const url = await flow.channelUrl();
    await fetch(url, { method: 'POST', body: new Uint8Array(80) });
    await assert.rejects(flow.awaitSession(), { code: 'auth_flow_decrypt_failed' });
    assert.equal(
      await channelUrl(
        `${httpRelay.url}/inbox`,
        parseDeepLink(flow.authorizationUrl).intent === 'signin'
          ? (parseDeepLink(flow.authorizationUrl) as { secret: Uint8Array }).secret
          : new Uint8Array(32),
      ),
      url,
    );
  });
});
