// Browser entry of the SDK's end-to-end browser test (test/browser.test.ts bundles it with esbuild for
// the `browser` condition). It exposes `window.__runScenario(config)`, which drives the SDK against a
// local testnet from inside the page, shows each step in the page and resolves with the results;
// the page stores them in `window.__result` for the test to read.
import { encryptionSteps } from './encryption-steps.ts';
import { ClientError, Keypair, PubkyError, Pubky, PublicKey, type PubkyEvent, type Session } from '@pubky-ts/client';

export interface ScenarioConfig {
  /** The testnet's pkarr relay, e.g. `http://127.0.0.1:40123`. */
  relay: string;
  /** The homeserver's public key (z32). */
  homeserver: string;
}

export interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  value?: unknown;
  error?: { code?: string; status?: number; message: string };
}

export interface ScenarioResult {
  userAgent: string;
  origin: string;
  cookieMode: string;
  user: string;
  endpoint: string;
  steps: StepResult[];
  totalMs: number;
}

const APP = '/pub/browser.test/';

function errorInfo(e: unknown): StepResult['error'] {
  if (e instanceof PubkyError) {
    const status = (e as { status?: unknown }).status;
    return { code: e.code, status: typeof status === 'number' ? status : undefined, message: e.message };
  }
  return { message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

function show(step: StepResult): void {
  const list = document.getElementById('steps');
  if (!list) return;
  const li = document.createElement('li');
  li.className = step.ok ? 'ok' : 'fail';
  const detail = step.ok ? JSON.stringify(step.value ?? null) : `${step.error?.code ?? ''} ${step.error?.message ?? ''}`;
  li.textContent = `${step.ok ? 'PASS' : 'FAIL'}  ${step.name}  (${step.ms} ms)  ${detail.slice(0, 160)}`;
  list.appendChild(li);
}

export async function runScenario(config: ScenarioConfig): Promise<ScenarioResult> {
  const started = performance.now();
  const steps: StepResult[] = [];
  // Each step records its value or its error; a failure does not stop the rest (the test reports all).
  // `summary` turns a value that is not plain data (a Session) into what the results show.
  const step = async <T>(name: string, fn: () => Promise<T>, summary?: (v: T) => unknown): Promise<T | undefined> => {
    const t0 = performance.now();
    try {
      const value = await fn();
      const r: StepResult = { name, ok: true, ms: Math.round(performance.now() - t0), value: summary ? summary(value) : value };
      steps.push(r);
      show(r);
      return value;
    } catch (e) {
      const r: StepResult = { name, ok: false, ms: Math.round(performance.now() - t0), error: errorInfo(e) };
      steps.push(r);
      show(r);
      return undefined;
    }
  };
  // A step that must fail: its value is the error it failed with.
  const expectError = (name: string, fn: () => Promise<unknown>) =>
    step(name, async () => {
      try {
        await fn();
      } catch (e) {
        return errorInfo(e);
      }
      throw new ClientError('invalid_response', 'expected an error, got success');
    });

  const pubky = new Pubky({ relays: [config.relay] });
  const keypair = Keypair.random();
  const user = keypair.publicKey;
  const signer = pubky.signer(keypair);
  const profile = { name: 'Browser Alice', n: 42, tags: ['ü', '✓'] };

  const session = await step(
    'signup',
    () => signer.signup(config.homeserver),
    (s: Session) => ({ user: s.publicKey.z32, kind: s.kind, capabilities: s.capabilities }),
  );
  // The test looks at the browser's cookie store here (Playwright's exposeFunction).
  await window.__stage?.('signup');
  const endpoint = (await step('endpoint', async () => (await pubky.http.endpoint(PublicKey.parse(config.homeserver))).origin)) ?? '';

  if (session) {
    await step('putJson', () => session.storage.putJson(`${APP}profile.json`, profile));
    await step('getJson', () => session.storage.getJson(`${APP}profile.json`));
    await step('putText', () => session.storage.putText(`${APP}notes/hello.txt`, 'hello from the browser'));
    await step('list', () => session.storage.list(APP));
    await step('listShallow', () => session.storage.list(APP, { shallow: true }));
    await step('stats', () => session.storage.stats(`${APP}profile.json`));
    await step('exists', async () => [
      await session.storage.exists(`${APP}profile.json`),
      await session.storage.exists(`${APP}missing.json`),
    ]);
    await expectError('getMissing', () => session.storage.getJson(`${APP}missing.json`));
    await step('putPriv', () => session.storage.putText('/priv/browser.test/secret.txt', 'private text'));
    await step('getPriv', () => session.storage.getText('/priv/browser.test/secret.txt'));
    await step('revalidate', () => session.revalidate());
    await encryptionSteps(session, keypair, step, expectError);
  }

  // Anyone's reads, from a client that has never signed in (credentials omitted).
  const reader = new Pubky({ relays: [config.relay] });
  await step('publicGetJson', () => reader.publicStorage.getJson(`pubky://${user.z32}${APP}profile.json`));
  await step('publicGetText', () => reader.publicStorage.getText(`pubky${user.z32}${APP}notes/hello.txt`));
  await step('publicList', () => reader.publicStorage.list(`pubky://${user.z32}${APP}`));
  await expectError('publicGetPriv', () => reader.publicStorage.getText(`pubky://${user.z32}/priv/browser.test/secret.txt`));

  // The event stream (SSE over fetch) in the browser.
  await step('events', async () => {
    const seen: Array<Pick<PubkyEvent, 'type' | 'path'>> = [];
    for await (const e of reader.events({ users: [user], paths: [APP] })) seen.push({ type: e.type, path: e.path });
    return seen;
  });

  if (session) {
    // A cookie session's export holds no secret in a browser; restoring relies on the browser's cookie.
    const exported = session.export();
    await step('restoreSession', async () => {
      const restored = await new Pubky({ relays: [config.relay] }).restoreSession(exported);
      await restored.storage.putText(`${APP}restored.txt`, 'written by a restored session');
      return { user: restored.publicKey.z32, kind: restored.kind, revalidate: await restored.revalidate() };
    });
    // A grant session: bearer token, no cookie involved.
    await step('grantSession', async () => {
      const g = await signer.signinWithGrant({ clientId: 'browser.test', capabilities: `${APP}:rw` });
      await g.storage.putJson(`${APP}grant.json`, { via: 'grant' });
      const back = await g.storage.getJson(`${APP}grant.json`);
      return { kind: g.kind, back };
    });
    await step('delete', async () => {
      await session.storage.delete(`${APP}notes/hello.txt`);
      return session.storage.exists(`${APP}notes/hello.txt`);
    });
    await step('signout', () => session.signout());
    await step('revalidateAfterSignout', () => session.revalidate());
    await expectError('putAfterSignout', () => session.storage.putText(`${APP}late.txt`, 'too late'));
  }

  return {
    userAgent: navigator.userAgent,
    origin: location.origin,
    cookieMode: pubky.http.cookieMode,
    user: user.z32,
    endpoint,
    steps,
    totalMs: Math.round(performance.now() - started),
  };
}

declare global {
  interface Window {
    __runScenario: (config: ScenarioConfig) => Promise<ScenarioResult>;
    __result?: ScenarioResult | { fatal: string };
    __stage?: (name: string) => Promise<void>;
  }
}

window.__runScenario = runScenario;
