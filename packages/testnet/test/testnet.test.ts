import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { AuthToken, Keypair } from '@pubky-ts/common';
import { Pkarr, RelayClient } from '@pubky-ts/pkarr';
import { HTTP_PORT_PARAM } from '@pubky-ts/homeserver';
import { startPkarrRelay } from '@pubky-ts/relay';
import { startTestnet } from '../src/index.ts';

test('a testnet on random ports: the homeserver packet resolves through the relay and sign-up works', async (t) => {
  const net = await startTestnet({ logLevel: 'silent' });
  t.after(() => net.close());
  assert.match(net.describe(), /homeserver admin/);

  // The relay answers from its cache or the DHT; the priority-10 record names localhost and its HTTP port.
  const pkarr = new Pkarr({ relays: [net.pkarrRelay.url] });
  t.after(() => pkarr.close());
  const packet = await pkarr.resolve(net.homeserver.publicKey);
  assert.ok(packet, 'the homeserver packet is found');
  const endpoint = await pkarr.endpoint(net.homeserver.publicKey.z32);
  assert.ok(endpoint);

  // The same packet is on the DHT: a second relay with an empty cache finds it there.
  const second = await startPkarrRelay({ dht: { bootstrap: net.bootstrap, requestTimeoutMs: 1000 } });
  t.after(() => second.close());
  const viaDht = await new RelayClient(second.url).resolve(net.homeserver.publicKey);
  assert.ok(viaDht.isSameAs(packet));

  const token = await net.signupToken();
  assert.match(token, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const user = Keypair.random();
  const res = await fetch(`${net.homeserver.url}/signup?signup_token=${token}`, {
    method: 'POST',
    body: Buffer.from(AuthToken.sign(user, '/:rw').serialize()),
    headers: { 'pubky-host': net.homeserver.publicKey.z32 },
  });
  assert.equal(res.status, 200, await res.clone().text());
  const again = await fetch(`${net.homeserver.url}/signup?signup_token=${token}`, {
    method: 'POST',
    body: Buffer.from(AuthToken.sign(Keypair.random(), '/:rw').serialize()),
  });
  assert.equal(again.status, 401, 'a signup token is single-use');
});

test("every port the testnet homeserver's packet advertises accepts connections", async (t) => {
  const net = await startTestnet({ logLevel: 'silent', dhtNodes: 1 });
  t.after(() => net.close());
  const pkarr = new Pkarr({ relays: [net.pkarrRelay.url] });
  t.after(() => pkarr.close());
  const packet = await pkarr.resolve(net.homeserver.publicKey);
  assert.ok(packet);
  const ports: number[] = [];
  for (const r of packet.records) {
    if (r.type !== 'HTTPS' && r.type !== 'SVCB') continue;
    if (r.params.port !== undefined) ports.push(r.params.port);
    for (const p of r.params.other ?? [])
      if (p.key === HTTP_PORT_PARAM) ports.push(new DataView(p.value.buffer, p.value.byteOffset).getUint16(0));
  }
  assert.ok(ports.length > 0, 'the packet names at least the HTTP port');
  for (const port of ports) {
    const reachable = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    assert.ok(reachable, `port ${port} is advertised but nothing listens there`);
  }
});
