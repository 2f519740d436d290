import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { CliError } from '../src/cli-error.ts';
import {
  defaultUser,
  forgetSession,
  parseSessionFile,
  parseTarget,
  readSessionFile,
  sessionFilePath,
  writeSessionFile,
} from '../src/session-file.ts';
import { scratch } from './helpers.ts';

const tmp = scratch();
after(() => tmp.cleanup());

const alice = Keypair.random().publicKey.z32;
const bob = Keypair.random().publicKey.z32;
const hs = Keypair.random().publicKey.z32;

test('the session file path: --session-file, then $PUBKY_SESSION_FILE, then ~/.pubky/cli-sessions.json', () => {
  const saved = process.env.PUBKY_SESSION_FILE;
  try {
    process.env.PUBKY_SESSION_FILE = '/tmp/from-env.json';
    assert.equal(sessionFilePath({ 'session-file': '/tmp/flag.json' }), '/tmp/flag.json');
    assert.equal(sessionFilePath({}), '/tmp/from-env.json');
    delete process.env.PUBKY_SESSION_FILE;
    assert.match(sessionFilePath({}), /\/\.pubky\/cli-sessions\.json$/);
  } finally {
    if (saved === undefined) delete process.env.PUBKY_SESSION_FILE;
    else process.env.PUBKY_SESSION_FILE = saved;
  }
});

test('write, read back, forget: mode 0600 in a 0700 directory, no temporary files left', async () => {
  const path = join(tmp.dir, 'sub', 'dir', 's.json');
  assert.deepEqual(Object.keys((await readSessionFile(path)).sessions), [], 'a missing file is an empty set');
  await writeSessionFile(path, { version: 1, sessions: { [alice]: { homeserver: hs, session: 'pubky-session:a', savedAt: 'now' } } });
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(tmp.dir, 'sub', 'dir')).mode & 0o777, 0o700);
  const data = await readSessionFile(path);
  assert.equal(data.sessions[alice].session, 'pubky-session:a');
  data.sessions[bob] = { homeserver: hs, session: 'pubky-session:b', savedAt: 'now' };
  await writeSessionFile(path, data);
  assert.deepEqual(Object.keys((await readSessionFile(path)).sessions).sort(), [alice, bob].sort());
  assert.equal(await forgetSession(path, Keypair.random().publicKey), false);
  assert.equal(await forgetSession(path, (await import('@pubky-ts/common')).PublicKey.parse(alice)), true);
  assert.deepEqual(Object.keys((await readSessionFile(path)).sessions), [bob]);
  assert.deepEqual(readdirSync(join(tmp.dir, 'sub', 'dir')), ['s.json']);
  // the only saved session is the default user; with two, the user must say whose
  assert.equal((await defaultUser({ 'session-file': path })).z32, bob);
  const target = await parseTarget('/pub/app/x.txt', { 'session-file': path });
  assert.equal(target.owner.z32, bob);
  assert.equal(target.path, '/pub/app/x.txt');
  const two = join(tmp.dir, 'two.json');
  await writeSessionFile(two, data);
  await writeSessionFile(two, {
    version: 1,
    sessions: { ...data.sessions, [alice]: { homeserver: hs, session: 'pubky-session:a', savedAt: '' } },
  });
  await assert.rejects(defaultUser({ 'session-file': two }), (e: CliError) => e.exitCode === 2 && /2 sessions are saved/.test(e.message));
  assert.equal((await defaultUser({ 'session-file': two, user: alice })).z32, alice);
});

test('a group- or world-readable session file still works but is reported', async () => {
  const path = join(tmp.dir, 'open.json');
  writeFileSync(path, JSON.stringify({ version: 1, sessions: {} }));
  chmodSync(path, 0o644);
  const warnings: string[] = [];
  const original = console.error;
  console.error = (m: string) => warnings.push(m);
  try {
    await readSessionFile(path);
  } finally {
    console.error = original;
  }
  assert.match(warnings.join('\n'), /readable by others \(mode 644\).*chmod 600/);
});

test('malformed session files are CliErrors (exit 1) naming the problem, for any input', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /invalid JSON/],
    ['[]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"version":2,"sessions":{}}', /unknown version 2/],
    ['{"version":1}', /"sessions" is not an object/],
    ['{"version":1,"sessions":[]}', /"sessions" is not an object/],
    [`{"version":1,"sessions":{"${alice}":{"session":1,"homeserver":"x"}}}`, /needs "session" and "homeserver" strings/],
    [`{"version":1,"sessions":{"${alice}":null}}`, /needs "session" and "homeserver"/],
    ['{"version":1,"sessions":{"__proto__":{"session":"a","homeserver":"b"}}}', /is not a public key/],
  ];
  for (const [text, re] of cases) {
    assert.throws(
      () => parseSessionFile(text, 'f.json'),
      (e: unknown) => e instanceof CliError && e.exitCode === 1 && re.test(e.message),
      text,
    );
  }
  // random bytes and mutations of a valid file: either parsed or a CliError, never anything else
  const valid = JSON.stringify({ version: 1, sessions: { [alice]: { homeserver: hs, session: 'pubky-session:x', savedAt: 'now' } } });
  for (let i = 0; i < 2000; i++) {
    let text: string;
    if (i % 2 === 0) text = randomBytes(i % 64).toString('latin1');
    else {
      const b = Buffer.from(valid);
      for (let k = 0; k < 1 + (i % 4); k++) b[(i * 7919 + k * 104729) % b.length] = (i * 31 + k) & 0xff;
      text = b.toString('latin1');
    }
    try {
      const data = parseSessionFile(text, 'f.json');
      for (const e of Object.values(data.sessions)) assert.equal(typeof e.session, 'string');
    } catch (e) {
      assert.ok(e instanceof CliError, `input ${JSON.stringify(text)} threw ${e}`);
    }
  }
});
