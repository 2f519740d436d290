import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { bencode } from './bencode.ts';
import { DhtError } from './errors.ts';
import { KrpcDecodeError, decodeMessage, decodeNodes, encodeError, encodeNodes, encodeQuery, encodeResponse } from './krpc.ts';

const id = new Uint8Array(20).fill(1);
const target = new Uint8Array(20).fill(2);
const t4 = new Uint8Array([0, 0, 0, 9]);
const k = new Uint8Array(32).fill(3);
const sig = new Uint8Array(64).fill(4);

test('queries round-trip: ping, find_node, get_peers, announce_peer, get, put', () => {
  const ping = decodeMessage(encodeQuery(t4, 'ping', { id }, false));
  assert.deepEqual(ping, { y: 'q', t: t4, id, ro: false, query: { method: 'ping' } });
  const fn = decodeMessage(encodeQuery(t4, 'find_node', { id, target }, true));
  assert.equal(fn.y === 'q' && fn.ro, true);
  assert.deepEqual(fn.y === 'q' && fn.query, { method: 'find_node', target });
  const gp = decodeMessage(encodeQuery(t4, 'get_peers', { id, info_hash: target }, false));
  assert.deepEqual(gp.y === 'q' && gp.query, { method: 'get_peers', infoHash: target });
  const ap = decodeMessage(encodeQuery(t4, 'announce_peer', { id, info_hash: target, port: 0, implied_port: 1, token: t4 }, false));
  assert.deepEqual(ap.y === 'q' && ap.query, { method: 'announce_peer', infoHash: target, port: 0, token: t4, impliedPort: true });
  const g = decodeMessage(encodeQuery(t4, 'get', { id, target, seq: 7 }, false));
  assert.deepEqual(g.y === 'q' && g.query, { method: 'get', target, seq: 7 });
  const p = decodeMessage(
    encodeQuery(
      t4,
      'put',
      { id, token: t4, target, v: new Uint8Array([1]), k, sig, seq: 1700000000000000, cas: 3, salt: new Uint8Array([5]) },
      false,
    ),
  );
  assert.deepEqual(p.y === 'q' && p.query, {
    method: 'put',
    token: t4,
    target,
    v: new Uint8Array([1]),
    k,
    sig,
    seq: 1700000000000000,
    cas: 3,
    salt: new Uint8Array([5]),
  });
  const unknown = decodeMessage(encodeQuery(t4, 'vote', { id }, false));
  assert.deepEqual(unknown.y === 'q' && unknown.query, { method: 'unknown', name: 'vote' });
});

test('outgoing queries carry a 4-byte v and ro only when read-only', () => {
  const raw = Buffer.from(encodeQuery(t4, 'ping', { id }, true)).toString('latin1');
  assert.match(raw, /2:roi1e/);
  assert.match(raw, /1:v4:TS\x00\x01/);
  assert.doesNotMatch(Buffer.from(encodeQuery(t4, 'ping', { id }, false)).toString('latin1'), /2:ro/);
});

test('responses round-trip and never carry ro', () => {
  const nodes = [
    { id, host: '127.0.0.1', port: 6881 },
    { id: target, host: '10.0.0.2', port: 65535 },
  ];
  const raw = encodeResponse(
    new Uint8Array([0xaa, 0xbb]),
    {
      id,
      token: t4,
      nodes: encodeNodes(nodes),
      v: new Uint8Array([9]),
      k,
      sig,
      seq: 5,
      values: [new Uint8Array([1, 2, 3, 4, 0, 80]), new Uint8Array(18)],
    },
    { host: '1.2.3.4', port: 1000 },
  );
  assert.doesNotMatch(Buffer.from(raw).toString('latin1'), /2:ro/);
  const m = decodeMessage(raw);
  assert.equal(m.y, 'r');
  if (m.y !== 'r') return;
  assert.deepEqual(m.t, new Uint8Array([0xaa, 0xbb]));
  assert.deepEqual(m.ip, { host: '1.2.3.4', port: 1000 });
  assert.deepEqual(m.body.nodes, nodes);
  assert.deepEqual(m.body.values, [{ host: '1.2.3.4', port: 80 }]); // the 18-byte (IPv6) peer is skipped
  assert.equal(m.body.seq, 5);
  assert.deepEqual(m.body.k, k);
});

