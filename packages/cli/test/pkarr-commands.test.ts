// keygen, publish and resolve against an in-process testnet (its pkarr relay and DHT).
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decryptRecoveryFile } from '@pubky-ts/common';
import { Pkarr } from '@pubky-ts/pkarr';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import { netArgs, runCli, scratch, show } from './helpers.ts';

let net: Testnet;
const tmp = scratch();

before(async () => {
  net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });
});
after(async () => {
  await net.close();
  tmp.cleanup();
});

test('keygen writes a secret key file and a recovery file for the same key, and refuses to overwrite', async () => {
  const keyFile = join(tmp.dir, 'k.key');
  const recovery = join(tmp.dir, 'k.pkarr');
  const r = await runCli(['keygen', '--out', keyFile, '--recovery', recovery], { env: { PUBKY_PASSPHRASE: 'pass phrase' } });
  assert.equal(r.code, 0, show(r));
  const key = r.out.trim();
  assert.match(readFileSync(keyFile, 'utf8').trim(), /^[0-9a-f]{64}$/);
  assert.equal(statSync(recovery).mode & 0o777, 0o600);
  const kp = await decryptRecoveryFile(new Uint8Array(readFileSync(recovery)), 'pass phrase');
  assert.equal(kp.publicKey.z32, key);
  const again = await runCli(['keygen', '--out', keyFile]);
  assert.equal(again.code, 2, show(again));
  assert.match(again.err, /exists; pass --force/);
  const plain = await runCli(['keygen']);
  assert.equal(plain.code, 0);
  assert.match(plain.err, /not saved/);
});

test('publish records with a key, resolve them back through the relay and the DHT', async () => {
  const keyFile = join(tmp.dir, 'pub.key');
  const key = (await runCli(['keygen', '--out', keyFile])).out.trim();
  const pub = await runCli([
    'publish',
    '-k',
    keyFile,
    '--record',
    '@ 300 A 203.0.113.7',
    '--record',
    '_foo TXT "hello world"',
    '--homeserver',
    net.homeserver.publicKey.z32,
    ...netArgs(net),
  ]);
  assert.equal(pub.code, 0, show(pub));
  assert.match(pub.out, /;; published: stored on [1-9]\d* DHT node\(s\) and sent to http:\/\/127\.0\.0\.1:\d+/);

  const [viaBoth, viaRelay, viaDht] = await Promise.all([
    runCli(['resolve', key, ...netArgs(net)]),
    runCli(['resolve', key, '--relay', net.pkarrRelay.url, '--no-dht', '--json']),
    // a relay that does not exist plus the DHT: the DHT answers
    runCli(['resolve', key, '--relay', 'http://127.0.0.1:9', '--bootstrap', net.bootstrap[0], '--json']),
  ]);
  assert.equal(viaBoth.code, 0, show(viaBoth));
  assert.match(viaBoth.out, /;; from (relay http:\/\/127\.0\.0\.1:\d+, DHT|DHT, relay http:\/\/127\.0\.0\.1:\d+)/);
  assert.match(viaBoth.out, new RegExp(`^${key}\\.\\t300\\tIN\\tA\\t203\\.0\\.113\\.7$`, 'm'));
  const json = JSON.parse(viaRelay.out);
  assert.equal(json.key, key);
  assert.deepEqual(json.sources, [`relay ${net.pkarrRelay.url}`]);
  assert.ok(json.records.includes(`_foo.${key}.\t3600\tIN\tTXT\t"hello world"`), json.records.join('\n'));
  assert.ok(
    json.records.some((r: string) => r.includes(`HTTPS\t0 ${net.homeserver.publicKey.z32}.`)),
    json.records.join('\n'),
  );
  assert.equal(viaDht.code, 0, show(viaDht));
  assert.deepEqual(JSON.parse(viaDht.out).sources, ['DHT']);

  // The SDK reads the same _pubky record.
  const pkarr = new Pkarr({ relays: [net.pkarrRelay.url] });
  assert.equal((await pkarr.resolveHomeserver(key))?.z32, net.homeserver.publicKey.z32);
  await pkarr.close();
});

test('resolve of an unpublished key fails with exit 1; bad keys and records are usage errors', async () => {
  const keyFile = join(tmp.dir, 'x.key');
  const key = (await runCli(['keygen', '--out', keyFile])).out.trim();
  const [missing, badKey, badRecord, dry] = await Promise.all([
    runCli(['resolve', key, '--relay', net.pkarrRelay.url, '--no-dht', '--timeout', '1000']),
    runCli(['resolve', 'not-a-key', ...netArgs(net)]),
    runCli(['publish', '-k', keyFile, '--record', '@ 300 MX 10 mail', ...netArgs(net)]),
    runCli(['publish', '-k', keyFile, '--record', '@ A 10.0.0.1', '--dry-run']),
  ]);
  assert.equal(missing.code, 1, show(missing));
  assert.match(missing.err, /no packet found/);
  assert.equal(badKey.code, 2, show(badKey));
  assert.match(badKey.err, /"not-a-key" is not a public key/);
  assert.equal(badRecord.code, 2, show(badRecord));
  assert.match(badRecord.err, /expected a record type/);
  assert.equal(dry.code, 0, show(dry));
  assert.match(dry.out, /A\t10\.0\.0\.1/);
  assert.doesNotMatch(dry.out, /published/);
});
