// The SDK's browser bundle in a real browser: esbuild bundles browser/entry.ts for the `browser`
// condition, a local testnet runs in this process, a tiny HTTP server serves browser/index.html and
// the bundle, and headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core, which
// never downloads a browser) runs sign-up, storage, listings, public reads, events, session restore,
// a grant session and sign-out from inside the page.
//
// Origins: the homeserver's endpoint is http://localhost:<port> (testnet mode). The page is served
// from http://localhost:<other port>: cross-origin (CORS with credentials and preflights are
// exercised) but same-site, so the session cookie (HttpOnly, no SameSite attribute → Chromium's
// default Lax, no Secure on localhost) is stored and sent. From http://127.0.0.1:<port> the page is
// cross-site: Chromium refuses the Lax cookie, sign-up succeeds but nothing after it is authorised.
// The second test pins that down.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type BrowserServer } from 'playwright-core';
import { startTestnet, type Testnet } from '@pubky-ts/testnet';
import type { ScenarioResult, StepResult } from '../browser/entry.ts';

const CHROMIUM = process.env.PUBKY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // Without these Chromium phones home at start-up, and this machine's closed network refuses it.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(tmpdir(), 'pubky-client-browser.png');

let testnet: Testnet | undefined;
let server: Server | undefined;
let browserServer: BrowserServer | undefined;
let browser: Browser | undefined;
let pagePort = 0;
let bundleBytes = 0;
const setupMs: Record<string, number> = {};
const timed = async <T>(name: string, p: Promise<T>): Promise<T> => {
  const t0 = performance.now();
  const v = await p;
  setupMs[name] = Math.round(performance.now() - t0);
  return v;
};

/** Resolves true when `p` settles within `ms`, false otherwise (never rejects). */
async function within(p: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!p) return true;
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return done;
}

before(
  async () => {
    if (!existsSync(CHROMIUM)) {
      assert.fail(
        `Chromium is missing at ${CHROMIUM}: run scripts/ensure-tools.sh (as root; npm test runs it first) to install it with apt`,
      );
    }
    // Settle all three before failing, so whatever did start is assigned and closed by after().
    const [bundled, net, launched] = await Promise.allSettled([
      timed(
        'bundle',
        build({
          entryPoints: [new URL('../browser/entry.ts', import.meta.url).pathname],
          bundle: true,
          platform: 'browser',
          format: 'esm',
          conditions: ['browser'],
          target: 'es2022',
          write: false,
          metafile: true,
          logLevel: 'silent',
        }),
      ),
      // A DHT request timeout above the 200 ms default: the testnet publishes through its DHT at start,
      // and on a loaded 2-core machine 200 ms sometimes loses every write token.
      timed('testnet', startTestnet({ signupMode: 'open', requestTimeoutMs: 1000 })),
      // launchServer (not launch) so after() can kill the process if a graceful close hangs.
      timed('chromium', chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 15_000 })),
    ]);
    if (net.status === 'fulfilled') testnet = net.value;
    if (launched.status === 'fulfilled') browserServer = launched.value;
    for (const r of [bundled, net, launched]) if (r.status === 'rejected') throw r.reason;
    if (bundled.status !== 'fulfilled' || !browserServer) throw new Error('unreachable');
    browser = await chromium.connect(browserServer.wsEndpoint(), { timeout: 10_000 });
    const bundle = bundled.value;
    const inputs = Object.keys(bundle.metafile.inputs);
    assert.ok(
      inputs.some((i) => i.endsWith('platform-browser.ts')),
      'the browser platform file is bundled',
    );
    assert.deepEqual(
      inputs.filter((i) => i.startsWith('node:') || i.endsWith('platform-node.ts')),
      [],
    );
    const js = bundle.outputFiles[0]!.contents;
    bundleBytes = js.length;
    const html = readFileSync(new URL('../browser/index.html', import.meta.url));
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        res.end(html);
      } else if (path === '/entry.js') {
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
        res.end(js);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, '127.0.0.1', () => resolve());
    });
    pagePort = (server.address() as AddressInfo).port;
  },
  { timeout: 60_000 },
);

// Every close is bounded: a hung browser or testnet must not keep the test runner alive.
after(
  async () => {
    await within(browser?.close(), 5000);
    if (browserServer && !(await within(browserServer.close(), 5000))) await within(browserServer.kill(), 5000);
    if (server) {
      server.closeAllConnections();
      await within(new Promise<void>((resolve) => server!.close(() => resolve())), 5000);
    }
    await within(testnet?.close(), 15_000);
  },
  { timeout: 40_000 },
);

type Cookie = Awaited<ReturnType<BrowserContext['cookies']>>[number];

