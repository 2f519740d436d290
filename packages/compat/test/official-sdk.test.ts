// The official JavaScript SDK `@synonymdev/pubky@0.6.0` (WASM, from npm) in testnet mode against
// our whole local network: DHT bootstrap on UDP 6881, pkarr relay 15411, HTTP relay 15412,
// homeserver 6286 (zero-seed key) with its admin API on 6288.
//
// This is the ONLY test file in the repository that binds the fixed testnet ports, so it must stay
// the only one (the runner runs two files at a time). Every official-SDK test lives here.
//
// Importing the SDK replaces `globalThis.fetch` by a fetch with a process-wide cookie jar
// (fetch-cookie). Everything in this file shares that jar, as every SDK instance does in Node.
// A user's cookie is named after the user, so a newer session of the same user (sign-in, auth flow)
// replaces the older one in the jar: tests that need a session to stay valid use their own user.
//
// Where the newest protocol deliberately differs from 0.6.0 the tests assert OUR behaviour and say
// "difference N" (numbered as in packages/compat/README.md).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuthFlowKind,
  AuthToken as SdkAuthToken,
  Keypair as SdkKeypair,
  Pubky,
  PublicKey as SdkPublicKey,
  Session,
  SignupDeepLink,
  validateCapabilities,
  type Address,
  type Path,
} from '@synonymdev/pubky';
import {
  AuthToken,
  base64Decode,
  base64Encode,
  blake3,
  createRecoveryFile,
  decodeSessionInfo,
  decryptRecoveryFile,
  Keypair,
} from '@pubky-ts/common';
import { pkarrPublisher, resolveConfig, startHomeserver } from '@pubky-ts/homeserver';
import { startTestnet, TESTNET_PORTS, type Testnet } from '@pubky-ts/testnet';

const HOMESERVER_Z32 = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';
const RELAY = `http://localhost:${TESTNET_PORTS.httpRelay}/link/`;

let net: Testnet;
let sdk: Pubky;

/**
 * Every test gets a deadline: an error thrown inside a WASM future (see hsKey below) leaves the SDK's
 * promise pending forever, and the deadline turns that hang into a failure.
 */
const LIMIT = { timeout: 20_000 };

/**
 * A fresh handle of the homeserver key for every call: some SDK methods take a `PublicKey` by
 * value and free it (`Pkdns.publishHomeserverForce`), after which the old handle is a null pointer
 * that makes the next call throw inside the WASM future (an uncaught error, and a promise that never
 * settles). See README.md, "SDK notes".
 */
const hsKey = () => SdkPublicKey.from(HOMESERVER_Z32);

before(async () => {
  net = await startTestnet({ fixedPorts: true, logLevel: 'silent', signupMode: 'token_required' });
  sdk = Pubky.testnet();
});

after(async () => {
  await net?.close();
});

// ---------------------------------------------------------------------------------------------
// helpers

/** The status code the SDK attaches to a RequestError (`error.data.statusCode`). */
function statusOf(e: unknown): number | undefined {
  const data = (e as { data?: unknown })?.data;
  if (data && typeof data === 'object' && 'statusCode' in data) return (data as { statusCode: number }).statusCode;
  return undefined;
}

/** Expects `promise` to reject with an SDK error of `name` (and `status`, and a message matching). */
async function rejectsWith(promise: Promise<unknown>, expected: { name: string; status?: number; message?: RegExp }): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    const err = e as { name?: string; message?: string };
    assert.equal(err.name, expected.name, `error name (message: ${err.message})`);
    if (expected.status !== undefined) assert.equal(statusOf(e), expected.status, `status (message: ${err.message})`);
    if (expected.message) assert.match(String(err.message), expected.message);
    return true;
  });
}

async function signupUser(): Promise<{ signer: ReturnType<Pubky['signer']>; session: Session; user: string }> {
  const signer = sdk.signer(SdkKeypair.random());
  const session = await signer.signup(hsKey(), await net.signupToken());
  return { signer, session, user: session.info.publicKey.z32() };
}

const addr = (user: string, path: string) => `pubky${user}${path}` as Address;

/** A plain HTTP request to the homeserver, outside the SDK and its cookie jar. */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  port: number = TESTNET_PORTS.homeserverHttp,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface JarCookie {
  key: string;
  value: string;
  httpOnly: boolean;
  secure: boolean;
  path: string | null;
}