test('errors round-trip', () => {
  assert.deepEqual(decodeMessage(encodeError(t4, 302, 'sequence number less than current')), {
    y: 'e',
    t: t4,
    code: 302,
    message: 'sequence number less than current',
  });
});

test('compact nodes: trailing partial entries and port 0 are skipped', () => {
  const nodes = [{ id, host: '1.2.3.4', port: 5 }];
  const buf = encodeNodes(nodes);
  assert.equal(buf.length, 26);
  assert.deepEqual(decodeNodes(new Uint8Array([...buf, 1, 2, 3])), nodes);
  const zero = buf.slice();
  zero[24] = 0;
  zero[25] = 0;
  assert.deepEqual(decodeNodes(zero), []);
  assert.equal(encodeNodes([{ id, host: 'example.com', port: 1 }]).length, 0);
});

function refused(raw: Uint8Array, code: string, pattern: RegExp, withTid: boolean) {
  assert.throws(
    () => decodeMessage(raw),
    (err: unknown) => {
      assert.ok(err instanceof KrpcDecodeError, String(err));
      assert.equal(err.code, code);
      assert.match(err.message, pattern);
      assert.equal(err.t !== undefined, withTid, 'tid readable');
      return true;
    },
  );
}

test('malformed messages are refused with precise errors', () => {
  refused(bencode([1, 2]), 'krpc_invalid', /not a dictionary/, false);
  refused(bencode({ y: 'q' }), 'krpc_invalid', /transaction id/, false);
  refused(bencode({ t: '', y: 'q' }), 'krpc_invalid', /transaction id of 0 bytes/, false);
  refused(bencode({ t: 'aa', y: 'z' }), 'krpc_invalid', /unknown message type "z"/, false);
  refused(bencode({ t: 'aa', y: 'q', q: 'ping' }), 'krpc_invalid', /without an "a"/, true);
  refused(bencode({ t: 'aa', y: 'q', q: 'ping', a: { id: 'short' } }), 'krpc_invalid', /"id" is 5 bytes, expected 20/, true);
  refused(bencode({ t: 'aa', y: 'q', q: 'get', a: { id, target, seq: 'x' } }), 'krpc_invalid', /"seq" missing or not an integer/, true);
  refused(bencode({ t: 'aa', y: 'q', q: 'put', a: { id, token: 'x', v: 'x', k } }), 'krpc_invalid', /"sig"/, true);
  refused(
    bencode({ t: 'aa', y: 'q', q: 'put', a: { id, token: 'x', v: 'x', seq: 1, sig } }),
    'krpc_invalid',
    /mutable put without "k"/,
    true,
  );
  refused(
    bencode({ t: 'aa', y: 'q', q: 'announce_peer', a: { id, info_hash: target, token: 'x', port: 70000 } }),
    'krpc_invalid',
    /port/,
    true,
  );
  refused(bencode({ t: 'aa', y: 'r', r: { id: 'x' } }), 'krpc_invalid', /response "id"/, false);
  refused(bencode({ t: 'aa', y: 'r', r: { id, nodes: 5 } }), 'krpc_invalid', /"nodes" is not a byte string/, false);
  refused(bencode({ t: 'aa', y: 'r', r: { id, k: 'x' } }), 'krpc_invalid', /"k" is not 32 bytes/, false);
  refused(bencode({ t: 'aa', y: 'e', e: ['x'] }), 'krpc_invalid', /error without/, false);
  refused(new TextEncoder().encode('d1:ti9007199254740993ee'), 'bencode_invalid', /beyond/, false);
});

// ---------------------------------------------------------------------------------------------
// Fuzz: the decoder may refuse, but only with a DhtError, and it must finish.

function mustNotThrowOut(raw: Uint8Array) {
  try {
    decodeMessage(raw);
  } catch (err) {
    if (!(err instanceof DhtError)) {
      throw new Error(`non-DhtError for ${Buffer.from(raw).toString('hex')}: ${String(err)}`);
    }
    assert.ok(err.code === 'bencode_invalid' || err.code === 'krpc_invalid');
  }
}

