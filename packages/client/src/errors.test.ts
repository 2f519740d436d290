import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readErrorSection, renderErrorTable } from '@pubky-ts/common';
import { CLIENT_ERROR_DOCS, CLIENT_ERRORS } from './error-catalogue.ts';
import { ClientError, type PubkyHttpError } from './errors.ts';
import { httpError } from './http.ts';
import { parseResourceAddress } from './pubky-url.ts';

test('every SDK error code is lower_snake and says which class throws it', () => {
  for (const [code, summary] of Object.entries(CLIENT_ERRORS)) {
    assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, code);
    assert.match(summary, /^`[A-Za-z]+Error`/, code);
  }
});

test('the README table is the one the catalogue renders (npm run docs:errors rewrites it)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  assert.equal(readErrorSection(readme), renderErrorTable(CLIENT_ERROR_DOCS), 'stale: run npm run docs:errors');
});

test('an invalid address is a catalogued ClientError', () => {
  assert.throws(
    () => parseResourceAddress('not an address'),
    (e: unknown) => e instanceof ClientError && e.code in CLIENT_ERRORS,
  );
});

test('an error answer of a real HTTP server: code from the status, serverCode from pubky-error-code', async () => {
  const answers: Array<[number, Record<string, string>, string]> = [
    [403, { 'pubky-error-code': 'NO_WRITE_ACCESS' }, 'Session does not have write access to path'],
    [507, { 'pubky-error-code': 'QUOTA_EXCEEDED' }, 'Disk space quota exceeded'],
    [429, { 'pubky-error-code': 'RATE_LIMITED', 'retry-after': '7' }, 'Rate limit exceeded'],
    [404, {}, 'Not Found'],
    [400, { 'pubky-error-code': 'not a code; <script>' }, 'bad'],
  ];
  let i = 0;
  const server = createServer((_req, res) => {
    const [status, headers, body] = answers[i++]!;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pub/x`;
  const got: PubkyHttpError[] = [];
  try {
    for (let n = 0; n < answers.length; n++) got.push(await httpError(await fetch(url), 'get'));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  assert.deepEqual(
    got.map((e) => [e.status, e.code, e.serverCode, e.serverMessage]),
    [
      [403, 'forbidden', 'NO_WRITE_ACCESS', 'Session does not have write access to path'],
      [507, 'quota_exceeded', 'QUOTA_EXCEEDED', 'Disk space quota exceeded'],
      [429, 'rate_limited', 'RATE_LIMITED', 'Rate limit exceeded'],
      [404, 'not_found', undefined, 'Not Found'],
      [400, 'bad_request', undefined, 'bad'],
    ],
  );
  assert.equal(got[2]!.retryAfter, 7);
  for (const e of got) assert.ok(e.code in CLIENT_ERRORS);
});