/** The live cookies for the homeserver in the SDK's process-wide jar (fetch-cookie on globalThis.fetch). */
async function jarCookies(): Promise<JarCookie[]> {
  const jar = (globalThis.fetch as unknown as { cookieJar?: { getCookies(url: string): Promise<JarCookie[]> } }).cookieJar;
  assert.ok(jar, 'the SDK wraps globalThis.fetch with a cookie jar');
  return jar.getCookies(`http://localhost:${TESTNET_PORTS.homeserverHttp}/`);
}

async function jarCookieNames(): Promise<string[]> {
  return (await jarCookies()).map((c) => c.key);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// keys and formats: the SDK's bytes and ours agree

test('keys, recovery files and AuthTokens: the SDK and @pubky-ts/common agree', LIMIT, async () => {
  const seed = new Uint8Array(32).fill(7);
  assert.equal(SdkKeypair.fromSecret(seed).publicKey.z32(), Keypair.fromSecretKey(seed).publicKey.z32);
  assert.equal(SdkKeypair.fromSecret(new Uint8Array(32)).publicKey.z32(), HOMESERVER_Z32);
  assert.equal(net.homeserver.publicKey.z32, HOMESERVER_Z32);
  assert.equal(SdkPublicKey.from(`pubky${HOMESERVER_Z32}`).z32(), HOMESERVER_Z32);

  // Recovery files, both ways.
  const theirs = SdkKeypair.random();
  const ours = await decryptRecoveryFile(theirs.createRecoveryFile('correct horse'), 'correct horse');
  assert.equal(ours.publicKey.z32, theirs.publicKey.z32());
  const mine = Keypair.random();
  const back = SdkKeypair.fromRecoveryFile(await createRecoveryFile(mine, 'battery staple'), 'battery staple');
  assert.equal(back.publicKey.z32(), mine.publicKey.z32);

  // An AuthToken we sign is accepted by the SDK's verifier, with its capabilities.
  const token = AuthToken.sign(mine, '/pub/app/:rw,/priv/app/:r');
  const verified = SdkAuthToken.verify(token.serialize());
  assert.equal(verified.publicKey.z32(), mine.publicKey.z32);
  assert.deepEqual(verified.capabilities, ['/pub/app/:rw', '/priv/app/:r']);
  // ... and one with a flipped signature bit is refused by it.
  const tampered = token.serialize().slice();
  tampered[10] ^= 1;
  assert.throws(() => SdkAuthToken.verify(tampered));
});

// ---------------------------------------------------------------------------------------------
// signup, signin

test('signup with a token from the admin port; refusals of missing, bad, used tokens and of a second signup', LIMIT, async () => {
  await rejectsWith(sdk.signer(SdkKeypair.random()).signup(hsKey(), null), {
    name: 'RequestError',
    status: 400,
    message: /Token required/,
  });
  await rejectsWith(sdk.signer(SdkKeypair.random()).signup(hsKey(), 'AAAA-BBBB-CCCC'), {
    name: 'RequestError',
    status: 401,
    message: /Invalid token/,
  });

  const token = await net.signupToken();
  assert.match(token, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const signer = sdk.signer(SdkKeypair.random());
  const session = await signer.signup(hsKey(), token);
  assert.equal(session.info.publicKey.z32(), signer.publicKey.z32());
  assert.deepEqual(session.info.capabilities, ['/:rw']);
  const cookie = (await jarCookies()).find((c) => c.key === signer.publicKey.z32());
  assert.ok(cookie, 'the jar holds a cookie named after the user');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, false, 'no Secure attribute on localhost, so http testnets keep it');
  assert.equal(cookie.path, '/');
  assert.match(cookie.value, /^[0-9A-Z]{26}$/);

  await rejectsWith(sdk.signer(SdkKeypair.random()).signup(hsKey(), token), {
    name: 'RequestError',
    status: 401,
    message: /Token already used/,
  });
  await rejectsWith(signer.signup(hsKey(), await net.signupToken()), {
    name: 'RequestError',
    status: 409,
    message: /User already exists/,
  });

  // After signup the SDK published the user's _pubky record through our pkarr relay.
  assert.equal((await sdk.getHomeserverOf(signer.publicKey))?.z32(), HOMESERVER_Z32);
  assert.equal((await signer.pkdns.getHomeserver())?.z32(), HOMESERVER_Z32);
});

test('signin and signinBlocking give fresh root sessions; an unknown user is refused', LIMIT, async () => {
  const { signer, user } = await signupUser();
  const s1 = await signer.signin();
  assert.equal(s1.info.publicKey.z32(), user);
  assert.deepEqual(s1.info.capabilities, ['/:rw']);
  await s1.storage.putText('/pub/example.com/signin.txt', 'one');
  const s2 = await signer.signinBlocking();
  assert.deepEqual(s2.info.capabilities, ['/:rw']);
  await s2.storage.putText('/pub/example.com/signin.txt', 'two');
  assert.equal(await sdk.publicStorage.getText(addr(user, '/pub/example.com/signin.txt')), 'two');

  // A key whose _pubky record names our homeserver but which never signed up: POST /session → 404.
  const stranger = sdk.signer(SdkKeypair.random());
  await stranger.pkdns.publishHomeserverForce(hsKey());
  await rejectsWith(stranger.signin(), { name: 'RequestError', status: 404 });
  // Without any record the SDK cannot find a homeserver at all (client-side PkarrError).
  await rejectsWith(sdk.signer(SdkKeypair.random()).signin(), { name: 'PkarrError' });
});

// ---------------------------------------------------------------------------------------------
// storage

test('storage: text, JSON and bytes through session and public storage; streaming get; ETag and headers', LIMIT, async () => {
  const { session, user } = await signupUser();
  const s = session.storage;

  await s.putText('/pub/example.com/hello.txt', 'hello world from pubky');
  await s.putJson('/pub/example.com/data.json', { foo: 'bar', n: [1, 2] });
  const bytes = Uint8Array.from([0, 1, 2, 3, 4, 250, 251, 252, 253, 254, 255]);
  await s.putBytes('/pub/example.com/blob.bin', bytes);

  assert.equal(await s.getText('/pub/example.com/hello.txt'), 'hello world from pubky');
  assert.deepEqual(await s.getJson('/pub/example.com/data.json'), { foo: 'bar', n: [1, 2] });
  assert.deepEqual([...(await s.getBytes('/pub/example.com/blob.bin'))], [...bytes]);
  assert.equal(await sdk.publicStorage.getText(addr(user, '/pub/example.com/hello.txt')), 'hello world from pubky');
  assert.deepEqual(await sdk.publicStorage.getJson(`pubky://${user}/pub/example.com/data.json` as Address), { foo: 'bar', n: [1, 2] });
  assert.deepEqual([...(await sdk.publicStorage.getBytes(addr(user, '/pub/example.com/blob.bin')))], [...bytes]);

  // get() hands out the raw Response: status, headers, a streamed body.
  const res = await sdk.publicStorage.get(addr(user, '/pub/example.com/blob.bin'));
  assert.equal(res.status, 200);
  const etag = `"${base64Encode(await blake3(bytes))}"`;
  assert.equal(res.headers.get('etag'), etag, 'ETag = quoted base64(blake3(content))');
  assert.equal(res.headers.get('content-length'), String(bytes.length));
  assert.ok(res.headers.get('last-modified'), 'Last-Modified present');
  assert.equal(res.bodyUsed, false);
  assert.deepEqual([...new Uint8Array(await res.arrayBuffer())], [...bytes]);

  // The SDK's raw client: a conditional GET with that ETag answers 304.
  const cond = await sdk.client.fetch(`https://_pubky.${user}/pub/example.com/blob.bin`, {
    headers: { 'if-none-match': etag },
  });
  assert.equal(cond.status, 304);

  // Overwrite keeps one file with the new content.
  await s.putText('/pub/example.com/hello.txt', 'second version');
  assert.equal(await sdk.publicStorage.getText(addr(user, '/pub/example.com/hello.txt')), 'second version');
});

test('storage: exists and stats (session and public); stats change when the file changes', LIMIT, async () => {
  const { session, user } = await signupUser();
  const path: Path = '/pub/example.com/stats.json';
  await session.storage.putJson(path, { foo: 'bar' });

  assert.equal(await session.storage.exists(path), true);
  assert.equal(await sdk.publicStorage.exists(addr(user, path)), true);
  const [st1, pub1] = await Promise.all([session.storage.stats(path), sdk.publicStorage.stats(addr(user, path))]);
  assert.ok(st1 && pub1);
  const body = await sdk.publicStorage.getBytes(addr(user, path));
  assert.equal(pub1.contentLength, body.byteLength);
  assert.equal(st1.contentLength, body.byteLength);
  assert.match(String(pub1.contentType), /json/i);
  assert.equal(pub1.etag, base64Encode(await blake3(body)), 'the SDK hands out the ETag without quotes');
  assert.equal(typeof st1.lastModifiedMs, 'number');
  assert.ok(Math.abs(st1.lastModifiedMs! - Date.now()) < 60_000, 'Last-Modified is about now');

  await sleep(1100); // Last-Modified has one-second precision
  await session.storage.putJson(path, { foo: 'baz' });
  const [st2, pub2] = await Promise.all([session.storage.stats(path), sdk.publicStorage.stats(addr(user, path))]);
  assert.ok(st2 && pub2);
  assert.ok(st2.lastModifiedMs! > st1.lastModifiedMs!, 'lastModifiedMs increases');
  assert.ok(pub2.lastModifiedMs! > pub1.lastModifiedMs!);
  assert.notEqual(st2.etag, st1.etag);
  assert.notEqual(pub2.etag, pub1.etag);
});

test('storage: missing files (404, exists false, stats undefined); deletes', LIMIT, async () => {
  const { session, user } = await signupUser();
  const s = session.storage;
  const missing = '/pub/example.com/definitely-missing.json' as Path;
  await rejectsWith(s.getJson(missing), { name: 'RequestError', status: 404 });
  await rejectsWith(sdk.publicStorage.getText(addr(user, missing)), { name: 'RequestError', status: 404 });
  assert.equal(await s.exists(missing), false);
  assert.equal(await sdk.publicStorage.exists(addr(user, missing)), false);
  assert.equal(await s.stats(missing), undefined);
  assert.equal(await sdk.publicStorage.stats(addr(user, missing)), undefined);

  await s.putText('/pub/example.com/to-delete.txt', 'bye');
  await s.putText('/pub/example.com/keep.txt', 'stay');
  await s.delete('/pub/example.com/to-delete.txt');
  await rejectsWith(sdk.publicStorage.getText(addr(user, '/pub/example.com/to-delete.txt')), { name: 'RequestError', status: 404 });
  assert.equal(await s.exists('/pub/example.com/to-delete.txt'), false);
  assert.deepEqual(await sdk.publicStorage.list(addr(user, '/pub/example.com/')), [`pubky://${user}/pub/example.com/keep.txt`]);
  // Deleting what is not there: 404.
  await rejectsWith(s.delete('/pub/example.com/to-delete.txt'), { name: 'RequestError', status: 404 });
  // There is no directory delete: a directory path is refused (400), nothing is removed.
  await rejectsWith(s.delete('/pub/example.com/'), {
    name: 'RequestError',
    status: 400,
    message: /target path must be a file/,
  });
  assert.equal(await s.getText('/pub/example.com/keep.txt'), 'stay');
  // A listing address without a trailing slash is refused by the SDK itself.
  await rejectsWith(s.list('/pub/example.com'), { name: 'RequestError', message: /must end with `\/`/ });
});

test('list: deep listing with limit, full-URL cursors, reverse, and paging', LIMIT, async () => {
  const { session, user } = await signupUser();
  const mk = (p: string) => session.storage.putText(p as Path, '');
  for (const p of [
    '/pub/a.wrong/a.txt',
    '/pub/example.com/a.txt',
    '/pub/example.com/b.txt',
    '/pub/example.wrong/a.txt',
    '/pub/example.com/c.txt',
    '/pub/example.com/d.txt',
    '/pub/example.wrong/d.txt',
    '/pub/z.wrong/a.txt',
  ]) {
    await mk(p);
  }
  const dir = addr(user, '/pub/example.com/');
  const u = (name: string) => `pubky://${user}/pub/example.com/${name}`;
  const pub = sdk.publicStorage;

  assert.deepEqual(await pub.list(dir), [u('a.txt'), u('b.txt'), u('c.txt'), u('d.txt')]);
  assert.deepEqual(await pub.list(dir, null, false, 2), [u('a.txt'), u('b.txt')]);
  assert.deepEqual(await pub.list(dir, u('a.txt'), false, 2), [u('b.txt'), u('c.txt')]);
  // A cursor is `<z32>/<path>` with or without `pubky://`.
  assert.deepEqual(await pub.list(dir, `${user}/pub/example.com/a.txt`, false, 2), [u('b.txt'), u('c.txt')]);
  assert.deepEqual(await pub.list(dir, null, true), [u('d.txt'), u('c.txt'), u('b.txt'), u('a.txt')]);
  assert.deepEqual(await pub.list(dir, null, true, 2), [u('d.txt'), u('c.txt')]);
  assert.deepEqual(await pub.list(dir, u('d.txt'), true, 2), [u('c.txt'), u('b.txt')]);
  assert.deepEqual(await pub.list(dir, u('d.txt'), false), []);

  // Session storage lists the same, and a paging loop with the last entry as cursor sees every file once.
  assert.deepEqual(await session.storage.list('/pub/example.com/'), await pub.list(dir));
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 10; i++) {
    const page: string[] = await session.storage.list('/pub/', cursor, false, 3);
    if (page.length === 0) break;
    seen.push(...page);
    cursor = page[page.length - 1];
  }
  assert.deepEqual(seen, [
    `pubky://${user}/pub/a.wrong/a.txt`,
    u('a.txt'),
    u('b.txt'),
    u('c.txt'),
    u('d.txt'),
    `pubky://${user}/pub/example.wrong/a.txt`,
    `pubky://${user}/pub/example.wrong/d.txt`,
    `pubky://${user}/pub/z.wrong/a.txt`,
  ]);
});

