// A client that goes away in the middle of an upload is normal traffic: one log line that says so
// (no "unhandled error", no stack), and the server keeps serving.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { as, signup, startTestServer } from './helpers.ts';

test('an upload the client aborts halfway is logged as one line without a stack, and nothing is stored', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l));
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const hs = await startTestServer({}, { logger });
  t.after(() => hs.stop());
  const { kp, cookie } = await signup(hs);
  const url = new URL(`${hs.url}/pub/app/big.bin`);
  await new Promise<void>((resolve) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'PUT',
      headers: { ...as(kp, cookie), 'content-length': String(4 * 1024 * 1024) },
    });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(64 * 1024), () => setTimeout(() => req.destroy(), 50));
  });
  // The server notices the reset; wait (bounded) for its log line.
  for (let i = 0; i < 100 && !lines.some((l) => /abort/i.test(String(l.msg))); i++) await new Promise((r) => setTimeout(r, 20));
  const errors = lines.filter((l) => Number(l.level) >= 50);
  assert.deepEqual(errors, [], 'no error-level line for a client that went away');
  const aborted = lines.filter((l) => /abort/i.test(String(l.msg)));
  assert.equal(aborted.length, 1, JSON.stringify(lines));
  assert.equal(JSON.stringify(aborted[0]).includes('stack'), false, 'no stack in the line');
  assert.equal(aborted[0].method, 'PUT');
  assert.equal((await hs.req('/pub/app/big.bin', { headers: as(kp) })).status, 404, 'nothing stored');
});
