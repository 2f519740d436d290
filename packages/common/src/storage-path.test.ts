import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PubkyError } from './errors.ts';
import { normalizeStoragePath, parseStrictStoragePath } from './storage-path.ts';

test('normalisation vectors of the reference', () => {
  const cases: Array<[string, string]> = [
    ['/', '/'],
    ['//', '/'],
    ['/test/..', '/'],
    ['/test/../test', '/test'],
    ['/test/../test/', '/test/'],
    ['/test//test', '/test/test'],
    ['/dav//folder/', '/dav/folder/'],
    ['/dav/file*.txt', '/dav/file*.txt'],
    ['/dav/<script>', '/dav/<script>'],
    ['/dav/über', '/dav/über'],
    ['/a/.', '/a/'],
    ['/a/name..', '/a/name..'],
    ['/pub/file%.txt', '/pub/file%.txt'],
    ['/pub/dir /x', '/pub/dir /x'],
    ['priv//my-app/./data/'.replace(/^/, '/'), '/priv/my-app/data/'],
    ['/priv/my-app/../settings.json', '/priv/settings.json'],
  ];
  for (const [input, out] of cases) assert.equal(normalizeStoragePath(input).path, out, input);
  assert.equal(normalizeStoragePath('/a/.').isDirectory, true);
  assert.equal(normalizeStoragePath('/a/name..').isDirectory, false);
});

test('invalid paths are refused with the reference reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['/..', /traverses above root/],
    ['/test/../..', /traverses above root/],
    ['/../../priv/', /traverses above root/],
    ['', /must start with/],
    ['test', /must start with/],
    ['test/', /must start with/],
    ['http://example.com/test', /must start with/],
    ['\\test\\', /must start with/],
    ['C:\\dav\\file', /must start with/],
    ['/dav/file\0', /control character/],
    ['/pub/scope/\\..\\report', /backslash/],
    ['/pub/report ', /whitespace/],
    ['/pub/report\u00a0', /whitespace/],
    ['/pub/report\u3000', /whitespace/],
    [`/pub/${'a'.repeat(256)}`, /segment is 256 bytes/],
    [`/pub/${'a/'.repeat(500)}x`, /maximum is 972/],
  ];
  for (const [input, re] of bad) {
    assert.throws(
      () => normalizeStoragePath(input),
      (e: PubkyError) => e.code === 'invalid_path' && re.test(e.message),
      input,
    );
  }
});

test('the strict form refuses anything not already canonical', () => {
  assert.equal(parseStrictStoragePath('/pub/app/').path, '/pub/app/');
  assert.equal(parseStrictStoragePath('/').isDirectory, true);
  assert.throws(() => parseStrictStoragePath('/pub//x'), /empty segment/);
  assert.throws(() => parseStrictStoragePath('/pub/./x'), /a \. segment/);
  assert.throws(() => parseStrictStoragePath('/pub/../x'), /a \.\. segment/);
  assert.throws(() => parseStrictStoragePath('pub/x'), /must start/);
});
