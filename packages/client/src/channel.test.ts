import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { base64urlDecode, bytesToHex, utf8Encode } from '@pubky-ts/common';
import { channelId, channelUrl, decryptPayload, encryptPayload, isLegacyLinkRelay, receiveFromChannel, sendToChannel } from './channel.ts';

const SECRET = base64urlDecode('kqnceEMgrNQM_xi06oQXjA3cJHX_RQmw1BY6JE1bse8');

test('channel id vector (spec §11.6)', async () => {
  assert.equal(bytesToHex(SECRET), '92a9dc784320acd40cff18b4ea84178c0ddc2475ff4509b0d4163a244d5bb1ef');
  assert.equal(await channelId(SECRET), 'Bd7wcIdR29_ncsAJbRkIpWDg_pEvZzULycHdh5Fz4QY');
});

test('channel URL drops a trailing empty segment and keeps the base path', async () => {
  const id = 'Bd7wcIdR29_ncsAJbRkIpWDg_pEvZzULycHdh5Fz4QY';
  assert.equal(await channelUrl('https://httprelay.pubky.app/inbox', SECRET), `https://httprelay.pubky.app/inbox/${id}`);
  assert.equal(await channelUrl('https://httprelay.pubky.app/inbox/', SECRET), `https://httprelay.pubky.app/inbox/${id}`);
  assert.equal(await channelUrl('http://localhost:15412/link', SECRET), `http://localhost:15412/link/${id}`);
  assert.equal(isLegacyLinkRelay('http://localhost:15412/link/'), true);
  assert.equal(isLegacyLinkRelay('http://localhost:15412/inbox'), false);
});

test('payload encryption: nonce ‖ ciphertext ‖ tag, refuses tampering and other secrets', () => {
  const msg = utf8Encode('an AuthToken would go here');
  const box = encryptPayload(msg, SECRET);
  assert.equal(box.length, 24 + msg.length + 16);
  assert.deepEqual(decryptPayload(box, SECRET), msg);
  const other = encryptPayload(msg, SECRET);
  assert.notDeepEqual(other.subarray(0, 24), box.subarray(0, 24), 'fresh nonce each time');
  const tampered = Uint8Array.from(box);
  tampered[30] ^= 1;
  assert.throws(() => decryptPayload(tampered, SECRET), { code: 'auth_flow_decrypt_failed' });
  assert.throws(() => decryptPayload(box, new Uint8Array(32)), { code: 'auth_flow_decrypt_failed' });
  assert.throws(() => decryptPayload(box.subarray(0, 20), SECRET), { code: 'auth_flow_decrypt_failed' });
  assert.throws(() => decryptPayload(new Uint8Array(0), SECRET), { code: 'auth_flow_bad_payload' });
});

async function withServer(handler: (req: IncomingMessage, res: ServerResponse) => void, fn: (base: string) => Promise<void>) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('receive retries on 408, returns the body and ACKs with DELETE on inbox relays', async () => {
  const log: string[] = [];
  let gets = 0;
  await withServer(
    (req, res) => {
      log.push(`${req.method} ${req.url}`);
      if (req.method === 'GET') {
        gets++;
        if (gets < 3) {
          res.writeHead(408).end('Request timed out');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([1, 2, 3]));
        return;
      }
      res.writeHead(200).end();
    },
    async (base) => {
      const body = await receiveFromChannel(`${base}/inbox/abc`, { retryDelayMs: 1 });
      assert.deepEqual([...body], [1, 2, 3]);
      for (let i = 0; i < 50 && !log.includes('DELETE /inbox/abc'); i++) await new Promise((r) => setTimeout(r, 5));
    },
  );
  assert.deepEqual(log, ['GET /inbox/abc', 'GET /inbox/abc', 'GET /inbox/abc', 'DELETE /inbox/abc']);
});

test('receive on a legacy /link relay does not ACK', async () => {
  const log: string[] = [];
  await withServer(
    (req, res) => {
      log.push(`${req.method} ${req.url}`);
      res.writeHead(200).end('x');
    },
    async (base) => {
      await receiveFromChannel(`${base}/link/abc`);
      await new Promise((r) => setTimeout(r, 20));
    },
  );
  assert.deepEqual(log, ['GET /link/abc']);
});

test('receive gives up after three consecutive failures, with the relay status', async () => {
  let n = 0;
  await withServer(
    (_req, res) => {
      n++;
      res.writeHead(503).end('Too many concurrent requests');
    },
    async (base) => {
      await assert.rejects(receiveFromChannel(`${base}/inbox/abc`, { retryDelayMs: 1 }), (e: Error & { code?: string }) => {
        return e.code === 'auth_flow_relay_error' && /503/.test(e.message);
      });
    },
  );
  assert.equal(n, 3);
});

test('receive refuses an oversized message and stops on abort', async () => {
  await withServer(
    (req, res) => {
      if (req.url?.endsWith('big')) res.writeHead(200).end(Buffer.alloc(100_000));
      // otherwise never answer: a long poll
    },
    async (base) => {
      await assert.rejects(receiveFromChannel(`${base}/inbox/big`), { code: 'auth_flow_bad_payload' });
      const ac = new AbortController();
      const p = receiveFromChannel(`${base}/inbox/wait`, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('user left')), 20);
      await assert.rejects(p, { code: 'auth_flow_aborted' });
    },
  );
});

test('send posts bytes and surfaces relay refusals', async () => {
  const got: Buffer[] = [];
  await withServer(
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url?.endsWith('full')) {
          res.writeHead(413).end('Payload too large');
          return;
        }
        got.push(Buffer.concat(chunks));
        res.writeHead(200).end();
      });
    },
    async (base) => {
      await sendToChannel(`${base}/inbox/a`, Uint8Array.of(9, 8, 7));
      await assert.rejects(
        sendToChannel(`${base}/inbox/full`, Uint8Array.of(1)),
        (e: Error & { code?: string }) => e.code === 'auth_flow_relay_error' && /413/.test(e.message),
      );
    },
  );
  assert.deepEqual([...got[0]], [9, 8, 7]);
  await assert.rejects(sendToChannel('http://127.0.0.1:1/inbox/x', Uint8Array.of(1)), { code: 'auth_flow_relay_error' });
});
