import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import type { DnsRecord } from './dns/types.ts';
import { selectHomeserverEndpoint as selectEndpoint } from './homeserver-endpoint.ts';
import { SignedPacket } from './signed-packet.ts';

const hsKey = Keypair.fromSecretKey(new Uint8Array(32));
const port = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

function hsPacket(records: DnsRecord[]): SignedPacket {
  return SignedPacket.sign(hsKey, records);
}

test('selects the priority-10 localhost endpoint with the SvcParam-65280 port (testnet packet)', () => {
  const packet = hsPacket([
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 1, target: '.', params: { port: 6287, ipv4hint: ['127.0.0.1'] } },
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 10, target: 'localhost', params: { other: [{ key: 65280, value: port(6286) }] } },
    { type: 'A', name: '.', ttl: 3600, address: '127.0.0.1' },
  ]);
  assert.deepEqual(selectEndpoint(packet, new Set()), { origin: 'http://localhost:6286', priority: 10, domain: 'localhost' });
});

test('ICANN domains use https with their port param; pkarr-key targets and localhost without 65280 are skipped', () => {
  const other = Keypair.random().publicKey.z32;
  const packet = hsPacket([
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 2, target: other, params: {} },
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 5, target: 'localhost', params: {} },
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 10, target: 'hs.example.com', params: { port: 8443 } },
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 20, target: 'backup.example.com', params: {} },
  ]);
  assert.equal(selectEndpoint(packet, new Set())?.origin, 'https://hs.example.com:8443');
  assert.equal(
    selectEndpoint(hsPacket([{ type: 'HTTPS', name: '.', ttl: 3600, priority: 10, target: 'h.example', params: {} }]), new Set())?.origin,
    'https://h.example',
  );
  // A testnet host other than localhost is plain HTTP too.
  const lan = hsPacket([
    { type: 'HTTPS', name: '.', ttl: 3600, priority: 10, target: 'devbox', params: { other: [{ key: 65280, value: port(7000) }] } },
  ]);
  assert.equal(selectEndpoint(lan, new Set(['devbox']))?.origin, 'http://devbox:7000');
  assert.equal(selectEndpoint(lan, new Set())?.origin, 'https://devbox');
  assert.equal(selectEndpoint(hsPacket([{ type: 'A', name: '.', ttl: 60, address: '10.0.0.1' }]), new Set()), null);
});
