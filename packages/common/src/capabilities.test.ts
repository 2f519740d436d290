import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Capabilities, Capability } from './capabilities.ts';

test('capability grammar and normalised actions', () => {
  assert.equal(Capability.parse('/:rw').isRoot, true);
  assert.equal(Capability.parse('/pub/app/:wr').toString(), '/pub/app/:rw');
  assert.equal(Capability.parse('/pub/file.txt:rr').toString(), '/pub/file.txt:r');
  assert.equal(
    Capabilities.parse('/pub/my-cool-app/:r,/pub/uploads/:w,/pub/my-cool-app/data/:rw').toString(),
    '/pub/my-cool-app/:r,/pub/uploads/:w,/pub/my-cool-app/data/:rw',
  );
  assert.equal(Capabilities.parse('').items.length, 0);
});

test('strict parsing refuses every malformed item of the list', () => {
  for (const bad of [
    ',/a/:r',
    '/a/:r,',
    '/a/:r,,/b/:w',
    '/pub/a/:',
    '/pub/a/:rx',
    '/pub/a:b:r',
    'pub/a/:r',
    '/pub//x/:rw',
    '/pub/a/./b/:r',
    '/pub/x:',
  ]) {
    assert.throws(() => Capabilities.parse(bad), /invalid capability/, bad);
  }
});

test('scope matching is trailing-slash aware', () => {
  const caps = Capabilities.parse('/pub/app/:rw,/pub/file:r');
  assert.equal(caps.allows('/pub/app/x', 'w'), true);
  assert.equal(caps.allows('/pub/app', 'w'), false);
  assert.equal(caps.allows('/pub/apple', 'r'), false);
  assert.equal(caps.allows('/pub/file', 'r'), true);
  assert.equal(caps.allows('/pub/file', 'w'), false);
  assert.equal(caps.allows('/pub/file/x', 'r'), false);
  assert.equal(Capabilities.parse('/:rw').allows('/priv/x', 'r'), true);
});
