// Runs every example as a child process (each starts its own testnet on random ports) and checks
// its exit code and the lines that show it did its job.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function runExample(name: string): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}`], {
    cwd: ROOT,
    env: { ...process.env, PUBKY_TESTNET: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const expectations: Record<string, RegExp[]> = {
  'signup.ts': [
    /^network: a testnet started here on random ports$/m,
    /^recovery file: \d+ bytes, decrypts to the same key: true$/m,
    /^signed up with token [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}; capabilities: \/:rw$/m,
    /^resolves to the same homeserver: true$/m,
    /^restored session of .*valid: true$/m,
    /^signed out; the restored copy is still valid: false$/m,
    /^signed in again on .*capabilities: \/:rw$/m,
  ],
  'auth-flow.ts': [
    /^authorization url: pubkyauth:\/\/signin\?caps=%2Fpub%2Fexample\.app%2F%3Arw&relay=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Finbox&secret=/m,
    /^the app asks for: signin \/pub\/example\.app\/:rw$/m,
    /^app session for .*capabilities: \/pub\/example\.app\/:rw$/m,
    /^app wrote: written by the app$/m,
    /^write outside the grant refused: forbidden$/m,
  ],
  'storage.ts': [
    /^public read: profile name = Alice$/m,
    /^public read: blob\.bin 262144 bytes, identical: true$/m,
    /^stats: size=262144 type=application\/octet-stream etag="/m,
    /^shallow listing: \/pub\/example\.app\/blob\.bin \/pub\/example\.app\/posts\/ \/pub\/example\.app\/profile\.json$/m,
    /^full listing \(pages of 2\): 4 files$/m,
    /^private read with the session: only for me$/m,
    /^private read without a session refused: (unauthorized|forbidden|not_found)$/m,
    /^after delete, exists: false$/m,
  ],
  'encrypted-files.ts': [
    /^alice's age recipient: age1/m,
    /^the homeserver holds an age file: true, \d+ bytes$/m,
    /^alice reads: dear diary$/m,
    /^the app reads: dear diary$/m,
    /^bob reads: hello bob$/m,
    /^a stranger is refused: age_no_matching_key$/m,
  ],
  'events.ts': [
    /^event PUT \/pub\/example\.app\/a\.txt cursor=\S+\nevent PUT \/pub\/example\.app\/b\.txt cursor=\S+\nevent DEL \/pub\/example\.app\/a\.txt cursor=\S+\n/m,
    /^live event PUT \/pub\/example\.app\/d\.txt\nlive event DEL \/pub\/example\.app\/b\.txt$/m,
    /^live events received: 2$/m,
    /^homeserver feed: 7 events, next cursor \S+$/m,
  ],
  'social-app.ts': [
    /^network: a testnet with two homeservers and an indexer at http:\/\/127\.0\.0\.1:\d+$/m,
    /^profile: Cleo, 2 followers, 1 post$/m,
    /^ana's feed: "Tomatoes, every time\.", "Which seeds grow best on a balcony\?"$/m,
    /^thread: 2 replies, tags gardening×2$/m,
    /^search "balcony": Which seeds grow best on a balcony\?$/m,
    /^hot tags: gardening, gardener$/m,
    /^cleo could follow: Ben$/m,
    /^indexer follows 2 homeservers \(config, discovered\)$/m,
  ],
};

// Two at a time: each example boots a whole network.
const names = Object.keys(expectations);
const runs = new Map<string, ReturnType<typeof runExample>>();
let chain: Promise<unknown> = Promise.resolve();
for (let i = 0; i < names.length; i += 2) {
  const pair = names.slice(i, i + 2);
  chain = chain.then(() =>
    Promise.all(
      pair.map((n) => {
        const p = runExample(n);
        runs.set(n, p);
        return p;
      }),
    ),
  );
}

for (const name of names) {
  test(`examples/${name} runs and exits 0`, async () => {
    while (!runs.has(name)) await chain;
    const r = await runs.get(name)!;
    const where = `\n--- stdout\n${r.out}\n--- stderr\n${r.err}`;
    assert.equal(r.code, 0, where);
    for (const re of expectations[name]) assert.match(r.out, re, where);
    assert.match(r.out, /^done$/m, where);
  });
}
