import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatEventMessage, formatFeedCursor, formatFeedLine, parseEventMessage, parseEventsFeed } from './event-line.ts';
import { SseParser } from './sse.ts';

const KEY = '8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo';
const HASH = 'rxNJufX5oaagQE3qNtzJSZvLJcmtwRK3zJqTyuQfMmI=';

test('parses PUT and DEL stream events', () => {
  const put = parseEventMessage({ event: 'PUT', data: `pubky://${KEY}/pub/a b.txt\ncursor: 42\ncontent_hash: ${HASH}`, lastEventId: '' });
  assert.equal(put.type, 'PUT');
  assert.equal(put.user.z32, KEY);
  assert.equal(put.path, '/pub/a b.txt');
  assert.equal(put.url, `pubky://${KEY}/pub/a b.txt`);
  assert.equal(put.cursor, '42');
  assert.equal(put.contentHash, HASH);
  const del = parseEventMessage({ event: 'DEL', data: `pubky://${KEY}/pub/old\ncursor: 43\nfuture_field: x`, lastEventId: '' });
  assert.equal(del.type, 'DEL');
  assert.equal(del.contentHash, null);
});

test('refuses malformed stream events with invalid_event', () => {
  const bad: Array<[string, string]> = [
    ['HELLO', `pubky://${KEY}/pub/a\ncursor: 1`],
    ['PUT', `https://${KEY}/pub/a\ncursor: 1`],
    ['PUT', `pubky://${KEY.slice(1)}x/pub/a\ncursor: 1`],
    ['PUT', `pubky://${KEY}\ncursor: 1`],
    ['PUT', `pubky://${KEY}/pub/a`],
    ['PUT', `pubky://${KEY}/pub/a\ncursor: `],
    ['PUT', `pubky://${KEY}/pub/a\ncursor: 1 2`],
    ['PUT', `pubky://${KEY}/pub/a\ncursor: 1\ncontent_hash: abc`],
    ['PUT', `pubky://${KEY}/pub/a\ncursor: 1\ngarbage`],
  ];
  for (const [event, data] of bad) {
    assert.throws(() => parseEventMessage({ event, data, lastEventId: '' }), { code: 'invalid_event' }, data);
  }
});

test('parses the /events/ text feed', () => {
  const page = parseEventsFeed(`PUT pubky://${KEY}/pub/example.txt\nDEL pubky://${KEY}/pub/old.txt\ncursor: 12345`);
  assert.equal(page.events.length, 2);
  assert.equal(page.events[0].type, 'PUT');
  assert.equal(page.events[1].path, '/pub/old.txt');
  assert.equal(page.cursor, '12345');
  assert.deepEqual(parseEventsFeed(''), { events: [], cursor: null });
  assert.throws(() => parseEventsFeed(`PUT pubky://${KEY}/pub/x`), { code: 'invalid_events_feed' });
  assert.throws(() => parseEventsFeed(`PATCH pubky://${KEY}/pub/x\ncursor: 1`), { code: 'invalid_events_feed' });
  assert.throws(() => parseEventsFeed(`PUT nope\ncursor: 1`), { code: 'invalid_events_feed' });
  assert.throws(() => parseEventsFeed(`cursor: `), { code: 'invalid_events_feed' });
});

test('what the server formats, the readers parse back (stream message and feed page)', () => {
  const [put, del] = new SseParser().push(
    formatEventMessage('PUT', KEY, '/pub/a b.txt', 42, HASH) + formatEventMessage('DEL', KEY, '/pub/old', 43, HASH),
  );
  assert.deepEqual(
    [put, del].map((m) => {
      const e = parseEventMessage(m);
      return [e.type, e.user.z32, e.path, e.cursor, e.contentHash];
    }),
    [
      ['PUT', KEY, '/pub/a b.txt', '42', HASH],
      ['DEL', KEY, '/pub/old', '43', null],
    ],
  );
  const page = parseEventsFeed(
    [formatFeedLine('PUT', KEY, '/pub/x'), formatFeedLine('DEL', KEY, '/pub/y'), formatFeedCursor(7)].join('\n'),
  );
  assert.deepEqual(
    page.events.map((e) => [e.type, e.url]),
    [
      ['PUT', `pubky://${KEY}/pub/x`],
      ['DEL', `pubky://${KEY}/pub/y`],
    ],
  );
  assert.equal(page.cursor, '7');
});
