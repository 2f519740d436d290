// `pubky migrate` end to end on a local network with three homeservers: an account of 1,000 files
// moves from one homeserver to another; the first run is killed (SIGKILL) halfway through the copy,
// the second finishes; both trees are identical, the record points to the new homeserver, and an
// app's reads work before, during and after.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { writeSecretKeyFile } from '@pubky-ts/common/node';
import { Pubky } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { netArgs, runCli, scratch, show, spawnCli } from './helpers.ts';

const FILES = 1_000;
let net: Testnet;
let oldHs: ExtraHomeserver;
let newHs: ExtraHomeserver;
const tmp = scratch();

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2, signupMode: 'open' });
  oldHs = await startExtraHomeserver(net, { logLevel: 'silent' });
  newHs = await startExtraHomeserver(net, { logLevel: 'silent', signupMode: 'token_required' });
});
after(async () => {
  await newHs?.close();
  await oldHs?.close();
  await net?.close();
  tmp.cleanup();
});

function client(): Pubky {
  return new Pubky({ relays: [net.pkarrRelay.url], testnet: { host: 'localhost' } });
}

/**
 * A user's whole tree read straight from a homeserver's store (in this process, no HTTP), so the
 * test's own checks cost little next to the migration under test.
 */
async function storeTree(hs: ExtraHomeserver, user: string): Promise<string[]> {
  const out: string[] = [];
  for (const root of ['/pub/', '/priv/']) {
    let cursor: string | null = null;
    for (;;) {
      const page: string[] = (await hs.store.files.list(user, root, { limit: 1000, cursor })) ?? [];
      for (const path of page) {
        const e = await hs.store.files.head(user, path);
        if (e) out.push(`${path} ${e.etag} ${e.contentLength} ${e.contentType}`);
      }
      if (page.length < 1000) break;
      cursor = page[page.length - 1];
    }
  }
  return out;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

test('migrate 1,000 files, killed halfway, rerun: identical trees, record switched, reads never fail', { timeout: 240_000 }, async () => {
  const keypair = Keypair.random();
  const keyFile = join(tmp.dir, 'user.key');
  await writeSecretKeyFile(keyFile, keypair);
  const pubky = client();
  const session = await pubky.signer(keypair).signup(oldHs.publicKey);
  // Seed the old homeserver through its store (the HTTP path is what the migration exercises).
  const user = keypair.publicKey.z32;
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < FILES) {
        const i = next++;
        const dir = i % 4 === 0 ? '/priv/notes/' : `/pub/app/${i % 10}/`;
        await oldHs.store.files.put(user, `${dir}${i}.txt`, once(new TextEncoder().encode(`file ${i} `.repeat(1 + (i % 100)))));
      }
    }),
  );
  await session.storage.putText('/pub/app/1/1.txt', 'file 1 file 1 ');
  const source = await storeTree(oldHs, user);
  assert.equal(source.length, FILES);

  // An app reads the user's public data through its own client, resolving the record every time.
  const app = client();
  const probe = `pubky://${keypair.publicKey.z32}/pub/app/1/1.txt`;
  let reading = true;
  let reads = 0;
  let readError: unknown = null;
  const readerLoop = (async () => {
    while (reading) {
      try {
        const text = await app.publicStorage.getText(probe);
        if (text !== 'file 1 file 1 ') throw new Error(`read ${JSON.stringify(text)}`);
        reads++;
      } catch (e) {
        readError ??= e;
        return;
      }
      app.pkdns.forget(keypair.publicKey);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const args = [
    'migrate',
    '-k',
    keyFile,
    '--to',
    newHs.publicKey.z32,
    '--signup-token',
    await newHs.signupToken(),
    '--progress',
    '--progress-interval',
    '50',
    ...netArgs(net),
    '--session-file',
    tmp.sessionFile,
  ];

  // First run: SIGKILL once half of the files are on the new homeserver.
  const child = spawnCli(args);
  child.stdin.end();
  let stderr = '';
  let killedAt = -1;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 150_000);
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
    for (const m of stderr.matchAll(/^copying\s+(\d+)\/(\d+) files/gm)) {
      if (killedAt < 0 && Number(m[1]) >= FILES / 2) {
        killedAt = Number(m[1]);
        child.kill('SIGKILL');
      }
    }
  });
  const firstCode = await exited;
  clearTimeout(deadline);
  assert.ok(killedAt >= FILES / 2, `the first run was killed halfway (stderr tail: ${stderr.slice(-400)})`);
  assert.notEqual(firstCode, 0);
  assert.equal((await client().pkdns.requireHomeserverOf(keypair.publicKey)).z32, oldHs.publicKey.z32, 'not switched after the kill');
  const partial = (await storeTree(newHs, user)).length;
  assert.ok(partial >= FILES / 2 && partial < FILES, `about half was copied (${partial})`);

  // Second run: continues (the signup token is spent, the account exists) and finishes.
  const second = await runCli(args, { timeoutMs: 150_000 });
  assert.equal(second.code, 0, show(second));
  assert.match(second.out, new RegExp(`moved ${keypair.publicKey.z32} from ${oldHs.publicKey.z32} to ${newHs.publicKey.z32}`));
  const copied = Number(/copied (\d+)/.exec(second.out)?.[1]);
  assert.ok(copied <= FILES - partial, `the rerun copied only what was missing (${copied} of ${FILES})`);

  reading = false;
  await readerLoop;
  assert.equal(readError, null, `the app's reads never failed (${String(readError)})`);
  assert.ok(reads > 10, `the app kept reading throughout (${reads} reads)`);

  assert.deepEqual(await storeTree(newHs, user), source);
  assert.equal((await client().pkdns.requireHomeserverOf(keypair.publicKey)).z32, newHs.publicKey.z32);
  assert.equal(await client().publicStorage.getText(probe), 'file 1 file 1 ');
});