test('difference 6: a bare suffix cursor ("a.txt", which 0.6.0 documents) is refused with 400 Invalid cursor', LIMIT, async () => {
  const { session, user } = await signupUser();
  await session.storage.putText('/pub/example.com/a.txt', '');
  await session.storage.putText('/pub/example.com/b.txt', '');
  // The SDK sends the suffix as it is (`?cursor=a.txt`); the newest protocol wants `<z32>/<path>`.
  for (const cursor of ['a.txt', '/pub/example.com/a.txt', `pubky${user}/pub/example.com/a.txt`]) {
    await rejectsWith(session.storage.list('/pub/example.com/', cursor), {
      name: 'RequestError',
      status: 400,
      message: /Invalid cursor/,
    });
  }
  // The same position as a full cursor works (see FINDINGS.md, finding 1).
  assert.deepEqual(await session.storage.list('/pub/example.com/', `pubky://${user}/pub/example.com/a.txt`), [
    `pubky://${user}/pub/example.com/b.txt`,
  ]);
});

test('list shallow under /pub/ (the 0.6.0 test with the file renamed, difference 2)', LIMIT, async () => {
  const { session, user } = await signupUser();
  const put = (p: string) => session.storage.putBytes(p as Path, new Uint8Array());
  await Promise.all([
    put('/pub/a.com/a.txt'),
    put('/pub/example.com/a.txt'),
    put('/pub/example.com/b.txt'),
    put('/pub/example.com/c.txt'),
    put('/pub/example.com/d.txt'),
    put('/pub/example.con/d.txt'),
    put('/pub/example.con-file'),
    put('/pub/file'),
    put('/pub/file2'),
    put('/pub/z.com/a.txt'),
  ]);
  const p = (rest: string) => `pubky://${user}/pub/${rest}`;
  const s = session.storage;
  const all = [p('a.com/'), p('example.com/'), p('example.con-file'), p('example.con/'), p('file'), p('file2'), p('z.com/')];
  assert.deepEqual(await s.list('/pub/', undefined, false, undefined, true), all);
  assert.deepEqual(await s.list('/pub/', undefined, false, 3, true), all.slice(0, 3));
  assert.deepEqual(await s.list('/pub/', p('example.con-file'), false, undefined, true), all.slice(3));
  assert.deepEqual(await s.list('/pub/', p('example.com/'), false, 2, true), [p('example.con-file'), p('example.con/')]);
  assert.deepEqual(await s.list('/pub/', undefined, true, undefined, true), [...all].reverse());
  assert.deepEqual(await s.list('/pub/', p('file2'), true, 3, true), [p('file'), p('example.con/'), p('example.con-file')]);
  assert.deepEqual(await sdk.publicStorage.list(addr(user, '/pub/'), null, false, null, true), all);
});

