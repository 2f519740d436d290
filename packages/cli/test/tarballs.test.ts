// The packages as users get them (issue #22): `npm run pack`'s tarballs installed into a fresh
// project outside the repository, whose node_modules hold only the tarballs and registry packages.
// There: the README's SDK snippet (ESM, and the SDK through require()), its types under tsc, a
// browser bundle of the SDK, and the `pubky` command against a testnet started from the installed
// packages.
//
// One shortcut, for time: dependencies install with --ignore-scripts, and better-sqlite3's native
// addon is copied from this checkout's build of the same version (compiling it takes minutes).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import { ROOT } from './helpers.ts';

const project = mkdtempSync(join(tmpdir(), 'pubky-installed-'));
const tarballDir = join(project, 'tarballs');

function sh(cmd: string, args: string[], timeout = 60_000) {
  const r = spawnSync(cmd, args, { cwd: project, encoding: 'utf8', timeout, env: { ...process.env, NODE_OPTIONS: '' } });
  return { code: r.status, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

before(() => {
  const pack = spawnSync(process.execPath, [join(ROOT, 'scripts/pack.mjs'), '--out', tarballDir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(pack.status, 0, pack.stderr);
  const dependencies: Record<string, string> = {};
  for (const line of pack.stdout.trim().split('\n')) {
    const file = line.split('\t')[0];
    const name = `@pubky-ts/${/pubky-ts-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(file)![1]}`;
    dependencies[name] = `file:${file}`;
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'tryout', private: true, type: 'module', dependencies }, null, 2));
  const install = sh('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund']);
  assert.equal(install.code, 0, install.err);
  const ours = JSON.parse(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')).version;
  const theirs = JSON.parse(readFileSync(join(project, 'node_modules/better-sqlite3/package.json'), 'utf8')).version;
  assert.equal(theirs, ours, 'the installed better-sqlite3 is the version whose addon this checkout built');
  mkdirSync(join(project, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
  cpSync(
    join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
    join(project, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'),
  );
});
after(() => rmSync(project, { recursive: true, force: true }));

test('the installed packages resolve inside the project, to JavaScript, never to the workspace', () => {
  const r = sh(process.execPath, [
    '--input-type=module',
    '-e',
    `for (const p of ['@pubky-ts/client', '@pubky-ts/common', '@pubky-ts/homeserver', '@pubky-ts/testnet', '@pubky-ts/cli']) console.log(import.meta.resolve(p))`,
  ]);
  assert.equal(r.code, 0, r.err);
  for (const url of r.out.trim().split('\n')) {
    assert.ok(url.startsWith(`file://${project}/node_modules/`), url);
    assert.match(url, /\/dist\/[\w-]+\.js$/);
  }
});

test("the README's SDK snippet runs from the tarballs (ESM), and require() loads the SDK (CommonJS)", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /## For app developers[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(snippet, 'the README has an SDK snippet');
  // The snippet talks to `npm start`'s fixed ports; here the same network runs on random ones.
  const body = snippet
    .replace("import { Keypair, Pubky } from '@pubky-ts/client';", '')
    .replace('Pubky.testnet()', 'new Pubky({ relays: [net.pkarrRelay.url] })')
    .replace("'8pinxxgqs41n4aididenw5apqp1urfmzdztr8jt4abrkdn435ewo'", 'net.homeserver.publicKey.z32')
    .replace("'<signup token printed by npm start>'", 'await net.signupToken()');
  assert.notEqual(body, snippet);
  writeFileSync(
    join(project, 'snippet.mjs'),
    `import { Keypair, Pubky } from '@pubky-ts/client';\nimport { startTestnet } from '@pubky-ts/testnet';\nconst net = await startTestnet({ logLevel: 'silent', dhtNodes: 2 });\ntry {\n${body}\n} finally {\n  await net.close();\n}\n`,
  );
  const esm = sh(process.execPath, ['snippet.mjs']);
  assert.equal(esm.code, 0, esm.err);
  assert.match(esm.out, /pubky:\/\/[a-z0-9]{52}\/pub\/example\.app\/hello\.json/);
  writeFileSync(
    join(project, 'require.cjs'),
    `const { Keypair, Pubky } = require('@pubky-ts/client');\nconsole.log(Keypair.random().publicKey.z32.length, typeof new Pubky().signer);\n`,
  );
  const cjs = sh(process.execPath, ['require.cjs']);
  assert.equal(cjs.code, 0, cjs.err);
  assert.equal(cjs.out.trim(), '52 function');
});

test('the .d.ts files type-check a consumer under tsc (NodeNext), and catch a misuse', () => {
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: ['app.ts'],
    }),
  );
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  writeFileSync(
    join(project, 'app.ts'),
    `import { Keypair, Pubky, type Session } from '@pubky-ts/client';\nconst s: Promise<Session> = new Pubky().signer(Keypair.random()).signin();\nexport { s };\n`,
  );
  const ok = sh(process.execPath, [tsc, '-p', 'tsconfig.json']);
  assert.equal(ok.code, 0, ok.out + ok.err);
  writeFileSync(
    join(project, 'app.ts'),
    `import { Keypair } from '@pubky-ts/client';\nconst n: number = Keypair.random().publicKey;\nexport { n };\n`,
  );
  const bad = sh(process.execPath, [tsc, '-p', 'tsconfig.json']);
  assert.equal(bad.code, 2, 'a type error is reported');
  assert.match(bad.out, /app\.ts\(2,7\): error TS2322/);
});

test('the SDK bundles for browsers from its tarball (no node: module in the bundle)', async () => {
  writeFileSync(
    join(project, 'browser.mjs'),
    `import { Keypair, Pubky } from '@pubky-ts/client';\nwindow.pubky = new Pubky();\nwindow.key = Keypair.random().publicKey.z32;\n`,
  );
  const result = await build({
    absWorkingDir: project,
    entryPoints: ['browser.mjs'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    minify: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  assert.ok(code.length > 10_000);
  assert.doesNotMatch(code, /from"node:|require\("node:|import\("node:/);
});

test('the installed `pubky` runs with npx: --help, and real commands against a testnet started from the installed packages', async (t) => {
  const help = sh('npx', ['--no-install', 'pubky', '--help']);
  assert.equal(help.code, 0, help.err);
  assert.match(help.out, /PUBKY_NETWORK/);
  const child = spawn('npx', ['--no-install', 'pubky', 'testnet', '--random-ports', '--dht-nodes', '2', '--log-level', 'silent'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      process.kill(-child.pid!, 'SIGINT'); // npx and the node under it
    });
  t.after(stop);
  const out = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no testnet within 60 s: ${text}`)), 60_000);
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
      if (/Ctrl-C to stop/.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
  });
  const relay = /^pkarr relay +(\S+)/m.exec(out)![1];
  const [, , key] = /^homeserver +(\S+) +key (\S+)$/m.exec(out)!;
  const admin = /^homeserver admin +(\S+)/m.exec(out)![1];
  const token = sh('npx', ['--no-install', 'pubky', 'admin', 'token', '--admin-url', admin, '--password', 'admin']);
  assert.equal(token.code, 0, token.err);
  assert.match(token.out, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\n$/);
  const resolved = sh('npx', ['--no-install', 'pubky', 'resolve', key, '--relay', relay, '--no-dht']);
  assert.equal(resolved.code, 0, resolved.err);
  assert.match(resolved.out, /HTTPS\s+10 localhost/);
  await stop();
});
