import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request as httpRequest } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Keypair } from '@pubky-ts/common';
import { authToken, tempDir } from './helpers.ts';

const RUNNER = fileURLToPath(new URL('./fixtures/run-homeserver.ts', import.meta.url));

interface Proc {
  child: ChildProcess;
  url: string;
  adminUrl: string;
  stderr: () => string;
}

function spawnServer(dataDir: string, extra: string[] = []): Promise<Proc> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      RUNNER,
      '--data-dir',
      dataDir,
      '--set',
      'general.signup_mode=open',
      '--set',
      'drive.icann_listen_socket=127.0.0.1:0',
      '--set',
      'admin.listen_socket=127.0.0.1:0',
      '--set',
      'logging.level=error',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"url"'));
      if (line) {
        clearTimeout(timer);
        const info = JSON.parse(line);
        resolve({ child, url: info.url, adminUrl: info.adminUrl, stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`server exited with ${code}: ${err}`), { code, stderr: err }));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((r) => child.once('exit', (c) => r(c)));
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('a real homeserver process', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('clear start-up errors: port in use, bad config', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dir = tempDir();
    dirs.push(dir);
    await assert.rejects(
      spawnServer(dir, ['--set', `drive.icann_listen_socket=127.0.0.1:${port}`]),
      /drive\.icann_listen_socket 127\.0\.0\.1:\d+ is already in use/,
    );
    blocker.close();
    await assert.rejects(spawnServer(dir, ['--set', 'general.signup_mode=maybe']), /general\.signup_mode: expected one of/);
  });

  test('CRASH TEST: SIGKILL under concurrent PUTs loses no acknowledged write and shows no partial file', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let p = await spawnServer(dir);
    children.push(p.child);
    const kp = Keypair.random();
    const z = kp.publicKey.z32;
    const su = await fetch(`${p.url}/signup`, { method: 'POST', body: authToken(kp) });
    assert.equal(su.status, 200);
    const cookie = su.headers.get('set-cookie')!.split(';')[0]!;

    const intended = new Map<string, string>(); // path → sha256 of the full body
    const acked = new Map<string, string>();
    let stop = false;
    let n = 0;
    const worker = async (w: number): Promise<void> => {
      while (!stop) {
        const path = `/pub/crash/w${w}/f${n++}`;
        // Mix of inline-sized and blob-sized contents.
        const body = new Uint8Array(randomBytes(n % 5 === 0 ? 40_000 + (n % 7) * 1000 : 200 + (n % 900)));
        intended.set(path, sha(body));
        try {
          const r = await fetch(`${p.url}/storage/${z}${path}`, { method: 'PUT', body, headers: { cookie } });
          if (r.status === 201) acked.set(path, sha(body));
          else assert.fail(`unexpected ${r.status} ${await r.text()}`);
        } catch {
          return; // the server died mid-request
        }
      }
    };
    const workers = Array.from({ length: 16 }, (_, i) => worker(i));
    while (acked.size < 150) await new Promise((r) => setTimeout(r, 10));
    p.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await exited(p.child);
    assert.ok(acked.size >= 150, `acked ${acked.size}`);

    p = await spawnServer(dir);
    children.push(p.child);
    for (const [path, hash] of acked) {
      const r = await fetch(`${p.url}/storage/${z}${path}`);
      assert.equal(r.status, 200, path);
      assert.equal(sha(new Uint8Array(await r.arrayBuffer())), hash, `bytes of ${path}`);
    }
    // Everything visible is complete: either acknowledged, or committed just before the kill.
    let visible = 0;
    let cursor = '';
    for (;;) {
      const r = await fetch(`${p.url}/storage/${z}/pub/crash/?limit=1000${cursor ? `&cursor=${z}${cursor}` : ''}`);
      const lines = (await r.text()).split('\n').filter(Boolean);
      if (lines.length === 0) break;
      for (const line of lines) {
        const path = line.slice(`pubky://${z}`.length);
        const body = new Uint8Array(await (await fetch(`${p.url}/storage/${z}${path}`)).arrayBuffer());
        assert.equal(sha(body), intended.get(path), `partial or foreign content at ${path}`);
        visible++;
      }
      cursor = lines[lines.length - 1]!.slice(`pubky://${z}`.length);
    }
    assert.ok(visible >= acked.size);
    p.child.kill('SIGTERM');
    assert.equal(await exited(p.child), 0);
  });

  test('graceful shutdown finishes an in-flight upload before exiting', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let p = await spawnServer(dir);
    children.push(p.child);
    const kp = Keypair.random();
    const su = await fetch(`${p.url}/signup`, { method: 'POST', body: authToken(kp) });
    const cookie = su.headers.get('set-cookie')!.split(';')[0]!;
    const u = new URL(p.url);
    const body = new Uint8Array(randomBytes(100_000));
    const status = new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: u.hostname,
          port: u.port,
          method: 'PUT',
          path: `/storage/${kp.publicKey.z32}/pub/slow.bin`,
          headers: { cookie, 'content-length': body.length },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(Buffer.from(body.subarray(0, 50_000)));
      setTimeout(() => {
        p.child.kill('SIGTERM');
        setTimeout(() => req.end(Buffer.from(body.subarray(50_000))), 300);
      }, 200);
    });
    assert.equal(await status, 201);
    assert.equal(await exited(p.child), 0);
    p = await spawnServer(dir);
    children.push(p.child);
    const r = await fetch(`${p.url}/storage/${kp.publicKey.z32}/pub/slow.bin`);
    assert.equal(r.status, 200, p.stderr());
    assert.equal(sha(new Uint8Array(await r.arrayBuffer())), sha(body));
    p.child.kill('SIGTERM');
    assert.equal(await exited(p.child), 0);
  });
});