// ---------------------------------------------------------------------------------------------
// sessions: signout, many users in one jar, export/restore

test('signout: the cookie leaves the jar, writes answer 401, a second signout is harmless, signin works again', LIMIT, async () => {
  const { signer, session, user } = await signupUser();
  const path: Path = '/pub/example.com/auth-basic.txt';
  await session.storage.putText(path, 'hello world');
  assert.ok((await jarCookieNames()).includes(user));

  await session.signout();
  assert.equal(session.info.publicKey.z32(), user, 'info stays readable after signout');
  assert.ok(!(await jarCookieNames()).includes(user), 'the server removed the cookie');
  await session.signout();

  const res = await sdk.client.fetch(`https://_pubky.${user}${path}`, { method: 'PUT', body: 'nope', credentials: 'include' });
  assert.equal(res.status, 401);
  await rejectsWith(session.storage.putText(path, 'nope'), { name: 'RequestError', status: 401 });
  assert.equal(await sdk.publicStorage.getText(addr(user, path)), 'hello world', 'public reads still work');

  const again = await signer.signin();
  await again.storage.putText(path, 'hello again');
  assert.equal(await sdk.publicStorage.getText(addr(user, path)), 'hello again');
});

test('many users in one cookie jar: writes land under the right user; one signout leaves the others', LIMIT, async () => {
  const alice = await signupUser();
  const bob = await signupUser();
  const P: Path = '/pub/example.com/owner.txt';
  const read = (u: string) => sdk.publicStorage.getText(addr(u, P));

  await alice.session.storage.putText(P, 'alice#1');
  await bob.session.storage.putText(P, 'bob#1');
  await bob.session.storage.putText(P, 'bob#2');
  await alice.session.storage.putText(P, 'alice#2');
  assert.equal(await read(alice.user), 'alice#2');
  assert.equal(await read(bob.user), 'bob#2');

  for (const [who, body] of [
    [alice.user, 'alice#3'],
    [bob.user, 'bob#3'],
  ] as const) {
    const r = await sdk.client.fetch(`https://_pubky.${who}${P}`, { method: 'PUT', body, credentials: 'include' });
    assert.equal(r.status, 201);
  }
  assert.equal(await read(alice.user), 'alice#3');
  assert.equal(await read(bob.user), 'bob#3');

  const carol = await signupUser();
  await carol.session.storage.putText(P, 'carol#1');
  await bob.session.signout();
  await alice.session.storage.putText(P, 'alice#4');
  await rejectsWith(bob.session.storage.putText(P, 'bob#4'), { name: 'RequestError', status: 401 });
  assert.equal(await read(alice.user), 'alice#4');
  assert.equal(await read(bob.user), 'bob#3');
  assert.equal(await read(carol.user), 'carol#1');
});

