import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CookieJar } from './cookie-jar.ts';

const A = 'o1gg96ewuojmopcjbz8895478wdtxtzzuxnfjjz8o8e77csa1ngo';
const B = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';
const ORIGIN = 'http://localhost:6286';

test('keeps one cookie per user name per origin, sends only the asked ones', () => {
  let now = 1_000_000;
  const jar = new CookieJar({ now: () => now });
  jar.storeFromResponse(`${ORIGIN}/signup`, [`${A}=6HHZ06GHB964CZMDAA0WCNV2C8; HttpOnly; Path=/; Max-Age=31536000`]);
  jar.storeFromResponse(`${ORIGIN}/session`, `${B}=AAAAAAAAAAAAAAAAAAAAAAAAAA; HttpOnly; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT`);
  assert.equal(jar.header(ORIGIN, [A]), `${A}=6HHZ06GHB964CZMDAA0WCNV2C8`);
  assert.equal(jar.header(ORIGIN, [B]), `${B}=AAAAAAAAAAAAAAAAAAAAAAAAAA`);
  assert.equal(jar.header(ORIGIN), `${A}=6HHZ06GHB964CZMDAA0WCNV2C8; ${B}=AAAAAAAAAAAAAAAAAAAAAAAAAA`);
  assert.equal(jar.header('http://localhost:9999', [A]), null, 'origins are separate');
  // Overwrite, then expire by Max-Age.
  jar.storeFromResponse(ORIGIN, [`${A}=NEWVALUE; Max-Age=10`]);
  assert.equal(jar.get(ORIGIN, A)?.value, 'NEWVALUE');
  now += 11_000;
  assert.equal(jar.get(ORIGIN, A), undefined);
});

test('removal cookies (Max-Age=0, past Expires, empty value) delete', () => {
  const jar = new CookieJar();
  jar.storeFromResponse(ORIGIN, [`${A}=X1`, `${B}=X2`]);
  jar.storeFromResponse(ORIGIN, [`${A}=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT`]);
  assert.equal(jar.get(ORIGIN, A), undefined);
  jar.storeFromResponse(ORIGIN, [`${B}=X2; Expires=Thu, 01 Jan 1970 00:00:00 GMT`]);
  assert.equal(jar.get(ORIGIN, B), undefined);
  assert.equal(jar.header(ORIGIN), null);
});

test('garbage Set-Cookie values are ignored, never thrown', () => {
  const jar = new CookieJar();
  const junk = ['', ';;;', '=value', 'bad name=x', 'a=b\u0000c', `c=${'x'.repeat(5000)}`, 'd="quoted;', '\u00ff\u00fe=1', 'e=ok'];
  jar.storeFromResponse(ORIGIN, junk);
  assert.deepEqual(
    jar.list(ORIGIN).map((c) => c.name),
    ['e'],
  );
  let seed = 5;
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let j = 0; j < 40; j++) {
      seed = (seed * 48271) % 2147483647;
      s += String.fromCharCode(seed % 300);
    }
    jar.storeFromResponse(ORIGIN, [s]);
  }
  for (const c of jar.list(ORIGIN)) assert.ok(!/[;\s]/.test(c.value), 'stored values are header-safe');
});
