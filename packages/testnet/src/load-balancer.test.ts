import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startLoadBalancer } from './load-balancer.ts';

async function backend(name: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => res.end(`${name}:${req.method}:${req.url}:${Buffer.concat(chunks).length}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('round robin over backends, bodies stream through, a dead backend is skipped', async (t) => {
  const a = await backend('a');
  const b = await backend('b');
  const lb = await startLoadBalancer({ backends: [a.url, b.url] });
  t.after(async () => {
    await lb.close();
    a.server.close();
    b.server.close();
  });
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const text = await (await fetch(`${lb.url}/x?i=${i}`, { method: 'PUT', body: 'hello' })).text();
    assert.match(text, /^[ab]:PUT:\/x\?i=\d:5$/);
    seen.add(text[0]);
  }
  assert.deepEqual([...seen].sort(), ['a', 'b']);

  await new Promise<void>((r) => b.server.close(() => r()));
  b.server.closeAllConnections();
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${lb.url}/y`, { method: 'POST', body: 'abc' });
    assert.equal(await res.text(), 'a:POST:/y:3', 'requests go to the live backend only');
  }
  lb.setBackends([]);
  const none = await fetch(`${lb.url}/z`);
  assert.equal(none.status, 503);
  assert.equal(none.headers.get('retry-after'), '1');
});