const SAMPLES = [
  encodeQuery(t4, 'ping', { id }, false),
  encodeQuery(t4, 'get', { id, target, seq: 12345 }, true),
  encodeQuery(t4, 'put', { id, token: t4, target, v: randomBytes(200), k, sig, seq: 99, salt: 'abc' }, false),
  encodeQuery(t4, 'announce_peer', { id, info_hash: target, port: 1, token: t4 }, false),
  encodeResponse(t4, { id, token: t4, nodes: encodeNodes([{ id, host: '1.1.1.1', port: 1 }]), values: [new Uint8Array(6)] }),
  encodeResponse(t4, { id, v: randomBytes(50), k, sig, seq: 3 }),
  encodeError(t4, 203, 'x'),
];

test('fuzz: 5000 random byte strings', () => {
  for (let i = 0; i < 5000; i++) {
    const len = i % 7 === 0 ? 2000 : i % 300;
    const raw = new Uint8Array(randomBytes(len));
    if (i % 3 === 0 && len > 0) raw[0] = 0x64; // start like a dictionary to get deeper
    mustNotThrowOut(raw);
  }
});

test('fuzz: 20000 mutations of valid messages (flips, truncations, splices)', () => {
  const alphabet = new TextEncoder().encode('dlie0123456789:-');
  let decodedSome = 0;
  for (let i = 0; i < 20000; i++) {
    const base = SAMPLES[i % SAMPLES.length];
    let raw = base.slice();
    const kind = i % 5;
    const pos = Math.floor(Math.random() * raw.length);
    if (kind === 0) raw[pos] ^= 1 << (i % 8);
    else if (kind === 1) raw = raw.subarray(0, pos);
    else if (kind === 2) raw[pos] = alphabet[i % alphabet.length];
    else if (kind === 3) raw = new Uint8Array([...raw.subarray(0, pos), ...randomBytes(1 + (i % 5)), ...raw.subarray(pos)]);
    else raw = new Uint8Array([...raw.subarray(0, pos), ...raw.subarray(pos + 1 + (i % 4))]);
    try {
      decodeMessage(raw);
      decodedSome++;
    } catch {
      // checked below
    }
    mustNotThrowOut(raw);
  }
  assert.ok(decodedSome > 0, 'some mutations still decode (the fuzz reaches the KRPC layer)');
});

test('fuzz: hostile shapes (huge lists, deep nesting, wrong types everywhere)', () => {
  const huge = new TextEncoder().encode('d1:t2:aa1:y1:r1:rd2:id20:' + 'x'.repeat(20) + '6:valuesl' + '6:abcdef'.repeat(7000) + 'eee');
  const m = decodeMessage(huge);
  assert.equal(m.y === 'r' && m.body.values!.length, 7000);
  mustNotThrowOut(new TextEncoder().encode('l'.repeat(10000)));
  mustNotThrowOut(new TextEncoder().encode('d1:t2:aa1:y1:q1:q4:ping1:a' + 'l'.repeat(5000)));
  for (const v of [1, 'x', [], {}, [1, 2], new Uint8Array(19), new Uint8Array(21)]) {
    for (const field of ['t', 'y', 'q', 'a', 'r', 'e']) {
      const msg: Record<string, unknown> = { t: 'aa', y: 'q', q: 'ping', a: { id } };
      msg[field] = v;
      mustNotThrowOut(bencode(msg as never));
    }
    for (const arg of ['id', 'target', 'info_hash', 'token', 'v', 'k', 'sig', 'seq', 'cas', 'salt', 'port']) {
      for (const q of ['find_node', 'get_peers', 'announce_peer', 'get', 'put']) {
        const a: Record<string, unknown> = { id, target, info_hash: target, token: 'tt', v: 'x', k, sig, seq: 1, port: 1 };
        a[arg] = v;
        mustNotThrowOut(bencode({ t: 'aa', y: 'q', q, a } as never));
      }
    }
  }
});
