import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentTypeFromPath, detectContentType, sniffContentType } from './content-type.ts';

test('magic bytes win over the extension (spec §2.6 example)', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(detectContentType('/pub/foo', png), 'image/png');
  assert.equal(detectContentType('/pub/foo.txt', png), 'image/png');
});

test('sniffs common formats', () => {
  const cases: [string, number[]][] = [
    ['image/jpeg', [0xff, 0xd8, 0xff, 0xe0]],
    ['image/gif', [...Buffer.from('GIF89a')]],
    ['image/webp', [...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WEBPVP8 ')]],
    ['audio/x-wav', [...Buffer.from('RIFF'), 0, 0, 0, 0, ...Buffer.from('WAVEfmt ')]],
    ['application/pdf', [...Buffer.from('%PDF-1.7')]],
    ['application/zip', [0x50, 0x4b, 0x03, 0x04, 0]],
    ['application/gzip', [0x1f, 0x8b, 0x08, 0]],
    ['video/mp4', [0, 0, 0, 0x18, ...Buffer.from('ftypisom')]],
    ['audio/mpeg', [...Buffer.from('ID3'), 3, 0]],
    ['video/webm', [0x1a, 0x45, 0xdf, 0xa3, 0]],
  ];
  for (const [type, bytes] of cases) assert.equal(sniffContentType(Uint8Array.from(bytes)), type, type);
  assert.equal(sniffContentType(Buffer.from('hello world')), null);
  assert.equal(sniffContentType(new Uint8Array(0)), null);
});

test('extension lookup, then octet-stream', () => {
  assert.equal(contentTypeFromPath('/pub/a.txt'), 'text/plain');
  assert.equal(contentTypeFromPath('/pub/a.JSON'), 'application/json');
  assert.equal(contentTypeFromPath('/pub/dir.d/file'), null);
  assert.equal(contentTypeFromPath('/pub/file.'), null);
  assert.equal(detectContentType('/pub/x.md', Buffer.from('# hi')), 'text/markdown');
  assert.equal(detectContentType('/pub/x', Buffer.from('plain')), 'application/octet-stream');
  assert.equal(detectContentType('/pub/x.svg', new Uint8Array(0)), 'image/svg+xml');
});
