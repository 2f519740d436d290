import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { ConfigError, validateConfig, type HomeserverConfig } from './config.ts';

type Table = Record<string, unknown>;

/** The sample file doubles as the defaults layer, so the documented defaults are the real ones. */
export const SAMPLE_CONFIG_PATH = new URL('../../config.sample.toml', import.meta.url).pathname;

let defaultsCache: Table | null = null;

/** Stage 0: the defaults, read from `config.sample.toml`. */
export function defaultConfigTable(): Table {
  defaultsCache ??= parseToml(readFileSync(SAMPLE_CONFIG_PATH, 'utf8')) as Table;
  return structuredClone(defaultsCache);
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Deep-merges `over` into `base`: tables merge key by key, everything else (arrays too) replaces. */
export function mergeConfigTables(base: Table, over: Table): Table {
  const out: Table = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isTable(v) && isTable(out[k]) ? mergeConfigTables(out[k] as Table, v) : v;
  }
  return out;
}

/** Reads a value given on the command line or in the environment: a TOML value if it is one, else a string. */
export function parseLooseValue(s: string): unknown {
  try {
    return (parseToml(`v = ${s}`) as Table).v;
  } catch {
    return s;
  }
}

function setDotted(target: Table, dotted: string, value: unknown, origin: string): void {
  const parts = dotted.split('.');
  if (parts.length !== 2 || parts.some((p) => !/^[a-z0-9_]+$/.test(p))) {
    throw new ConfigError(`${origin}: expected <table>.<key>, got "${dotted}"`);
  }
  const [table, key] = parts as [string, string];
  const t = (target[table] ??= {}) as Table;
  t[key] = value;
}

/** `PUBKY_<TABLE>__<KEY>=value` environment variables as an override table. */
export function configFromEnv(env: NodeJS.ProcessEnv): Table {
  const out: Table = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    const m = /^PUBKY_([A-Z0-9_]+?)__([A-Z0-9_]+)$/.exec(name);
    if (!m) continue;
    setDotted(out, `${m[1]!.toLowerCase()}.${m[2]!.toLowerCase()}`, parseLooseValue(value), name);
  }
  return out;
}

export interface ConfigFlags {
  dataDir?: string;
  configPath?: string;
  /** `table.key=value` overrides. */
  set: string[];
}

/** Parses `--data-dir`, `--config`, `--set k=v` (and `--x=y` forms); other arguments are refused. */
export function parseConfigFlags(argv: readonly string[]): ConfigFlags {
  const flags: ConfigFlags = { set: [] };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const next = (): string => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`${arg}: missing value`);
      return v;
    };
    if (arg === '--data-dir') flags.dataDir = next();
    else if (arg === '--config') flags.configPath = next();
    else if (arg === '--set') flags.set.push(next());
    else throw new ConfigError(`unknown argument "${argv[i]}"`);
  }
  return flags;
}

function configFromFlags(set: readonly string[]): Table {
  const out: Table = {};
  for (const s of set) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set: expected <table>.<key>=<value>, got "${s}"`);
    setDotted(out, s.slice(0, eq), parseLooseValue(s.slice(eq + 1)), '--set');
  }
  return out;
}

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

function readTomlFile(path: string): Table {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    return parseToml(text) as Table;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid TOML: ${(e as Error).message}`);
  }
}

export interface LoadConfigOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Extra overrides applied after the file and before env/flags (for programmatic use). */
  overrides?: Table;
}

/**
 * Stage 1 + 2: defaults → config file → `overrides` → environment → flags, then validation.
 * The data dir comes from `--data-dir`, `PUBKY_DATA_DIR`, or `~/.pubky`; the config file from
 * `--config`, `PUBKY_CONFIG`, or `<data dir>/config.toml` when it exists.
 */
export function loadConfig(opts: LoadConfigOptions = {}): HomeserverConfig {
  const env = opts.env ?? process.env;
  const flags = parseConfigFlags(opts.argv ?? []);
  const dataDir = resolve(expandHome(flags.dataDir ?? env.PUBKY_DATA_DIR ?? '~/.pubky'));
  const explicitFile = flags.configPath ?? env.PUBKY_CONFIG;
  const file = explicitFile ? resolve(expandHome(explicitFile)) : join(dataDir, 'config.toml');
  let raw = defaultConfigTable();
  if (explicitFile || existsSync(file)) raw = mergeConfigTables(raw, readTomlFile(file));
  if (opts.overrides) raw = mergeConfigTables(raw, opts.overrides);
  raw = mergeConfigTables(raw, configFromEnv(env));
  raw = mergeConfigTables(raw, configFromFlags(flags.set));
  return validateConfig(raw, dataDir);
}

/**
 * A config from defaults plus a TOML-shaped override object, without reading files or the
 * environment (tests, embedding).
 */
export function resolveConfig(dataDir: string, overrides: Table = {}): HomeserverConfig {
  return validateConfig(mergeConfigTables(defaultConfigTable(), overrides), resolve(expandHome(dataDir)));
}
