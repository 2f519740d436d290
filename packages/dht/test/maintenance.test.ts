import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DhtNode } from '../src/node.ts';

test('a node whose bootstrap was down re-joins on a maintenance tick once it is up', async () => {
  const probe = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [] });
  const port = probe.address().port;
  await probe.close();
  const a = await DhtNode.start({
    host: '127.0.0.1',
    port: 0,
    bootstrap: [`127.0.0.1:${port}`],
    requestTimeoutMs: 100,
    maintenanceIntervalMs: 100,
  });
  let b: DhtNode | undefined;
  try {
    assert.equal(a.routingTableSize(), 0);
    b = await DhtNode.start({ host: '127.0.0.1', port, bootstrap: [] });
    const deadline = Date.now() + 3000;
    while (a.routingTableSize() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(a.routingTableSize(), 1);
    assert.equal(b.routingTableSize(), 1, 'the bootstrap node learned the requester');
  } finally {
    await a.close();
    await b?.close();
  }
});

test('start() refuses bad options with invalid_argument; a taken port gives bind_failed', async () => {
  await assert.rejects(DhtNode.start({ host: '::1', port: 0, bootstrap: [] }), { code: 'invalid_argument' });
  await assert.rejects(DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: ['nohost'] }), { code: 'invalid_argument' });
  await assert.rejects(DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [], id: new Uint8Array(5) }), { code: 'invalid_argument' });
  const x = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [] });
  try {
    await assert.rejects(DhtNode.start({ host: '127.0.0.1', port: x.address().port, bootstrap: [] }), { code: 'bind_failed' });
  } finally {
    await x.close();
  }
});

test('AsyncDisposable closes the node', async () => {
  let node: DhtNode;
  {
    await using n = await DhtNode.start({ host: '127.0.0.1', port: 0, bootstrap: [] });
    node = n;
    assert.equal(n.closed, false);
  }
  assert.equal(node.closed, true);
});
