// `pubky export` and `pubky import` end to end as child processes against an in-process testnet with
// a second homeserver: export from the first, check and refuse tampered copies, import on the second.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Pubky, type Session } from '@pubky-ts/client';
import { startExtraHomeserver, startTestnet, type ExtraHomeserver, type Testnet } from '@pubky-ts/testnet';
import { netArgs, runCli, scratch, show } from './helpers.ts';

let net: Testnet;
let second: ExtraHomeserver;
const tmp = scratch();
let args: string[];

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2, signupMode: 'open' });
  second = await startExtraHomeserver(net, { logLevel: 'silent' });
  args = [...netArgs(net), '--session-file', tmp.sessionFile];
});
after(async () => {
  await second?.close();
  await net?.close();
  tmp.cleanup();
});

async function savedSession(user: string): Promise<Session> {
  const saved = JSON.parse(readFileSync(tmp.sessionFile, 'utf8'));
  return new Pubky({ relays: [net.pkarrRelay.url] }).restoreSession(saved.sessions[user].session);
}

async function tree(session: Session): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const root of ['/pub/', '/priv/']) {
    try {
      for await (const url of session.storage.listAll(root)) {
        const path = url.slice(`pubky://${session.publicKey.z32}`.length);
        const stats = (await session.storage.stats(path))!;
        out[path] = `${stats.etag} ${stats.size} ${stats.contentType}`;
      }
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }
  return out;
}

test('export to a file, check it, refuse tampered copies, import it on another homeserver, prune', async () => {
  const keyFile = join(tmp.dir, 'alice.key');
  const kg = await runCli(['keygen', '--out', keyFile]);
  assert.equal(kg.code, 0, show(kg));
  const user = kg.out.trim();
  const su = await runCli(['signup', '-k', keyFile, '--homeserver', net.homeserver.publicKey.z32, ...args]);
  assert.equal(su.code, 0, show(su));
  const first = await savedSession(user);
  const big = new Uint8Array(1_200_000).map((_, i) => (i * 31) & 0xff);
  await Promise.all([
    first.storage.putText('/pub/cli.archive/hello.txt', 'hello'),
    first.storage.putText('/pub/cli.archive/дубль.txt', 'hello'),
    first.storage.putBytes('/pub/cli.archive/big.bin', big),
    first.storage.putBytes('/pub/cli.archive/empty', new Uint8Array(0)),
    first.storage.putText('/priv/cli.archive/secret.md', 'private'),
  ]);
  const original = await tree(first);
  assert.equal(Object.keys(original).length, 5);

  const file = join(tmp.dir, 'alice.tar');
  const ex = await runCli(['export', file, '-k', keyFile, '--progress', ...args]);
  assert.equal(ex.code, 0, show(ex));
  assert.match(
    ex.out,
    new RegExp(
      `exported 5 files \\(4 distinct contents, 1\\.1 MiB\\) of ${user} from ${net.homeserver.publicKey.z32} to ${file.replace(/[.]/g, '\\.')}`,
    ),
  );
  assert.match(ex.err, /writing {2}4\/4 files {2}1\.1 MiB \/ 1\.1 MiB {2}100%/, 'the progress line counts files and bytes');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the archive holds private files: mode 0600');
  const listing = execFileSync('tar', ['tvf', file], { encoding: 'utf8' });
  assert.equal(listing.trim().split('\n').length, 6);

  // Not over an existing file without --force.
  const again = await runCli(['export', file, '-k', keyFile, ...args]);
  assert.equal(again.code, 2, show(again));
  assert.match(again.err, /exists: give another file, or --force/);

  // --check verifies without a network.
  const check = await runCli(['import', file, '--check']);
  assert.equal(check.code, 0, show(check));
  assert.match(check.out, new RegExp(`^ok: 5 files \\(4 distinct contents, 1\\.1 MiB\\) of ${user}, exported .*, signed by its user`));

  // A flipped byte in the big content, and a truncated copy: refused with the reason.
  const bytes = readFileSync(file);
  const at = bytes.indexOf(Buffer.from(big.subarray(1000, 1064))) + 5000;
  assert.ok(at > 5000);
  const tampered = Buffer.from(bytes);
  tampered[at] ^= 0x40;
  const bad = join(tmp.dir, 'tampered.tar');
  writeFileSync(bad, tampered);
  const cut = join(tmp.dir, 'cut.tar');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 2000));
  const [badCheck, cutCheck] = await Promise.all([runCli(['import', bad, '--check']), runCli(['import', cut, '--check'])]);
  assert.equal(badCheck.code, 1, show(badCheck));
  assert.match(
    badCheck.err,
    /^pubky import: the content of \/pub\/cli\.archive\/big\.bin .* does not match its hash.* \(archive_hash_mismatch\)/,
  );
  assert.equal(cutCheck.code, 1, show(cutCheck));
  assert.match(cutCheck.err, /\(archive_truncated\)/);

  // Alice signs up on the second homeserver (the saved session now points there).
  const su2 = await runCli(['signup', '-k', keyFile, '--homeserver', second.publicKey.z32, ...args]);
  assert.equal(su2.code, 0, show(su2));
  const onSecond = await savedSession(user);
  assert.equal(onSecond.homeserver.z32, second.publicKey.z32);

  const refused = await runCli(['import', bad, ...args]);
  assert.equal(refused.code, 1, show(refused));
  assert.match(refused.err, /\(archive_hash_mismatch\)/);
  assert.deepEqual(await tree(onSecond), {}, 'a refused import writes nothing');

  const im = await runCli(['import', file, '--progress', ...args]);
  assert.equal(im.code, 0, show(im));
  assert.match(
    im.out,
    new RegExp(`imported 5 files of ${user} to ${second.publicKey.z32}: 5 written \\(1\\.1 MiB\\), 0 already there, 0 deleted`),
  );
  assert.match(im.err, /verifying {2}4\/4 files .*100%/);
  assert.match(im.err, /uploading {2}5\/5 files .*100%/);
  assert.deepEqual(await tree(onSecond), original, 'the second homeserver holds the same tree');

  // An extra file is kept, then pruned.
  await onSecond.storage.putText('/pub/cli.archive/later.txt', 'later');
  const keep = await runCli(['import', file, ...args]);
  assert.equal(keep.code, 0, show(keep));
  assert.match(keep.out, /0 written \(0 B\), 5 already there, 0 deleted/);
  const prune = await runCli(['import', file, '--prune', ...args]);
  assert.equal(prune.code, 0, show(prune));
  assert.match(prune.out, /0 written \(0 B\), 5 already there, 1 deleted/);
  assert.deepEqual(await tree(onSecond), original);

  // The key must be the archive's user.
  const otherKey = join(tmp.dir, 'bob.key');
  assert.equal((await runCli(['keygen', '--out', otherKey])).code, 0);
  const wrong = await runCli(['import', file, '-k', otherKey, ...args]);
  assert.equal(wrong.code, 2, show(wrong));
  assert.match(wrong.err, new RegExp(`the archive holds the tree of ${user}, but the key is`));
});
