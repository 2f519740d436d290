import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counted, formatBytes, formatDuration, Progress, progressForce } from '../src/progress.ts';

function fakeSink(isTTY: boolean) {
  const writes: string[] = [];
  return { sink: { isTTY, write: (s: string) => writes.push(s) }, writes };
}

test('formatBytes and formatDuration', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1.0 KiB');
  assert.equal(formatBytes(5 * 1024 * 1024 + 512 * 1024), '5.5 MiB');
  assert.equal(formatBytes(-1), '?');
  assert.equal(formatDuration(0.25), '0.3s');
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(125), '2m05s');
  assert.equal(formatDuration(3 * 3600 + 60 * 7), '3h07m');
  assert.equal(formatDuration(Infinity), '?');
});

test('on a TTY: nothing for the first 500 ms, then redraws in place at most every 100 ms, with percent, rate and ETA', () => {
  let now = 0;
  const { sink, writes } = fakeSink(true);
  const p = new Progress({ label: 'put x', total: 10 * 1024 * 1024, sink, now: () => now });
  now = 100;
  p.add(1024 * 1024);
  assert.equal(writes.length, 0, 'short transfers draw nothing');
  now = 1000;
  p.add(1024 * 1024);
  assert.equal(writes.length, 1);
  assert.equal(writes[0], '\rput x  2.0 MiB / 10.0 MiB  20%  2.0 MiB/s  ETA 4.0s');
  now = 1050;
  p.add(1024);
  assert.equal(writes.length, 1, 'throttled');
  now = 2000;
  p.add(8 * 1024 * 1024 - 1024);
  assert.match(writes[1], /^\rput x {2}10\.0 MiB \/ 10\.0 MiB {2}100% {2}5\.0 MiB\/s {2}ETA 0\.0s/);
  p.done();
  assert.match(writes[2], /^\rput x {2}10\.0 MiB \/ 10\.0 MiB {2}100% {2}5\.0 MiB\/s {2}in 2\.0s/);
  assert.equal(writes[3], '\n');
  p.done();
  assert.equal(writes.length, 4, 'done is idempotent');
});

test('a short transfer on a TTY leaves no trace; forced progress always prints a final line', () => {
  let now = 0;
  const tty = fakeSink(true);
  const p = new Progress({ label: 'get y', total: 10, sink: tty.sink, now: () => now });
  p.add(10);
  now = 50;
  p.done();
  assert.deepEqual(tty.writes, []);

  const pipe = fakeSink(false);
  const auto = new Progress({ label: 'get y', sink: pipe.sink, now: () => now });
  now = 5000;
  auto.add(10);
  auto.done();
  assert.deepEqual(pipe.writes, [], 'not a TTY and not forced: silent');

  const forced = new Progress({ label: 'get y', sink: pipe.sink, force: true, now: () => now });
  forced.add(3);
  now = 5500;
  forced.add(4);
  forced.done();
  assert.equal(pipe.writes.length, 2, 'one line per second at most, plus the final one');
  assert.equal(pipe.writes[0], 'get y  3 B  2.9 KiB/s\n'); // no total: no percent, no ETA
  assert.match(pipe.writes[1], /^get y {2}7 B {2}14 B\/s {2}in 0\.5s\n$/);
});

test('never with force false; abort clears a drawn TTY line', () => {
  let now = 0;
  const { sink, writes } = fakeSink(true);
  const off = new Progress({ label: 'z', sink, force: false, now: () => now });
  now = 10_000;
  off.add(1);
  off.done();
  assert.deepEqual(writes, []);
  const p = new Progress({ label: 'z', total: 100, sink, now: () => now });
  now = 11_000;
  p.add(1);
  p.abort();
  assert.equal(writes.at(-1), '\r\x1b[K');
  p.add(5);
  assert.equal(writes.length, 2, 'nothing after abort');
});

test('counted passes chunks through unchanged and counts them', async () => {
  const { sink } = fakeSink(false);
  const p = new Progress({ label: 'c', sink, force: false });
  async function* src() {
    yield new Uint8Array([1, 2]);
    yield new Uint8Array([3]);
  }
  const out: number[] = [];
  for await (const c of counted(src(), p)) out.push(...c);
  assert.deepEqual(out, [1, 2, 3]);
  assert.equal(p.bytes, 3);
  assert.equal(progressForce({ progress: true }), true);
  assert.equal(progressForce({ progress: true, 'no-progress': true }), false);
  assert.equal(progressForce({}), undefined);
});
