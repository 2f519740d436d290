// Moving an account between two real homeservers of a local testnet with the SDK.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keypair, PublicKey } from '@pubky-ts/common';
import { Pkarr } from '@pubky-ts/pkarr';
import { UserRepublisher } from '@pubky-ts/homeserver';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { type ClientError, Pubky, readTree, type MigrationProgress, type Session, type Tree } from '@pubky-ts/client';

let testnet: Testnet;
let oldHs: ExtraHomeserver;
let newHs: ExtraHomeserver;

before(async () => {
  testnet = await startTestnet({ signupMode: 'open' });
  oldHs = await startExtraHomeserver(testnet);
  newHs = await startExtraHomeserver(testnet, { signupMode: 'token_required' });
});
after(async () => {
  await newHs?.close();
  await oldHs?.close();
  await testnet?.close();
});

function client(): Pubky {
  return new Pubky({ relays: [testnet.pkarrRelay.url], testnet: { host: 'localhost' } });
}

function contentOf(i: number): Uint8Array {
  const size = i % 50 === 0 ? 0 : 100 + ((i * 7919) % 3000);
  const bytes = new Uint8Array(size);
  for (let j = 0; j < size; j++) bytes[j] = (i * 31 + j) & 0xff;
  return bytes;
}

async function fill(session: Session, n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const dir = i % 3 === 0 ? '/priv/app/' : '/pub/app/';
      await session.storage.put(`${dir}f-${String(i).padStart(4, '0')}.bin`, contentOf(i), {
        contentType: i % 2 ? 'application/octet-stream' : 'text/plain',
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

function plain(tree: Tree): Array<[string, string, number, string | null]> {
  return [...tree.values()].map((f) => [f.path, f.hash, f.size, f.contentType]);
}

test('an interrupted migration resumes, ends with identical trees, switches the record, and readers never see a gap', async () => {
  const pubky = client();
  const signer = pubky.signer(Keypair.random());
  const session = await signer.signup(oldHs.publicKey);
  await fill(session, 300);
  const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
  await session.storage.put('/pub/app/big.bin', big, { contentType: 'application/octet-stream' });
  await session.storage.putText('/pub/app/ünïcødé and spaces.txt', 'hello');
  const before = await readTree(session);
  assert.equal(before.size, 302);

  // An app reading the user's public data throughout, through its own client.
  const reader = client();
  const address = `pubky://${signer.publicKey.z32}/pub/app/f-0001.bin`;
  let reading = true;
  let reads = 0;
  const readerLoop = (async () => {
    while (reading) {
      const bytes = await reader.publicStorage.getBytes(address);
      assert.deepEqual(bytes, contentOf(1));
      reads++;
      reader.pkdns.forget(signer.publicKey);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();

  // First run: stopped after 100 files were copied.
  const token = await newHs.signupToken();
  const abort = new AbortController();
  const phases: MigrationProgress['phase'][] = [];
  await assert.rejects(
    signer.migrate({
      to: newHs.publicKey,
      signupToken: token,
      signal: abort.signal,
      onProgress: (p) => {
        if (phases.at(-1) !== p.phase) phases.push(p.phase);
        if (p.phase === 'copying' && p.filesDone >= 100) abort.abort();
      },
    }),
    (e: Error) => e.name === 'AbortError' || (e as ClientError).code === 'aborted',
  );
  assert.deepEqual(phases, ['connecting', 'scanning', 'copying']);
  assert.equal((await client().pkdns.requireHomeserverOf(signer.publicKey)).z32, oldHs.publicKey.z32, 'nothing is switched before the end');
  const partial = await readTree(await signer.signinAt(newHs.publicKey));
  assert.ok(partial.size >= 100 && partial.size < 302, `a partial copy (${partial.size} files)`);

  // The old tree changes between the runs: the rerun must follow.
  await session.storage.delete('/pub/app/f-0002.bin');
  await session.storage.putText('/pub/app/f-0004.bin', 'changed');
  const expected = await readTree(session);

  // Second run: the signup token was used up; the account exists, so it signs in.
  const progress: MigrationProgress[] = [];
  const report = await signer.migrate({ to: newHs.publicKey, signupToken: token, onProgress: (p) => progress.push(p) });
  assert.equal(report.alreadyMoved, false);
  assert.equal(report.files, 301);
  assert.ok(report.copied < 301 - 90, `only the rest was copied (${report.copied})`);
  assert.equal(report.from.z32, oldHs.publicKey.z32);
  assert.equal(progress.at(-1)?.phase, 'done');
  assert.equal(progress.at(-1)?.filesDone, 301);

  // Identical trees: paths, hashes, sizes, content types; and the big file byte for byte.
  const moved = await signer.signinAt(newHs.publicKey);
  assert.deepEqual(plain(await readTree(moved)), plain(expected));
  assert.deepEqual(await moved.storage.getBytes('/pub/app/big.bin'), big);
  assert.equal(await moved.storage.getText('/priv/app/f-0003.bin').then((t) => t.length), contentOf(3).length);

  // The record points to the new homeserver; a new client reads from there.
  const other = client();
  assert.equal((await other.pkdns.requireHomeserverOf(signer.publicKey)).z32, newHs.publicKey.z32);
  reading = false;
  await readerLoop;
  assert.ok(reads > 5, `the app kept reading during the migration (${reads} reads)`);

  // The old homeserver's republisher now skips the user.
  const pkarr = new Pkarr({ relays: [testnet.pkarrRelay.url] });
  const republisher = new UserRepublisher({ packets: oldHs.store.packets, pkarr, homeserver: oldHs.publicKey, intervalMs: 3_600_000 });
  try {
    const outcome = await republisher.republishUser(signer.publicKey.z32);
    assert.deepEqual(outcome, { kind: 'skipped', reason: `points to ${newHs.publicKey.z32}` });
  } finally {
    await republisher.close();
  }

  // A third run has nothing to do.
  const again = await signer.migrate({ to: newHs.publicKey });
  assert.equal(again.alreadyMoved, true);
});

test('a source that serves bytes its ETag does not describe is not copied', async () => {
  const pubky = client();
  const signer = pubky.signer(Keypair.random());
  const session = await signer.signup(oldHs.publicKey);
  await session.storage.putText('/pub/x.txt', 'honest');
  // Route the old homeserver through a proxy that flips the first byte of GET bodies.
  const { createServer } = await import('node:http');
  const upstream = new URL(oldHs.url);
  const proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length')) as Record<
      string,
      string
    >;
    const r = await fetch(new URL(req.url!, upstream), {
      method: req.method,
      headers,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
      redirect: 'manual',
    });
    const body = new Uint8Array(await r.arrayBuffer());
    if (req.method === 'GET' && req.url!.includes('x.txt') && body.length > 0) body[0] ^= 0xff;
    const out: Record<string, string | string[]> = {};
    r.headers.forEach((v, k) => {
      if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'content-length') out[k] = v;
    });
    const cookies = r.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    res.writeHead(r.status, out).end(body);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const port = (proxy.address() as { port: number }).port;
    const { homeserverPacket } = await import('./helpers.ts');
    const fakeOld = Keypair.random();
    await pubky.pkdns.source.publish(homeserverPacket(fakeOld, port));
    // The user's record names the proxied "homeserver"; sessions there reach the real one.
    await signer.publishHomeserver(fakeOld.publicKey);
    await assert.rejects(signer.migrate({ to: newHs.publicKey, signupToken: await newHs.signupToken() }), (e: ClientError) => {
      assert.equal(e.code, 'integrity_error');
      assert.match(e.message, /\/pub\/x\.txt/);
      return true;
    });
    assert.equal(
      PublicKey.parse((await client().pkdns.requireHomeserverOf(signer.publicKey)).z32).z32,
      fakeOld.publicKey.z32,
      'the record was not switched',
    );
  } finally {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  }
});

test('mirrors follow the account to its new homeserver; a mirror that becomes the primary stops mirroring', async () => {
  const mirrorHs = await startExtraHomeserver(testnet);
  try {
    const pubky = client();
    const signer = pubky.signer(Keypair.random());
    const session = await signer.signup(oldHs.publicKey);
    await session.storage.putText('/pub/a.txt', 'a');
    await signer.addMirror(mirrorHs.publicKey);
    assert.equal((await signer.mirrorStatus(mirrorHs.publicKey))?.primary, oldHs.publicKey.z32);

    const report = await signer.migrate({ to: newHs.publicKey, signupToken: await newHs.signupToken() });
    assert.deepEqual(
      report.mirrors.map((m) => m.z32),
      [mirrorHs.publicKey.z32],
    );
    assert.deepEqual(report.mirrorErrors, []);
    assert.equal(
      (await signer.mirrorStatus(mirrorHs.publicKey))?.primary,
      newHs.publicKey.z32,
      'the mirror now follows the new homeserver',
    );
    assert.deepEqual(
      (await client().getMirrorsOf(signer.publicKey)).map((m) => m.z32),
      [mirrorHs.publicKey.z32],
    );

    // Moving onto the mirror itself: it becomes the primary and stops following anyone.
    const second = await signer.migrate({ to: mirrorHs.publicKey });
    assert.deepEqual(second.mirrors, []);
    assert.equal(await signer.mirrorStatus(mirrorHs.publicKey), null);
    const fresh = client();
    assert.equal((await fresh.pkdns.requireHomeserverOf(signer.publicKey)).z32, mirrorHs.publicKey.z32);
    assert.deepEqual(await fresh.getMirrorsOf(signer.publicKey), []);
    assert.equal(await fresh.publicStorage.getText(`pubky://${signer.publicKey.z32}/pub/a.txt`), 'a');
  } finally {
    await mirrorHs.close();
  }
});