interface PageRun {
  result: ScenarioResult;
  context: BrowserContext;
  logs: string[];
  /** The browser's cookies for the homeserver endpoint right after sign-up. */
  cookiesAfterSignup: Cookie[];
}

/** Opens the page at `http://<host>:<pagePort>/`, waits for its results, and returns them. */
async function runPage(host: string, screenshot?: string): Promise<PageRun> {
  const context = await browser!.newContext({ viewport: { width: 1200, height: 700 } });
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => logs.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  const homeserverOrigin = `http://localhost:${new URL(testnet!.homeserver.url).port}`;
  let cookiesAfterSignup: Cookie[] = [];
  await page.exposeFunction('__stage', async (stage: string) => {
    if (stage === 'signup') cookiesAfterSignup = await context.cookies(homeserverOrigin);
  });
  const query = new URLSearchParams({ relay: testnet!.pkarrRelay.url, homeserver: testnet!.homeserver.publicKey.z32 });
  await page.goto(`http://${host}:${pagePort}/?${query}`);
  try {
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 25_000 });
  } catch (e) {
    // Say how far the page got: the steps it has shown so far, and what the browser logged.
    const shown = await page
      .locator('#steps')
      .innerText({ timeout: 2000 })
      .catch(() => '(unreadable)');
    if (screenshot) await page.screenshot({ path: screenshot, timeout: 5000 }).catch(() => {});
    assert.fail(`the page gave no result: ${(e as Error).message}\nsteps so far:\n${shown}\n${logs.join('\n')}`);
  }
  const result = (await page.evaluate(() => window.__result)) as ScenarioResult | { fatal: string };
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  if ('fatal' in result) assert.fail(`the page failed: ${result.fatal}\n${logs.join('\n')}`);
  return { result, context, logs, cookiesAfterSignup };
}

function byName(result: ScenarioResult): Map<string, StepResult> {
  return new Map(result.steps.map((s) => [s.name, s]));
}

function value(steps: Map<string, StepResult>, name: string, logs: string[]): unknown {
  const s = steps.get(name);
  assert.ok(s, `step ${name} ran`);
  assert.ok(s.ok, `step ${name} failed: ${JSON.stringify(s.error)}\n${logs.join('\n')}`);
  return s.value;
}

function failure(steps: Map<string, StepResult>, name: string): NonNullable<StepResult['error']> {
  const s = steps.get(name);
  assert.ok(s, `step ${name} ran`);
  assert.ok(!s.ok && s.error, `step ${name} was expected to fail, got ${JSON.stringify(s.value)}`);
  return s.error;
}

const PROFILE = { name: 'Browser Alice', n: 42, tags: ['ü', '✓'] };

