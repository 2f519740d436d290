import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Keypair, readErrorSection, renderErrorTable } from '@pubky-ts/common';
import { decodeDnsPacket } from './dns/index.ts';
import { PKARR_ERROR_DOCS, PKARR_ERRORS, PkarrError } from './errors.ts';
import { RelayClient } from './relay-client.ts';
import { SignedPacket } from './signed-packet.ts';

test('every pkarr error code is lower_snake with a description', () => {
  for (const [code, summary] of Object.entries(PKARR_ERRORS)) {
    assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, code);
    assert.ok(summary.length > 5, code);
  }
});

test('the README table is the one the catalogue renders (npm run docs:errors rewrites it)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.equal(readErrorSection(readme), renderErrorTable(PKARR_ERROR_DOCS), 'stale: run npm run docs:errors');
});

const coded = (code: keyof typeof PKARR_ERRORS) => (e: unknown) => e instanceof PkarrError && e.code === code;

test('decoder failures carry catalogued codes', () => {
  assert.throws(() => decodeDnsPacket(new Uint8Array(5)), coded('dns_truncated'));
  assert.throws(() => SignedPacket.fromBytes(new Uint8Array(50)), coded('invalid_signed_packet_length'));
  assert.throws(() => new RelayClient('ftp://relay.example'), coded('invalid_relay_url'));
});

test('a real HTTP server answering like a failing relay gives catalogued codes', async () => {
  const answers: Record<string, [number, string]> = {
    '429': [429, 'slow down'],
    '400': [400, 'bad'],
    '418': [418, 'teapot'],
    garbage: [200, 'not a packet'],
  };
  let next = '429';
  const server: Server = createServer((_req, res) => {
    const [status, body] = answers[next]!;
    res.writeHead(status, { 'content-type': 'application/pkarr.org/relays#payload' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const relay = new RelayClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { timeoutMs: 5000 });
    const key = Keypair.random().publicKey;
    for (const [answer, code] of [
      ['429', 'relay_rate_limited'],
      ['400', 'relay_bad_request'],
      ['418', 'relay_unexpected_status'],
      ['garbage', 'relay_invalid_payload'],
    ] as const) {
      next = answer;
      await assert.rejects(relay.resolve(key), coded(code), answer);
    }
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
