// put --encrypt / get decrypting, end to end on an in-process testnet: the homeserver holds age
// ciphertext, the owner and a --to reader decrypt with `pubky get --key`, a stranger cannot, and
// the age CLI opens the stored file with `pubky key age --identity`.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import { netArgs, runCli, scratch, show } from './helpers.ts';

let net: Testnet;
const tmp = scratch();
let args: string[];

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
  args = [...netArgs(net), '--session-file', tmp.sessionFile];
});
after(async () => {
  await net.close();
  tmp.cleanup();
});

async function newUser(name: string): Promise<{ key: string; z32: string }> {
  const key = join(tmp.dir, `${name}.key`);
  const kg = await runCli(['keygen', '--out', key]);
  assert.equal(kg.code, 0, show(kg));
  const su = await runCli([
    'signup',
    '-k',
    key,
    '--homeserver',
    net.homeserver.publicKey.z32,
    '--signup-token',
    await net.signupToken(),
    ...args,
  ]);
  assert.equal(su.code, 0, show(su));
  return { key, z32: kg.out.trim() };
}

test('pubky put --encrypt --to, pubky get --key, the raw ciphertext, and the age CLI', { timeout: 120_000 }, async () => {
  const [alice, bob, carol] = [await newUser('alice'), await newUser('bob'), await newUser('carol')];
  const data = randomBytes(200_000);
  const file = join(tmp.dir, 'secret.bin');
  writeFileSync(file, data);
  const address = `pubky://${alice.z32}/pub/cli.enc/secret.bin`;
  const put = await runCli(['put', address, file, '--encrypt', '--to', bob.z32, '--key', alice.key, ...args]);
  assert.equal(put.code, 0, show(put));

  const [raw, noKey, mine, bobs, carols] = await Promise.all([
    runCli(['get', address, '--raw', ...netArgs(net)]),
    runCli(['get', address, ...netArgs(net)]),
    runCli(['get', address, '--key', alice.key, ...netArgs(net)]),
    runCli(['get', address, '--key', bob.key, ...netArgs(net)]),
    runCli(['get', address, '--key', carol.key, ...netArgs(net)]),
  ]);
  assert.equal(raw.code, 0, show(raw));
  assert.ok(
    raw.stdout.subarray(0, 22).toString() === 'age-encryption.org/v1\n' && !raw.stdout.includes(data.subarray(0, 64)),
    'the homeserver holds ciphertext',
  );
  assert.notEqual(noKey.code, 0);
  assert.match(noKey.err, /is encrypted \(an age file\): pass --key or --recovery/);
  assert.equal(noKey.stdout.length, 0, 'no ciphertext on stdout by surprise');
  assert.equal(mine.code, 0, show(mine));
  assert.ok(mine.stdout.equals(data), 'the owner decrypts');
  assert.equal(bobs.code, 0, show(bobs));
  assert.ok(bobs.stdout.equals(data), 'the --to reader decrypts');
  assert.notEqual(carols.code, 0);
  assert.match(carols.err, /age_no_matching_key|none of the keys/);

  // The age CLI opens the stored ciphertext with the identity `pubky key age --identity` prints.
  const id = await runCli(['key', 'age', '--key', alice.key, '--identity']);
  const idFile = join(tmp.dir, 'alice.agekey');
  writeFileSync(idFile, id.out, { mode: 0o600 });
  const cipherFile = join(tmp.dir, 'secret.age');
  writeFileSync(cipherFile, raw.stdout);
  assert.ok(execFileSync('/usr/bin/age', ['-d', '-i', idFile, cipherFile]).equals(data));

  // share / unshare: carol gets the key of a file that was not encrypted to her, then loses it.
  const later = `pubky://${alice.z32}/pub/cli.enc/later.txt`;
  assert.equal((await runCli(['put', later, '-', '--encrypt', '--key', alice.key, ...args], { input: 'shared later' })).code, 0);
  assert.notEqual((await runCli(['get', later, '--key', carol.key, ...netArgs(net)])).code, 0);
  const sh = await runCli(['share', later, '--with', carol.z32, '--key', alice.key, ...args]);
  assert.equal(sh.code, 0, show(sh));
  const carolNow = await runCli(['get', later, '--key', carol.key, ...netArgs(net)]);
  assert.equal(carolNow.out, 'shared later', show(carolNow));
  const un = await runCli(['unshare', later, '--with', carol.z32, '--key', alice.key, ...args]);
  assert.equal(un.code, 0, show(un));
  assert.notEqual((await runCli(['get', later, '--key', carol.key, ...netArgs(net)])).code, 0);

  // A plain file still reads as before with a key given; --to without --encrypt is refused.
  const plain = await runCli(['put', `pubky://${alice.z32}/pub/cli.enc/plain.txt`, '-', ...args], { input: 'plain\n' });
  assert.equal(plain.code, 0, show(plain));
  const back = await runCli(['get', `pubky://${alice.z32}/pub/cli.enc/plain.txt`, '--key', alice.key, ...netArgs(net)]);
  assert.equal(back.out, 'plain\n', show(back));
  const bad = await runCli(['put', `pubky://${alice.z32}/pub/cli.enc/x`, '-', '--to', bob.z32, ...args], { input: 'x' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /add --encrypt/);
});
