// `npm test [-- <substring>...]`: runs every *.test.ts of the repository (or those whose path contains one
// of the substrings), each file in its own `node --test` process, several at once.
//
// Why our own scheduler instead of one `node --test --test-concurrency=N` run: most of the suite waits
// on sockets, timers and child processes rather than on the CPU, so running more files than cores
// shortens the wall time; starting the slowest files first keeps the tail short (durations are
// remembered between runs in node_modules/.cache); and a file that hangs is killed after its own time
// limit with its output shown, instead of holding the whole run.
//
// Before the tests it installs what they drive and is missing on this machine (scripts/ensure-tools.sh:
// Chromium and the other Debian programs of scripts/test-tools.txt) and starts PostgreSQL when it is
// down (scripts/ensure-postgres.sh). PUBKY_TEST_NO_INSTALL=1 skips both.
//
// Environment: PUBKY_TEST_CONCURRENCY (files at once; default 6), PUBKY_TEST_FILE_TIMEOUT (seconds per
// file; default 300), PUBKY_TEST_LOADER=tsx (run the files on tsx instead of scripts/ts-loader.mjs),
// PUBKY_TEST_CPU=1 (print each file's CPU time too). The last line is "N passed, N failed" over all tests of all files.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const concurrency = Math.max(1, Number(process.env.PUBKY_TEST_CONCURRENCY) || 6);
// scripts/ts-loader.mjs starts in half of tsx's time; PUBKY_TEST_LOADER=tsx runs the files on tsx
const loader = process.env.PUBKY_TEST_LOADER === 'tsx' ? 'tsx' : new URL('./ts-loader.mjs', import.meta.url).href;
const measureCpu = process.env.PUBKY_TEST_CPU === '1' && existsSync('/usr/bin/time');
const fileTimeoutMs = (Number(process.env.PUBKY_TEST_FILE_TIMEOUT) || 300) * 1000;
const timesFile = join(root, 'node_modules', '.cache', 'pubky-test-times.json');

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

function prepareMachine() {
  if (process.env.PUBKY_TEST_NO_INSTALL === '1') return;
  for (const script of ['ensure-tools.sh', 'ensure-postgres.sh']) {
    const res = spawnSync('bash', [join(root, 'scripts', script)], { stdio: 'inherit', cwd: root });
    if (res.status !== 0)
      console.error(`npm test: scripts/${script} could not prepare this machine; the tests that need it will fail (see above)`);
  }
}

function readTimes() {
  try {
    return JSON.parse(readFileSync(timesFile, 'utf8'));
  } catch {
    return {};
  }
}

function writeTimes(times) {
  try {
    mkdirSync(dirname(timesFile), { recursive: true });
    writeFileSync(timesFile, JSON.stringify(times, null, 1));
  } catch {
    // a read-only node_modules only costs the ordering of the next run
  }
}

/** The counts of a finished `node --test` run, from the summary lines of its TAP output. */
function summary(output) {
  const count = (name) => Number(output.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  return {
    tests: count('tests'),
    pass: count('pass'),
    fail: count('fail'),
    cancelled: count('cancelled'),
    skipped: count('skipped'),
    todo: count('todo'),
  };
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    // The file runs as a plain script (node:test reports TAP itself), not under a `--test` parent:
    // one process per file instead of two.
    const args = ['--import', loader, '--test-reporter=tap', file];
    // PUBKY_TEST_CPU=1: the CPU seconds of each file (its process and every child it waited for)
    const cpuFile = measureCpu ? join(tmpdir(), `pubky-test-cpu-${process.pid}-${Math.random().toString(36).slice(2)}`) : null;
    const [cmd, argv] = cpuFile ? ['/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, process.execPath, ...args]] : [process.execPath, args];
    const child = spawn(cmd, argv, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, fileTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const counts = summary(output);
      const ms = Date.now() - started;
      let cpu = null;
      if (cpuFile) {
        try {
          const [u, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
          cpu = (u + sys) * 1000;
          rmSync(cpuFile);
        } catch {}
      }
      // a file whose process failed without a failing test (a crash, a hang, a leaked handle) fails too
      const ok = !timedOut && code === 0 && counts.fail === 0 && counts.cancelled === 0;
      resolve({ file, ms, cpu, ok, counts, output, timedOut, code, signal });
    });
  });
}

// a runner started by another runner (NODE_TEST_CONTEXT set) would report to it instead of to us
const childEnv = { ...process.env };
delete childEnv.NODE_TEST_CONTEXT;

const fmt = (ms) => `${(ms / 1000).toFixed(1)} s`.padStart(7);

async function main() {
  const files = ['packages', 'examples', 'scripts']
    .filter((d) => existsSync(join(root, d)))
    .flatMap((d) => walk(join(root, d), []))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  if (files.length === 0) {
    console.error('npm test: no test files matched', filters);
    process.exit(1);
  }
  prepareMachine();
  const times = readTimes();
  // slowest first (unknown files count as slow): the long ones start while the short ones fill the gaps
  const queue = [...files].sort((a, b) => (times[b] ?? 60_000) - (times[a] ?? 60_000));
  const started = Date.now();
  console.log(`npm test: ${files.length} files, ${Math.min(concurrency, files.length)} at once (${cpus().length} cores)`);

  const results = [];
  async function worker() {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const r = await runFile(file);
      results.push(r);
      times[file] = r.ms;
      const n = `${r.counts.pass}/${r.counts.tests}`.padStart(7);
      const cpu = r.cpu === null ? '' : ` cpu ${fmt(r.cpu)}`;
      if (r.ok) console.log(`ok     ${fmt(r.ms)}${cpu} ${n}  ${file}`);
      else {
        const why = r.timedOut
          ? `killed after ${fileTimeoutMs / 1000} s`
          : r.counts.fail || r.counts.cancelled
            ? `${r.counts.fail} failed, ${r.counts.cancelled} cancelled`
            : `exit ${r.code ?? r.signal}`;
        console.log(`\n----- ${file}: ${why} -----\n${r.output.trimEnd()}\n----- end of ${file} -----\n`);
        console.log(`FAIL   ${fmt(r.ms)} ${n}  ${file} (${why})`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  writeTimes(times);

  const total = (k) => results.reduce((s, r) => s + r.counts[k], 0);
  const failedFiles = results.filter((r) => !r.ok);
  const wall = Date.now() - started;
  if (measureCpu) console.log(`\ncpu: ${fmt(results.reduce((t, r) => t + (r.cpu ?? 0), 0))} over all files`);
  console.log('\nslowest files:');
  for (const r of [...results].sort((a, b) => b.ms - a.ms).slice(0, 8)) console.log(`  ${fmt(r.ms)}  ${r.file}`);
  console.log(
    `\n# files ${results.length}\n# tests ${total('tests')}\n# pass ${total('pass')}\n# fail ${total('fail')}\n# cancelled ${total('cancelled')}\n# skipped ${total('skipped')}\n# todo ${total('todo')}\n# duration_ms ${wall}`,
  );
  if (failedFiles.length) console.log(`\nfailed files:\n${failedFiles.map((r) => `  ${r.file}`).join('\n')}`);
  // a file that failed without counting a failed test (crash, hang) still counts as one failure
  const failed = total('fail') + total('cancelled') + failedFiles.filter((r) => r.counts.fail + r.counts.cancelled === 0).length;
  console.log(`\n${total('pass')} passed, ${failed} failed`);
  process.exit(failedFiles.length ? 1 : 0);
}

await main();
