import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PubkyError } from '@pubky-ts/common';
import { decodeDnsPacket, encodeDnsPacket } from './packet.ts';
import type { DnsRecord } from './types.ts';

// A deterministic PRNG so a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const Z32 = 'yg4gxe7z1r7mr6orids9fh95y7gxhdsxjqi6nngsxxtakqaxr5no';
const SAMPLE: DnsRecord[] = [
  { name: `_pubky.${Z32}`, ttl: 3600, type: 'HTTPS', priority: 0, target: Z32, params: {} },
  {
    name: Z32,
    ttl: 3600,
    type: 'HTTPS',
    priority: 1,
    target: '.',
    params: { alpn: ['h2'], port: 6287, ipv4hint: ['127.0.0.1'], ipv6hint: ['::1'] },
  },
  {
    name: Z32,
    ttl: 3600,
    type: 'SVCB',
    priority: 10,
    target: 'localhost',
    params: { mandatory: [3], port: 1, other: [{ key: 65280, value: Uint8Array.of(0x18, 0x8e) }] },
  },
  { name: Z32, ttl: 3600, type: 'A', address: '127.0.0.1' },
  { name: `x.${Z32}`, ttl: 30, type: 'AAAA', address: '2001:db8::1' },
  { name: `c.${Z32}`, ttl: 30, type: 'CNAME', target: `x.${Z32}` },
  { name: `n.${Z32}`, ttl: 30, type: 'NS', target: 'ns1.example.com' },
  { name: `t.${Z32}`, ttl: 30, type: 'TXT', strings: [Uint8Array.of(104, 105), new Uint8Array(0)] },
  { name: Z32, ttl: 30, type: 'UNKNOWN', typeCode: 255, rdata: Uint8Array.of(9, 9) },
];

/** Decoding must either succeed (and then be stable through a re-encode) or throw a PubkyError. */
function check(bytes: Uint8Array): 'ok' | 'rejected' {
  let decoded;
  try {
    decoded = decodeDnsPacket(bytes);
  } catch (e) {
    if (!(e instanceof PubkyError) || !e.code.startsWith('dns_')) throw e;
    return 'rejected';
  }
  let again: Uint8Array;
  try {
    again = encodeDnsPacket(decoded);
  } catch (e) {
    // lossy label text can grow past 63 bytes; that must still be a coded error
    if (!(e instanceof PubkyError)) throw e;
    return 'ok';
  }
  assert.deepEqual(decodeDnsPacket(again), decoded);
  return 'ok';
}

test('random bytes: decode never throws anything but a dns_* PubkyError', () => {
  const r = rng(1);
  for (let i = 0; i < 8000; i++) {
    const len = Math.floor(r() * 300);
    const b = new Uint8Array(len);
    for (let j = 0; j < len; j++) b[j] = Math.floor(r() * 256);
    // make some of them look like a header with small counts so the body is exercised
    if (len >= 12 && r() < 0.7) {
      b[4] = 0;
      b[5] = Math.floor(r() * 3);
      b[6] = 0;
      b[7] = Math.floor(r() * 4);
      b[8] = b[10] = 0;
      b[9] = Math.floor(r() * 2);
      b[11] = Math.floor(r() * 2);
    }
    check(b);
  }
});

test('mutated valid packets: flips, truncations, insertions, pointer games', () => {
  const valid = encodeDnsPacket({ answers: SAMPLE });
  assert.equal(check(valid), 'ok');
  const r = rng(2);
  const tally = { ok: 0, rejected: 0 };
  for (let i = 0; i < 8000; i++) {
    let b = valid.slice();
    const kind = Math.floor(r() * 5);
    const at = Math.floor(r() * b.length);
    if (kind === 0) {
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    } else if (kind === 1) {
      b = b.slice(0, at);
    } else if (kind === 2) {
      const ins = new Uint8Array(1 + Math.floor(r() * 4)).map(() => Math.floor(r() * 256));
      const out = new Uint8Array(b.length + ins.length);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + ins.length);
      b = out;
    } else if (kind === 3) {
      b[at] = 0xc0 | Math.floor(r() * 4);
      if (at + 1 < b.length) b[at + 1] = Math.floor(r() * 256);
    } else {
      b[at] ^= 1 << Math.floor(r() * 8);
    }
    tally[check(b)]++;
  }
  // both outcomes must really occur, or the mutations test nothing
  assert.ok(tally.ok > 100, `accepted ${tally.ok}`);
  assert.ok(tally.rejected > 1000, `rejected ${tally.rejected}`);
});