test('same-site page (http://localhost): sign-up, storage, listings, public reads, events, restore, grant, sign-out', {
  timeout: 60_000,
}, async (t) => {
  const { result, context, logs, cookiesAfterSignup } = await runPage('localhost', SCREENSHOT);
  t.diagnostic(`set-up in parallel (ms): ${JSON.stringify(setupMs)}; bundle ${bundleBytes} bytes`);
  t.diagnostic(`screenshot: ${SCREENSHOT}; the page's steps took ${result.totalMs} ms`);
  const steps = byName(result);
  const user = result.user;
  const app = `pubky://${user}/pub/browser.test/`;

  assert.match(result.userAgent, /HeadlessChrome\//);
  assert.equal(result.origin, `http://localhost:${pagePort}`);
  assert.equal(result.cookieMode, 'browser', 'the #platform browser condition chose browser cookies');
  const endpoint = `http://localhost:${new URL(testnet!.homeserver.url).port}`;
  assert.equal(value(steps, 'endpoint', logs), endpoint, 'testnet mapping: localhost + SvcParam 65280 port over http');

  assert.deepEqual(value(steps, 'signup', logs), { user, kind: 'cookie', capabilities: ['/:rw'] });
  // The browser stored the session cookie for the homeserver's host: HttpOnly, not Secure, no
  // SameSite attribute (Chromium treats it as Lax, which a same-site page may use).
  assert.deepEqual(
    cookiesAfterSignup.map((c) => ({
      name: c.name,
      domain: c.domain,
      path: c.path,
      httpOnly: c.httpOnly,
      secure: c.secure,
      sameSite: c.sameSite,
    })),
    [{ name: user, domain: 'localhost', path: '/', httpOnly: true, secure: false, sameSite: 'Lax' }],
  );
  assert.equal(value(steps, 'putJson', logs), undefined);
  assert.deepEqual(value(steps, 'getJson', logs), PROFILE);
  value(steps, 'putText', logs);
  assert.deepEqual(value(steps, 'list', logs), [`${app}notes/hello.txt`, `${app}profile.json`]);
  assert.deepEqual(value(steps, 'listShallow', logs), [`${app}notes/`, `${app}profile.json`]);
  const stats = value(steps, 'stats', logs) as { size: number; contentType: string; etag: string | null; lastModified: string };
  assert.equal(stats.size, Buffer.byteLength(JSON.stringify(PROFILE)));
  assert.match(stats.contentType, /^application\/json/);
  assert.match(String(stats.etag), /^"[A-Za-z0-9+/=_-]{20,}"$/, 'the homeserver exposes ETag to cross-origin pages');
  assert.ok(Math.abs(Date.parse(stats.lastModified) - Date.now()) < 60_000, `last-modified ${stats.lastModified}`);
  assert.deepEqual(value(steps, 'exists', logs), [true, false]);
  const missing = value(steps, 'getMissing', logs) as { code: string; status: number };
  assert.deepEqual({ code: missing.code, status: missing.status }, { code: 'not_found', status: 404 });
  value(steps, 'putPriv', logs);
  assert.equal(value(steps, 'getPriv', logs), 'private text');
  // Encryption in the browser (browser/encryption-steps.ts): ciphertext on the server, ranged reads, typed tamper errors.
  assert.equal(value(steps, 'encStored', logs), true);
  assert.equal(value(steps, 'encGet', logs), 'secret in the browser');
  assert.equal(value(steps, 'encRanged', logs), true);
  assert.equal((value(steps, 'encTampered', logs) as { code: string }).code, 'age_payload_tampered');
  const speed = value(steps, 'encThroughput', logs) as { encryptMBs: number; decryptMBs: number };
  t.diagnostic(`age in Chromium, 16 MiB in memory: encrypt ${speed.encryptMBs} MB/s, decrypt ${speed.decryptMBs} MB/s`);
  assert.equal(value(steps, 'revalidate', logs), true);

  // A client that never signed in (credentials omitted) reads the public data, not the private.
  assert.deepEqual(value(steps, 'publicGetJson', logs), PROFILE);
  assert.equal(value(steps, 'publicGetText', logs), 'hello from the browser');
  assert.deepEqual(value(steps, 'publicList', logs), [`${app}notes/hello.txt`, `${app}profile.json`]);
  assert.equal((value(steps, 'publicGetPriv', logs) as { status: number }).status, 401);

  assert.deepEqual(value(steps, 'events', logs), [
    { type: 'PUT', path: '/pub/browser.test/profile.json' },
    { type: 'PUT', path: '/pub/browser.test/notes/hello.txt' },
  ]);
  assert.deepEqual(value(steps, 'restoreSession', logs), { user, kind: 'cookie', revalidate: true });
  assert.deepEqual(value(steps, 'grantSession', logs), { kind: 'grant', back: { via: 'grant' } });
  assert.equal(value(steps, 'delete', logs), false);

  value(steps, 'signout', logs);
  assert.equal(value(steps, 'revalidateAfterSignout', logs), false);
  assert.equal((value(steps, 'putAfterSignout', logs) as { status: number }).status, 401);
  assert.deepEqual(
    (await context.cookies(endpoint)).filter((c) => c.name === user),
    [],
    'sign-out removed the cookie',
  );
  assert.deepEqual(
    result.steps.filter((s) => !s.ok).map((s) => s.name),
    [],
  );
  await context.close();
});

test('cross-site page (http://127.0.0.1): Chromium drops the Lax session cookie, grant sessions still work', {
  timeout: 60_000,
}, async (t) => {
  const shot = join(tmpdir(), 'pubky-client-browser-cross-site.png');
  const { result, context, logs, cookiesAfterSignup } = await runPage('127.0.0.1', shot);
  t.diagnostic(`screenshot: ${shot}`);
  const steps = byName(result);
  assert.equal(result.origin, `http://127.0.0.1:${pagePort}`);
  // The account is created (the POST itself needs no cookie) …
  assert.equal((value(steps, 'signup', logs) as { kind: string }).kind, 'cookie');
  // … but its Set-Cookie came from a cross-site response without SameSite=None: not stored.
  assert.deepEqual(cookiesAfterSignup, []);
  assert.deepEqual(failure(steps, 'putJson').status, 401);
  assert.equal(failure(steps, 'putJson').code, 'unauthorized');
  assert.equal(value(steps, 'revalidate', logs), false);
  assert.equal(failure(steps, 'restoreSession').code, 'unauthorized');
  // A grant session authenticates with a bearer token, which no cookie policy touches.
  assert.deepEqual(value(steps, 'grantSession', logs), { kind: 'grant', back: { via: 'grant' } });
  await context.close();
});
