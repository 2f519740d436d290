// THE interop test: a mixed swarm on 127.0.0.1 of 10 of our nodes and 10 bittorrent-dht nodes
// (an independent implementation: 2-byte transaction ids, puts without `target`, 302 on equal seq).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import DHT from 'bittorrent-dht';
import { Keypair, PublicKey } from '@pubky-ts/common';
import { DhtNode, type MutableItem } from '../src/node.ts';
import { encodeSignable, immutableTarget, mutableTarget } from '../src/bep44.ts';

const OURS = 10;
const THEIRS = 10;
const TIMEOUT = 200;

const verify = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => {
  try {
    return PublicKey.fromBytes(pk).verify(msg, sig);
  } catch {
    return false;
  }
};

const ours: DhtNode[] = [];
const theirs: DHT[] = [];
let hardStop: NodeJS.Timeout;

function startTheirs(bootstrap: string[]): Promise<DHT> {
  return new Promise((resolve, reject) => {
    const dht = new DHT({ bootstrap, verify, host: '127.0.0.1', timeout: TIMEOUT } as never);
    dht.once('error', reject);
    let listening = false;
    let ready = false;
    const done = () => listening && ready && resolve(dht);
    dht.once('ready', () => {
      ready = true;
      done();
    });
    dht.listen(0, '127.0.0.1', () => {
      listening = true;
      done();
    });
  });
}

const theirAddr = (d: DHT) => `127.0.0.1:${d.address().port}`;
const theirGet = (d: DHT, target: Uint8Array) =>
  new Promise<{ v: Uint8Array; seq?: number } | null>((resolve, reject) =>
    d.get(target, { verify, cache: false }, (err, res) => (err ? reject(err) : resolve(res))),
  );
const theirPut = (d: DHT, opts: Parameters<DHT['put']>[0]) =>
  new Promise<number>((resolve, reject) => d.put(opts, (err, _hash, n) => (err ? reject(err) : resolve(n))));

before(async () => {
  hardStop = setTimeout(() => process.exit(1), 25_000);
  hardStop.unref();
  const first = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [], requestTimeoutMs: TIMEOUT });
  ours.push(first);
  const entry = [first.bootstrapEntry()];
  // Alternate joins so each side meets the other through node 0 and through lookups.
  for (let i = 0; i < Math.max(OURS - 1, THEIRS); i++) {
    const joiners: Promise<unknown>[] = [];
    if (i < THEIRS) joiners.push(startTheirs(i === 0 ? entry : [...entry, theirAddr(theirs[0])]).then((d) => theirs.push(d)));
    if (i < OURS - 1) {
      const boot = theirs.length > 0 ? [...entry, theirAddr(theirs[0])] : entry;
      joiners.push(DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: boot, requestTimeoutMs: TIMEOUT }).then((n) => ours.push(n)));
    }
    await Promise.all(joiners);
  }
  // One more round of find_node(self) so early joiners learn about later ones.
  await Promise.all(ours.map((n) => n.bootstrap()));
});

after(async () => {
  await Promise.all(ours.map((n) => n.close()));
  await Promise.all(theirs.map((d) => new Promise<void>((r) => d.destroy(() => r()))));
  clearTimeout(hardStop);
});

