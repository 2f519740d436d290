import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { Keypair } from '@pubky-ts/common';
import { bookmarkId, parseTimestampId, tagId, timestampId } from './ids.ts';
import { parseAppPath, validateAppRecord } from './validate.ts';

const alice = Keypair.random().publicKey.z32;
const postUri = `pubky://${alice}/pub/pubky.app/posts/${timestampId(1_700_000_000_000_000)}`;

async function reason(path: string, body: unknown): Promise<string> {
  const r = await validateAppRecord(path, typeof body === 'string' ? body : JSON.stringify(body));
  assert.equal(r.ok, false, `expected ${path} ${JSON.stringify(body)} to be refused`);
  return (r as { reason: string }).reason;
}

test('timestamp ids are 13 Crockford characters that round-trip; anything else is refused', () => {
  const id = timestampId(1_712_345_678_901_234);
  assert.equal(id, '0031AQMBXHQZ4');
  assert.equal(parseTimestampId(id), 1_712_345_678_901_234);
  for (const bad of ['', '0031aqmbxhqz4', '0031AQMBXHQZ', '0031AQMBXHQZ44', '0031AQMBXHQZU', 'ZZZZZZZZZZZZZ'])
    assert.equal(parseTimestampId(bad), null, bad);
});

test('a valid profile, post, reply, tag, bookmark, follow and file pass', async () => {
  const post = `/pub/pubky.app/posts/${timestampId()}`;
  const tag = await tagId(postUri, 'rust');
  const cases: Array<[string, unknown, string]> = [
    ['/pub/pubky.app/profile.json', { name: 'Alice', bio: 'hi', links: [{ title: 'site', url: 'https://example.com' }] }, 'user'],
    [post, { content: 'hello', kind: 'short' }, 'post'],
    [post, { content: 'a reply', kind: 'short', parent: postUri, embed: null }, 'post'],
    [`/pub/pubky.app/tags/${tag}`, { uri: postUri, label: 'rust', created_at: 1 }, 'tag'],
    [`/pub/pubky.app/bookmarks/${await bookmarkId(postUri)}`, { uri: postUri, created_at: 1 }, 'bookmark'],
    [`/pub/pubky.app/follows/${alice}`, { created_at: 1 }, 'follow'],
    [
      `/pub/pubky.app/files/${timestampId()}`,
      { name: 'a.png', created_at: 1, src: `pubky://${alice}/pub/pubky.app/blobs/x`, content_type: 'image/png', size: 10 },
      'file',
    ],
  ];
  for (const [path, body, kind] of cases) {
    const r = await validateAppRecord(path, JSON.stringify(body));
    assert.ok(r.ok, `${path}: ${!r.ok && r.reason}`);
    assert.equal(r.record.kind, kind);
  }
});

test('each broken rule is refused with its reason', async () => {
  const post = `/pub/pubky.app/posts/${timestampId()}`;
  assert.match(await reason('/pub/pubky.app/profile.json', { name: 'Al' }), /name must have at least 3/);
  assert.match(await reason('/pub/pubky.app/profile.json', { name: '[DELETED]' }), /DELETED/);
  assert.match(
    await reason('/pub/pubky.app/profile.json', { name: 'Alice', links: new Array(6).fill({ title: 't', url: 'https://x.y' }) }),
    /at most 5 links/,
  );
  assert.match(await reason('/pub/pubky.app/profile.json', { name: 'Alice', image: 'ftp://x' }), /image must use/);
  assert.match(await reason(post, { content: 'x'.repeat(2001), kind: 'short' }), /content must have at most 2000/);
  assert.match(await reason(post, { content: 'x', kind: 'tweet' }), /kind must be one of/);
  assert.match(await reason(post, { content: 'x', kind: 'short', parent: 'https://example.com' }), /parent must be a pubky/);
  assert.match(await reason('/pub/pubky.app/posts/notanid', { content: 'x', kind: 'short' }), /timestamp id/);
  assert.match(
    await reason(`/pub/pubky.app/tags/${await tagId(postUri, 'rust')}`, { uri: postUri, label: 'Rust', created_at: 1 }),
    /lowercase/,
  );
  assert.match(
    await reason(`/pub/pubky.app/tags/${await tagId(postUri, 'go')}`, { uri: postUri, label: 'rust', created_at: 1 }),
    /not the hash id/,
  );
  assert.match(await reason(`/pub/pubky.app/follows/${alice}`, { created_at: 'now' }), /created_at must be an integer/);
  assert.match(await reason('/pub/pubky.app/follows/bob', { created_at: 1 }), /z32 key/);
  assert.match(await reason('/pub/pubky.app/profile.json', '{"name":'), /not JSON/);
  assert.match(await reason('/pub/pubky.app/profile.json', '[1]'), /JSON object/);
  assert.match(await reason('/pub/pubky.app/unknown/x', {}), /not a pubky.app path/);
  assert.equal(parseAppPath('/pub/other.app/posts/x'), null);
});

test('random and hostile bodies never throw, they are refused', async () => {
  const paths = [
    '/pub/pubky.app/profile.json',
    `/pub/pubky.app/posts/${timestampId()}`,
    `/pub/pubky.app/follows/${alice}`,
    `/pub/pubky.app/tags/${await tagId(postUri, 'x')}`,
  ];
  for (let i = 0; i < 400; i++) {
    const body =
      i % 2
        ? randomBytes(i % 97)
        : JSON.stringify({ name: randomBytes(1).toString('latin1'), content: {}, kind: [], uri: 7, label: null, created_at: 1e300 });
    const r = await validateAppRecord(paths[i % paths.length], body);
    assert.equal(r.ok, false);
  }
  const huge = new Uint8Array(300 * 1024).fill(0x20);
  const r = await validateAppRecord('/pub/pubky.app/profile.json', huge);
  assert.ok(!r.ok && /bytes, more than/.test(r.reason));
});
