// The import rules of DEVELOPERS.md, checked: every arrow between workspace packages points down the
// table below (in the imports of the code and in each package.json), no file imports itself through
// a circle of other files, and the browser packages (common, pkarr) import `node:` modules only
// from files named `node.ts` or `*-node.ts`. Prints every violation and exits 1 when there is one.
//
//   node scripts/check-imports.mjs            (also run by npm test through scripts/check-imports.test.ts)
//
// TypeScript's own pre-processor lists each file's imports (static, re-exports, dynamic
// `import('…')`, type-only), so commented-out code and strings that look like imports do not count.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Which workspace packages each package may import (DEVELOPERS.md, "Layout"). */
export const ALLOWED = {
  common: [],
  pkarr: ['common'],
  dht: ['common'],
  relay: ['common', 'pkarr', 'dht'],
  client: ['common', 'pkarr'],
  homeserver: ['common', 'pkarr', 'dht'],
  indexer: ['common', 'pkarr', 'client'],
  testnet: ['common', 'pkarr', 'dht', 'relay', 'homeserver', 'client', 'indexer'],
  cli: ['common', 'pkarr', 'dht', 'relay', 'homeserver', 'client', 'indexer', 'testnet'],
  compat: ['common', 'pkarr', 'dht', 'relay', 'homeserver', 'client', 'indexer', 'testnet'],
  e2e: ['common', 'pkarr', 'dht', 'relay', 'homeserver', 'client', 'indexer', 'testnet'],
};
/** Packages that must bundle for browsers. */
const BROWSER_PACKAGES = new Set(['common', 'pkarr']);
const SCOPE = '@pubky-ts/';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** The package a file belongs to (`packages/<name>/…`), or null for the root's examples, benchmarks, scripts. */
function packageOf(root, file) {
  const parts = relative(root, file).split(sep);
  return parts[0] === 'packages' && parts.length > 2 ? parts[1] : null;
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** A package.json `exports`/`imports` target: the `default` condition (or the plain string). */
function target(entry) {
  if (typeof entry === 'string') return entry;
  if (entry && typeof entry === 'object') return target(entry.default ?? Object.values(entry)[0]);
  return null;
}

/** Resolves a specifier to a file of the repository, or null when it leaves it (node:, npm packages). */
function resolveSpecifier(root, manifests, from, spec) {
  if (spec.startsWith('.')) {
    const path = resolve(dirname(from), spec);
    return existsSync(path) ? path : null;
  }
  if (spec.startsWith('#')) {
    const pkg = packageOf(root, from);
    const t = pkg ? target(manifests.get(pkg)?.imports?.[spec]) : null;
    return t ? resolve(root, 'packages', pkg, t) : null;
  }
  if (spec.startsWith(SCOPE)) {
    const [name, ...rest] = spec.slice(SCOPE.length).split('/');
    const t = target(manifests.get(name)?.exports?.[rest.length ? `./${rest.join('/')}` : '.']);
    return t ? resolve(root, 'packages', name, t) : null;
  }
  return null;
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan. */
function circles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const out = [];
  const visit = (v) => {
    const me = { index, low: index, onStack: true };
    index++;
    info.set(v, me);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      const other = info.get(w);
      if (!other) {
        visit(w);
        me.low = Math.min(me.low, info.get(w).low);
      } else if (other.onStack) {
        me.low = Math.min(me.low, other.index);
      }
    }
    if (me.low === me.index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) out.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!info.has(v)) visit(v);
  return out;
}

/** Every violation of the rules in the repository at `root`, as readable lines. */
export function checkImports(root) {
  const problems = [];
  const manifests = new Map();
  for (const name of readdirSync(join(root, 'packages'))) {
    const path = join(root, 'packages', name, 'package.json');
    if (existsSync(path)) manifests.set(name, readJson(path));
  }
  for (const [name, manifest] of manifests) {
    const allowed = ALLOWED[name];
    if (!allowed) {
      problems.push(`packages/${name}: not in the table of scripts/check-imports.mjs (add it with the packages it may import)`);
      continue;
    }
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const dep of Object.keys(manifest[field] ?? {})) {
        if (dep.startsWith(SCOPE) && !allowed.includes(dep.slice(SCOPE.length))) {
          problems.push(
            `packages/${name}/package.json: ${field} lists ${dep}, but ${name} may import only ${allowed.join(', ') || 'no other package'}`,
          );
        }
      }
    }
  }
  const files = [...manifests.keys()].flatMap((name) => walk(join(root, 'packages', name), []));
  for (const dir of ['examples', 'benchmarks', 'scripts']) if (existsSync(join(root, dir))) walk(join(root, dir), files);
  const graph = new Map();
  for (const file of files) {
    const from = packageOf(root, file);
    const rel = relative(root, file);
    const edges = new Set();
    graph.set(file, edges);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: spec } of importedFiles) {
      if (
        from &&
        BROWSER_PACKAGES.has(from) &&
        spec.startsWith('node:') &&
        rel.includes(`${sep}src${sep}`) &&
        !/(^|[-/])node\.ts$/.test(rel) &&
        !rel.endsWith('.test.ts')
      ) {
        problems.push(`${rel}: imports ${spec}, but ${from} must bundle for browsers (node: modules only in node.ts or *-node.ts)`);
      }
      const to = resolveSpecifier(root, manifests, file, spec);
      if (to === null) {
        if (spec.startsWith(SCOPE) || spec.startsWith('.')) problems.push(`${rel}: cannot resolve ${spec}`);
        continue;
      }
      edges.add(to);
      const toPkg = packageOf(root, to);
      if (from && toPkg && toPkg !== from && !ALLOWED[from]?.includes(toPkg)) {
        problems.push(
          `${rel}: imports ${spec} (package ${toPkg}), but ${from} may import only ${ALLOWED[from]?.join(', ') || 'no other package'}`,
        );
      }
    }
  }
  for (const component of circles(graph)) {
    problems.push(`import circle of ${component.length} files: ${component.map((f) => relative(root, f)).join(' → ')}`);
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
  const started = performance.now();
  const problems = checkImports(root);
  for (const p of problems) console.error(p);
  console.error(`check-imports: ${problems.length} problem(s) (${Math.round(performance.now() - started)} ms)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