function signedItem(kp: Keypair, seq: number, value: Uint8Array) {
  return { key: kp.publicKey.bytes, seq, value, signature: kp.sign(encodeSignable(seq, value)) };
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ourAddresses = () => new Set(ours.map((n) => `${n.address().host}:${n.address().port}`));
const theirAddresses = () => new Set(theirs.map((d) => theirAddr(d)));

test('the mixed swarm is connected: our nodes know their nodes', () => {
  const theirPorts = new Set(theirs.map((d) => d.address().port));
  for (const n of ours) {
    const known = n.table.all().filter((e) => theirPorts.has(e.port)).length;
    assert.ok(known >= 5, `node knows ${known} bittorrent-dht nodes`);
  }
});

test('a packet put through ours is got through theirs', async () => {
  const kp = Keypair.random();
  const value = new Uint8Array(randomBytes(200));
  const seq = 1_700_000_000_000_000;
  const res = await ours[3].putMutable(signedItem(kp, seq, value));
  const target = mutableTarget(kp.publicKey.bytes);
  const storedAtTheirs = theirs.filter((d) => d._values.get(hex(target))).length;
  assert.ok(res.storedAt >= 15, `stored at ${res.storedAt}/${res.sentTo}`);
  assert.ok(storedAtTheirs >= 5, `stored at ${storedAtTheirs} bittorrent-dht nodes`);
  for (const d of [theirs[1], theirs[8]]) {
    const got = await theirGet(d, target);
    assert.ok(got, 'bittorrent-dht found the item');
    assert.deepEqual(new Uint8Array(got.v), value);
    assert.equal(got.seq, seq);
  }
});

test('a packet put through theirs (no target, 2-byte tids) is got through ours', async () => {
  const kp = Keypair.random();
  const value = new Uint8Array(randomBytes(200));
  const seq = 1_700_000_000_000_123;
  const n = await theirPut(theirs[4], { k: kp.publicKey.bytes, v: value, seq, sign: (m) => kp.sign(m) });
  assert.ok(n >= 10, `bittorrent-dht reports ${n} nodes`);
  const target = mutableTarget(kp.publicKey.bytes);
  const storedAtOurs = ours.filter((x) => x.store.getMutable(target)).length;
  assert.ok(storedAtOurs >= 5, `our nodes stored their put (without target) ${storedAtOurs} times`);
  const items: MutableItem[] = [];
  for await (const it of ours[6].getMutable(kp.publicKey.bytes)) items.push(it);
  const froms = new Set(items.map((x) => `${x.from.host}:${x.from.port}`));
  const fromOurs = [...froms].filter((a) => ourAddresses().has(a)).length;
  const fromTheirs = [...froms].filter((a) => theirAddresses().has(a)).length;
  assert.ok(fromOurs >= 3 && fromTheirs >= 3, `answers from ${fromOurs} of ours and ${fromTheirs} of theirs`);
  for (const x of items) {
    assert.deepEqual(x.value, value);
    assert.equal(x.seq, seq);
  }
});

test('bittorrent-dht reads an item held only by our nodes (it must accept our 2-byte tid echoes)', async () => {
  const kp = Keypair.random();
  const value = new TextEncoder().encode('only on ts nodes');
  const it = signedItem(kp, 7, value);
  for (const n of ours) {
    const out = n.store.put({ method: 'put', token: new Uint8Array(0), v: value, k: it.key, seq: 7, sig: it.signature });
    assert.equal(out.ok, true);
  }
  const got = await theirGet(theirs[2], mutableTarget(kp.publicKey.bytes));
  assert.ok(got);
  assert.deepEqual(new Uint8Array(got.v), value);
});

test('immutable items both ways', async () => {
  const a = new Uint8Array(randomBytes(150));
  await ours[1].putImmutable(a);
  const got = await theirGet(theirs[6], immutableTarget(a));
  assert.deepEqual(new Uint8Array(got!.v), a);
  const b = new Uint8Array(randomBytes(150));
  await theirPut(theirs[7], { v: b });
  assert.deepEqual(await ours[8].getImmutable(immutableTarget(b)), b);
});

test('republishing the same seq: ours accept, theirs answer 302, which here is a majority (§4.5)', async () => {
  const kp = Keypair.random();
  const item = signedItem(kp, 99, new TextEncoder().encode('same'));
  const first = await ours[2].putMutable(item);
  assert.equal(first.sentTo, OURS + THEIRS - 1); // fewer than K+1 nodes: every other node stores
  // 10 bittorrent-dht nodes of 19 refuse the equal seq: ≥ half+1 ⇒ not_most_recent, as mainline decides.
  await assert.rejects(
    ours[2].putMutable(item),
    (err: unknown) => err instanceof Error && (err as { code?: string }).code === 'not_most_recent' && /10 of 19/.test(err.message),
  );
  const target = mutableTarget(kp.publicKey.bytes);
  assert.equal(ours.filter((n) => n !== ours[2] && n.store.getMutable(target)?.seq === 99).length, OURS - 1);
});