test('session export and restore (pubky.restoreSession and Session.restore); the export is our SessionInfo', LIMIT, async () => {
  const { session, user } = await signupUser();
  const exported = session.export();

  // The export is base64 of the postcard SessionInfo the server sent.
  const info = decodeSessionInfo(base64Decode(exported));
  assert.equal(info.publicKey.z32, user);
  assert.deepEqual(info.capabilities, ['/:rw']);

  const other = Pubky.testnet(); // a second facade: same process, same jar
  const restored = await other.restoreSession(exported);
  assert.equal(restored.info.publicKey.z32(), user);
  assert.deepEqual(restored.info.capabilities, ['/:rw']);
  await restored.storage.putText('/pub/example.com/restored.txt', 'after restore');
  assert.equal(await session.storage.getText('/pub/example.com/restored.txt'), 'after restore');

  const restored2 = await Session.restore(exported, sdk.client);
  assert.equal(restored2.info.publicKey.z32(), user);
  await restored2.storage.putText('/pub/example.com/restored.txt', 'again');

  // An export that is not one: refused locally.
  await assert.rejects(sdk.restoreSession('not-base64!'));
});

test('difference 3: GET /session without a valid session answers 401 (0.6.0: 404), so restore fails with 401', LIMIT, async () => {
  const { session, user } = await signupUser();
  const exported = session.export();
  await session.signout();
  await rejectsWith(sdk.restoreSession(exported), {
    name: 'RequestError',
    status: 401,
    message: /No authenticated session found/,
  });
  const raw = await rawRequest('GET', '/session', { 'pubky-host': user });
  assert.equal(raw.status, 401);
  assert.equal(raw.body, 'No authenticated session found');
});

