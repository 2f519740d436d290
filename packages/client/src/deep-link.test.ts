import assert from 'node:assert/strict';
import { test } from 'node:test';
import { base64urlDecode, Keypair, PublicKey } from '@pubky-ts/common';
import { formatDeepLink, parseDeepLink, type AuthDeepLink } from './deep-link.ts';

const SECRET = 'kqnceEMgrNQM_xi06oQXjA3cJHX_RQmw1BY6JE1bse8';
const HS = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';

test('formats a signin link in the reference parameter order and encoding', () => {
  const link = formatDeepLink({
    intent: 'signin',
    capabilities: '/pub/pubky.app/:rw',
    relay: 'https://httprelay.pubky.app/inbox',
    secret: base64urlDecode(SECRET),
  });
  assert.equal(link, `pubkyauth://signin?caps=%2Fpub%2Fpubky.app%2F%3Arw&relay=https%3A%2F%2Fhttprelay.pubky.app%2Finbox&secret=${SECRET}`);
  const parsed = parseDeepLink(link);
  assert.equal(parsed.intent, 'signin');
  if (parsed.intent !== 'signin') return;
  assert.equal(parsed.capabilities, '/pub/pubky.app/:rw');
  assert.equal(parsed.relay, 'https://httprelay.pubky.app/inbox');
  assert.deepEqual(parsed.secret, base64urlDecode(SECRET));
});

test('round-trips every intent, including x-callback parameters', () => {
  const client = Keypair.random().publicKey;
  const hs = PublicKey.parse(HS);
  const secret = base64urlDecode(SECRET);
  const base = { capabilities: '/pub/a/:rw,/pub/b.txt:r', relay: 'http://localhost:15412/inbox', secret };
  const callbacks = { source: 'My App', success: 'myapp://done?x=1&y=2', error: 'myapp://err', cancel: 'myapp://cancel' };
  const links: AuthDeepLink[] = [
    { intent: 'signin', ...base, callbacks },
    { intent: 'signup', ...base, homeserver: hs, signupToken: 'ABCD-EFGH-JKMN' },
    { intent: 'signin_grant', ...base, clientId: 'example.app', clientKey: client },
    { intent: 'signup_grant', ...base, homeserver: hs, clientId: 'example.app', clientKey: client },
    { intent: 'direct_signup', homeserver: hs },
  ];
  for (const link of links) {
    const text = formatDeepLink(link);
    assert.ok(text.startsWith(`pubkyauth://${link.intent}?`), text);
    const back = parseDeepLink(text);
    assert.equal(back.intent, link.intent);
    assert.equal(formatDeepLink(back), text, `stable for ${link.intent}`);
  }
  const withCb = parseDeepLink(formatDeepLink(links[0]));
  assert.deepEqual(withCb.callbacks, callbacks);
  const signup = parseDeepLink(formatDeepLink(links[1]));
  assert.ok(signup.intent === 'signup' && signup.signupToken === 'ABCD-EFGH-JKMN' && signup.homeserver.z32 === HS);
  const grant = parseDeepLink(formatDeepLink(links[2]));
  assert.ok(grant.intent === 'signin_grant' && grant.clientId === 'example.app' && grant.clientKey.equals(client));
});

test('accepts the old empty-host form, pubkyring, and legacy callback', () => {
  const q = `caps=%2F%3Arw&relay=https%3A%2F%2Fr.example%2Flink&secret=${SECRET}`;
  const a = parseDeepLink(`pubkyauth:///?${q}&unknown=1`);
  assert.equal(a.intent, 'signin');
  const b = parseDeepLink(`pubkyring://signin?${q}&callback=app%3A%2F%2Fok`);
  assert.equal(b.intent, 'signin');
  assert.equal(b.callbacks?.success, 'app://ok');
  const c = parseDeepLink(`PUBKYAUTH://SIGNIN?${q}`);
  assert.equal(c.intent, 'signin');
});

