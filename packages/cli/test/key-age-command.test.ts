// `pubky key age` against the age CLI: the recipient printed from the public key alone is the one
// age-keygen derives from the identity printed from the secret key, and age opens with it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli, scratch, show } from './helpers.ts';

const tmp = scratch();
after(() => tmp.cleanup());

test('pubky key age: recipient from the pubky, identity from the key file, both as the age CLI sees them', async () => {
  if (!existsSync('/usr/bin/age-keygen'))
    assert.fail('the age CLI is missing: run scripts/ensure-tools.sh (as root) to install it with apt');
  const keyFile = join(tmp.dir, 'alice.key');
  const kg = await runCli(['keygen', '--out', keyFile]);
  assert.equal(kg.code, 0, show(kg));
  const user = kg.out.trim();

  const own = await runCli(['key', 'age', '--key', keyFile]);
  assert.equal(own.code, 0, show(own));
  const recipient = own.out.trim();
  assert.match(recipient, /^age1[a-z0-9]{58}$/);
  const other = await runCli(['key', 'age', `pubky://${user}`]);
  assert.equal(other.out.trim(), recipient, 'the recipient follows from the public key alone');

  const id = await runCli(['key', 'age', '--key', keyFile, '--identity']);
  assert.equal(id.code, 0, show(id));
  assert.match(id.out, /^AGE-SECRET-KEY-1[A-Z0-9]{58}$/m);
  const idFile = join(tmp.dir, 'alice.agekey');
  execFileSync('sh', ['-c', `cat > ${idFile}`], { input: id.out });
  assert.equal(execFileSync('/usr/bin/age-keygen', ['-y', idFile]).toString().trim(), recipient);
  const sealed = execFileSync('/usr/bin/age', ['-r', recipient], { input: 'hello' });
  assert.equal(execFileSync('/usr/bin/age', ['-d', '-i', idFile], { input: sealed }).toString(), 'hello');

  const bad = await runCli(['key', 'age', 'not-a-key']);
  assert.equal(bad.code, 2, show(bad));
  assert.match(bad.err, /not a pubky/);
  const noKey = await runCli(['key', 'age', user, '--identity']);
  assert.notEqual(noKey.code, 0);
  assert.match(noKey.err, /--identity needs your own key/);
});