test('opt-in drive.compat_session_404: GET /session answers 404 and the SDK reports the session as expired', LIMIT, async () => {
  // A second homeserver on a random port, published through the same pkarr relay: the SDK finds it
  // like any other. Only this config flag differs from the testnet's homeserver.
  const dataDir = mkdtempSync(join(tmpdir(), 'compat-hs-'));
  const keypair = Keypair.random();
  const config = resolveConfig(dataDir, {
    general: { signup_mode: 'open' },
    drive: { icann_listen_socket: '127.0.0.1:0', compat_session_404: true },
    admin: { enabled: false },
    pkdns: {
      public_ip: '127.0.0.1',
      icann_domain: 'localhost',
      dht_bootstrap_nodes: net.bootstrap,
      dht_relay_nodes: [net.pkarrRelay.url],
      dht_request_timeout_ms: 1000,
    },
    logging: { level: 'silent' },
  });
  const hs = await startHomeserver(config, { keypair, publisher: pkarrPublisher() });
  try {
    const signer = sdk.signer(SdkKeypair.random());
    const session = await signer.signup(SdkPublicKey.from(keypair.publicKey.z32), null);
    await session.storage.putText('/pub/example.com/x.txt', 'on the second homeserver');
    assert.equal((await sdk.getHomeserverOf(signer.publicKey))?.z32(), keypair.publicKey.z32);
    const exported = session.export();
    assert.equal((await sdk.restoreSession(exported)).info.publicKey.z32(), signer.publicKey.z32());
    await session.signout();
    // 0.6.0 maps only a 404 from GET /session to "expired".
    await rejectsWith(sdk.restoreSession(exported), { name: 'AuthenticationError', message: /expired/ });
    const raw = await rawRequest('GET', '/session', { 'pubky-host': signer.publicKey.z32() }, Number(new URL(hs.url).port));
    assert.equal(raw.status, 404);
  } finally {
    await hs.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// what the browser build relies on (Node's SDK skips CORS; browsers do not)

test('CORS: a preflight for a credentialed PUT with pubky-host is allowed, and the Origin is mirrored', LIMIT, async () => {
  const { session, user } = await signupUser();
  await session.storage.putText('/pub/example.com/cors.txt', 'x');
  const origin = 'http://localhost:5173';
  const pre = await rawRequest('OPTIONS', '/pub/example.com/cors.txt', {
    origin,
    'access-control-request-method': 'PUT',
    'access-control-request-headers': 'pubky-host,content-type',
    'pubky-host': user,
  });
  assert.ok(pre.status >= 200 && pre.status < 300, `preflight status ${pre.status}`);
  assert.equal(pre.headers['access-control-allow-origin'], origin);
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  assert.match(String(pre.headers['access-control-allow-methods']), /PUT/i);
  assert.match(String(pre.headers['access-control-allow-headers']), /pubky-host/i);
  const get = await rawRequest('GET', '/pub/example.com/cors.txt', { origin, 'pubky-host': user });
  assert.equal(get.status, 200);
  assert.equal(get.headers['access-control-allow-origin'], origin);
  assert.equal(get.headers['access-control-allow-credentials'], 'true');
});

// ---------------------------------------------------------------------------------------------
// deliberate differences in storage

test('difference 1: /priv/ is writable and readable by its owner; anonymous reads are refused; other roots 403', LIMIT, async () => {
  const { session, user } = await signupUser();
  const s = session.storage;
  await s.putText('/priv/example.com/arbitrary' as Path, 'Hello');
  assert.equal(await s.getText('/priv/example.com/arbitrary' as Path), 'Hello');
  assert.equal(await s.exists('/priv/example.com/arbitrary' as Path), true);
  assert.deepEqual(await s.list('/priv/example.com/' as Path), [`pubky://${user}/priv/example.com/arbitrary`]);

  const anon = await rawRequest('GET', '/priv/example.com/arbitrary', { 'pubky-host': user });
  assert.equal(anon.status, 401);
  assert.notEqual(anon.body, 'Hello');

  await rejectsWith(s.putText('/foo/example.com/arbitrary' as Path, 'Hello'), {
    name: 'RequestError',
    status: 403,
    message: /Writing to directories other than '\/pub\/' and '\/priv\/' is forbidden/,
  });
  await s.delete('/priv/example.com/arbitrary' as Path);
  assert.equal(await s.exists('/priv/example.com/arbitrary' as Path), false);
});

test('difference 2: a file and a directory of the same name collide with 409, in both orders', LIMIT, async () => {
  const { session, user } = await signupUser();
  const s = session.storage;
  await s.putText('/pub/example.con/d.txt', 'in the directory');
  await rejectsWith(s.putText('/pub/example.con', 'a file'), {
    name: 'RequestError',
    status: 409,
    message: /File\/folder path collision/,
  });
  await s.putText('/pub/file', 'a file');
  await rejectsWith(s.putText('/pub/file/inner', 'under a file'), { name: 'RequestError', status: 409 });
  assert.deepEqual(await s.list('/pub/', null, false, null, true), [`pubky://${user}/pub/example.con/`, `pubky://${user}/pub/file`]);
  assert.equal(await s.getText('/pub/file'), 'a file');
});

// ---------------------------------------------------------------------------------------------
// pubkyauth flows through our HTTP relay

test('auth flow (signin): the app gets a session with exactly the requested capabilities', LIMIT, async () => {
  const { signer, user } = await signupUser();
  const caps = '/pub/app.example/:rw,/pub/foo.bar/file:r';
  const flow = sdk.startAuthFlow(caps, AuthFlowKind.signin(), RELAY);
  const url = new URL(flow.authorizationUrl);
  assert.equal(url.protocol, 'pubkyauth:');
  assert.equal(url.searchParams.get('caps'), caps);
  assert.equal(url.searchParams.get('relay'), RELAY);

  const [session] = await Promise.all([flow.awaitApproval(), signer.approveAuthRequest(flow.authorizationUrl)]);
  assert.equal(session.info.publicKey.z32(), user);
  assert.deepEqual(session.info.capabilities, caps.split(','));

  await session.storage.putText('/pub/app.example/state.json' as Path, '{}');
  assert.equal(await sdk.publicStorage.getText(addr(user, '/pub/app.example/state.json')), '{}');
  await rejectsWith(session.storage.putText('/pub/other.app/x', 'y'), {
    name: 'RequestError',
    status: 403,
    message: /Session does not have write access to path/,
  });
  await rejectsWith(session.storage.putText('/pub/foo.bar/file', 'y'), { name: 'RequestError', status: 403 });
});

test('auth flow (signup kind): the authenticator signs up from the deep link, the app gets the session', LIMIT, async () => {
  const token = await net.signupToken();
  const caps = '/pub/app.example/:rw';
  const flow = sdk.startAuthFlow(caps, AuthFlowKind.signup(hsKey(), token), RELAY);
  const link = SignupDeepLink.parse(flow.authorizationUrl);
  assert.equal(link.homeserver.z32(), HOMESERVER_Z32);
  assert.equal(link.signupToken, token);
  assert.equal(link.capabilities, caps);

  // The authenticator side (e.g. Pubky Ring) signs up with what the link carries, then approves.
  const newcomer = sdk.signer(SdkKeypair.random());
  await newcomer.signup(link.homeserver, link.signupToken);
  const [session] = await Promise.all([flow.awaitApproval(), newcomer.approveAuthRequest(flow.authorizationUrl)]);
  assert.equal(session.info.publicKey.z32(), newcomer.publicKey.z32());
  assert.deepEqual(session.info.capabilities, [caps]);
  await session.storage.putJson('/pub/app.example/profile.json', { name: 'newcomer' });
});

test('auth flow (authentication only): awaitToken returns a token our AuthToken parser verifies', LIMIT, async () => {
  const { signer, user } = await signupUser();
  const flow = sdk.startAuthFlow('', AuthFlowKind.signin(), RELAY);
  const [token] = await Promise.all([flow.awaitToken(), signer.approveAuthRequest(flow.authorizationUrl)]);
  assert.equal(token.publicKey.z32(), user);
  assert.deepEqual(token.capabilities, []);
  const ours = AuthToken.verify(token.toBytes());
  assert.equal(ours.publicKey.z32, user);
  assert.equal(ours.capabilities.toString(), '');
});

test('difference 4: capability scopes match trailing-slash-aware, and reads of /priv/ need r', LIMIT, async () => {
  const { signer, session: root, user } = await signupUser();
  await root.storage.putText('/priv/notes/secret.txt' as Path, 'secret');
  const flow = sdk.startAuthFlow('/pub/app:rw,/pub/app.example/:w', AuthFlowKind.signin(), RELAY);
  const [app] = await Promise.all([flow.awaitApproval(), signer.approveAuthRequest(flow.authorizationUrl)]);
  // '/pub/app' covers exactly that file (0.6.0: any path starting with '/pub/app').
  await app.storage.putText('/pub/app', 'the file');
  await rejectsWith(app.storage.putText('/pub/apple', 'x'), { name: 'RequestError', status: 403 });
  await rejectsWith(app.storage.putText('/pub/app/x', 'x'), { name: 'RequestError', status: 403 });
  await app.storage.putText('/pub/app.example/x', 'x');
  // /priv/ needs a covering r capability (this session has none).
  await rejectsWith(app.storage.getText('/priv/notes/secret.txt' as Path), { name: 'RequestError', status: 403 });
  assert.equal(await sdk.publicStorage.getText(addr(user, '/pub/app')), 'the file');
});

test('difference 5: a token with a malformed capability is refused with 400 (0.6.0 dropped the entry)', LIMIT, async () => {
  const { signer } = await signupUser();
  // The 0.6.0 SDK's own validator accepts these; the newest protocol does not.
  assert.equal(validateCapabilities('/pub//x/:rw'), '/pub//x/:rw');
  const flow = sdk.startAuthFlow('/pub//x/:rw' as '/pub/x/:rw', AuthFlowKind.signin(), RELAY);
  const approved = signer.approveAuthRequest(flow.authorizationUrl);
  await rejectsWith(flow.awaitApproval(), {
    name: 'RequestError',
    status: 400,
    message: /Serde Deserialization Error/,
  });
  await approved;
});