test('rejects malformed links with precise codes', () => {
  const ok = `relay=https%3A%2F%2Fr.example%2Finbox&secret=${SECRET}`;
  const cases: Array<[string, string, RegExp]> = [
    ['https://example.com', 'invalid_deep_link', /not a pubkyauth/],
    [`pubkyauth://login?caps=%2F%3Arw&${ok}`, 'invalid_deep_link', /unknown deep link intent/],
    [`pubkyauth://signin?${ok}`, 'invalid_deep_link', /caps/],
    [`pubkyauth://signin?caps=%2F%3Arw&secret=${SECRET}`, 'invalid_deep_link', /relay/],
    [`pubkyauth://signin?caps=%2F%3Arw&relay=ftp%3A%2F%2Fx&secret=${SECRET}`, 'invalid_deep_link', /http/],
    [`pubkyauth://signin?caps=%2F%3Arw&relay=https%3A%2F%2Fr&secret=AAAA`, 'invalid_deep_link', /32 bytes/],
    [`pubkyauth://signin?caps=%2F%3Arw&relay=https%3A%2F%2Fr&secret=!!`, 'invalid_deep_link', /base64url/],
    [`pubkyauth://signin?caps=pub%3Arw&${ok}`, 'invalid_deep_link', /caps parameter is invalid/],
    [`pubkyauth://signin?caps=%2Fpub%2F%3Ax&${ok}`, 'invalid_deep_link', /caps parameter is invalid/],
    [`pubkyauth://signup?caps=%2F%3Arw&${ok}`, 'invalid_deep_link', /"hs"/],
    [`pubkyauth://signup?caps=%2F%3Arw&${ok}&hs=pubky${HS}`, 'invalid_deep_link', /hs is not/],
    [`pubkyauth://signin_grant?caps=%2F%3Arw&${ok}&cid=app`, 'invalid_deep_link', /"cpk"/],
    [`pubkyauth://signin_grant?caps=%2F%3Arw&${ok}&cid=${'a'.repeat(254)}&cpk=${HS}`, 'invalid_deep_link', /cid/],
    [`pubkyauth://secret_export?x=1`, 'unsupported_deep_link', /secret_export/],
    [`pubkyauth://signin/extra?caps=%2F%3Arw&${ok}`, 'invalid_deep_link', /not a pubkyauth|unexpected/],
    [`pubkyauth://signin?${'a'.repeat(20000)}`, 'invalid_deep_link', /at most/],
  ];
  for (const [link, code, message] of cases) {
    assert.throws(
      () => parseDeepLink(link),
      (e: Error & { code?: string }) => e.code === code && message.test(e.message),
      link.slice(0, 80),
    );
  }
});

test('random and mutated links never throw anything but AuthFlowError', () => {
  const valid = `pubkyauth://signup?caps=%2Fpub%2Fa%2F%3Arw&relay=https%3A%2F%2Fr.example%2Finbox&secret=${SECRET}&hs=${HS}&st=AAAA-BBBB-CCCC`;
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const alphabet = 'pubkyauth:/?&=%2F3A_-.#@ \u0000\u00ff\ud83d';
  for (let i = 0; i < 1500; i++) {
    const chars = [...valid];
    const n = 1 + Math.floor(rnd() * 4);
    for (let j = 0; j < n; j++) {
      const pos = Math.floor(rnd() * chars.length);
      const op = rnd();
      if (op < 0.4) chars[pos] = alphabet[Math.floor(rnd() * alphabet.length)];
      else if (op < 0.7) chars.splice(pos, 1);
      else chars.splice(pos, 0, alphabet[Math.floor(rnd() * alphabet.length)]);
    }
    const text = chars.join('');
    try {
      parseDeepLink(text);
    } catch (e) {
      assert.equal((e as Error).name, 'AuthFlowError', `${text}: ${(e as Error).stack}`);
    }
  }
});
