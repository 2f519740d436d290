// The SDK against a real homeserver: a refused request surfaces the homeserver's catalogued code
// as PubkyHttpError.serverCode, next to the SDK's own code for the kind of answer.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { CLIENT_ERRORS, MemoryPacketSource, Pubky, PubkyHttpError } from '@pubky-ts/client';
import { HOMESERVER_ERRORS } from '@pubky-ts/homeserver';
import { startTestHomeserver, type TestHomeserver } from './helpers.ts';

const source = new MemoryPacketSource();
let hs: TestHomeserver;
before(async () => {
  hs = await startTestHomeserver(source);
});
after(() => hs.stop());

/** The refusal `p` ends in: SDK code, homeserver code, status. */
async function refusal(p: Promise<unknown>): Promise<[string, string | undefined, number]> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PubkyHttpError, String(e));
    assert.ok(e.code in CLIENT_ERRORS, e.code);
    if (e.serverCode !== undefined) {
      assert.equal(HOMESERVER_ERRORS[e.serverCode as keyof typeof HOMESERVER_ERRORS]?.status, e.status, e.serverCode);
    }
    return [e.code, e.serverCode, e.status];
  }
  assert.fail('the request did not fail');
}

test('refusals carry the SDK code and the homeserver code of the rule', async () => {
  const pubky = new Pubky({ packetSource: source });
  const keypair = Keypair.random();
  const signer = pubky.signer(keypair);
  assert.deepEqual(await refusal(signer.signup(hs.publicKey)), ['bad_request', 'SIGNUP_TOKEN_REQUIRED', 400]);
  assert.deepEqual(await refusal(signer.signup(hs.publicKey, 'AAAA-AAAA-AAAA')), ['unauthorized', 'SIGNUP_TOKEN_INVALID', 401]);
  await signer.signup(hs.publicKey, await hs.signupToken());
  assert.deepEqual(await refusal(pubky.signer(keypair).signup(hs.publicKey, await hs.signupToken())), ['conflict', 'USER_EXISTS', 409]);

  const app = await pubky.signer(keypair).signinWithGrant({ clientId: 'codes.app', capabilities: '/pub/codes.app/:rw' });
  assert.deepEqual(await refusal(app.storage.putText('/pub/other.app/x', 'no')), ['forbidden', 'NO_WRITE_ACCESS', 403]);
  assert.deepEqual(await refusal(app.storage.getText('/pub/codes.app/missing')), ['not_found', 'NOT_FOUND', 404]);
});
