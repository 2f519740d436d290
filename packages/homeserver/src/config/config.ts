import { PubkyError, PublicKey } from '@pubky-ts/common';
import { parseRateQuota, type PathLimit } from '../http/rate-limit.ts';
import { parseBandwidth, type BandwidthDefaults } from '../http/bandwidth.ts';

/** A config value that failed validation; `message` names the key and what was expected. */
export class ConfigError extends PubkyError {
  declare readonly code: 'CONFIG_INVALID';
  constructor(message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}

export interface SocketAddress {
  host: string;
  port: number;
}

export type SignupMode = 'open' | 'token_required';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The validated, typed configuration (stage 2; the raw TOML-shaped object is stage 1). */
export interface HomeserverConfig {
  dataDir: string;
  /** `databaseUrl` set: the PostgreSQL profile (several processes may share it); null: embedded SQLite. */
  general: { signupMode: SignupMode; userStorageQuotaMb: number; databaseUrl: string | null };
  drive: {
    icannListen: SocketAddress;
    pubkyListen: SocketAddress;
    rateLimits: PathLimit[];
    compatSession404: boolean;
    maxBufferedBodyBytes: number;
    /** null = no limit other than quotas. */
    maxFileBytes: number | null;
    bodyIdleTimeoutMs: number;
    headersTimeoutMs: number;
    eventsKeepAliveMs: number;
    shutdownTimeoutMs: number;
  };
  storage: { type: 'file_system'; defaultQuotaMb: number | null; fsync: boolean; postgresBlobs: 'database' | 'data_dir' };
  /** Bandwidth rates for users without their own (spec §8.1); null = not throttled. */
  defaultQuotas: BandwidthDefaults;
  admin: { enabled: boolean; listen: SocketAddress; password: string };
  metrics: { enabled: boolean; listen: SocketAddress };
  pkdns: {
    publicIp: string;
    publicPubkyTlsPort: number | null;
    publicIcannHttpPort: number | null;
    icannDomain: string;
    userKeysRepublisherIntervalS: number;
    dhtBootstrapNodes: string[] | null;
    dhtRelayNodes: string[];
    dhtRequestTimeoutMs: number | null;
  };
  logging: { level: LogLevel };
}

type Table = Record<string, unknown>;

const KNOWN_KEYS: Record<string, readonly string[]> = {
  general: ['signup_mode', 'user_storage_quota_mb', 'database_url'],
  drive: [
    'icann_listen_socket',
    'pubky_listen_socket',
    'rate_limits',
    'compat_session_404',
    'max_buffered_body_bytes',
    'max_file_bytes',
    'body_idle_timeout_ms',
    'headers_timeout_ms',
    'events_keep_alive_s',
    'shutdown_timeout_ms',
  ],
  storage: ['type', 'default_quota_mb', 'fsync', 'postgres_blobs', 'bucket_name', 'credential'],
  admin: ['enabled', 'listen_socket', 'admin_password'],
  metrics: ['enabled', 'listen_socket'],
  pkdns: [
    'public_ip',
    'public_pubky_tls_port',
    'public_icann_http_port',
    'icann_domain',
    'user_keys_republisher_interval',
    'dht_bootstrap_nodes',
    'dht_relay_nodes',
    'dht_request_timeout_ms',
  ],
  logging: ['level', 'module_levels'],
  default_quotas: ['rate_read', 'rate_write', 'rate_read_burst', 'rate_write_burst', 'unauthenticated_ip_rate_read'],
};

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  return String(v);
}

class Reader {
  constructor(private readonly raw: Table) {}

  private get(key: string): unknown {
    const [table, name] = key.split('.') as [string, string];
    const t = this.raw[table];
    return isTable(t) ? t[name] : undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  string(key: string): string {
    const v = this.get(key);
    if (typeof v !== 'string') throw new ConfigError(`${key}: expected a string, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.string(key);
    if (!allowed.includes(v as T)) {
      throw new ConfigError(`${key}: expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(v)}`);
    }
    return v as T;
  }

  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== 'boolean') throw new ConfigError(`${key}: expected true or false, got ${describe(v)}`);
    return v;
  }

  int(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ConfigError(`${key}: expected an integer in ${min}..${max}, got ${describe(v)}`);
    }
    return v;
  }

  optionalInt(key: string, min: number, max?: number): number | null {
    return this.has(key) ? this.int(key, min, max) : null;
  }

  socket(key: string): SocketAddress {
    return parseSocketAddress(key, this.string(key));
  }

  strings(key: string): string[] {
    const v = this.get(key);
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new ConfigError(`${key}: expected an array of strings, got ${describe(v)}`);
    }
    return v as string[];
  }

  raw_(key: string): unknown {
    return this.get(key);
  }
}

function optionalBandwidth(r: Reader, key: string): string | null {
  if (!r.has(key)) return null;
  const v = r.string(key);
  if (parseBandwidth(v) === null)
    throw new ConfigError(`${key}: expected "<n><kb|mb|gb>/<s|m|h|d>" (n ≥ 1) or "unlimited", got ${describe(v)}`);
  return v;
}

function defaultQuotas(r: Reader): BandwidthDefaults {
  const q: BandwidthDefaults = {
    rateRead: optionalBandwidth(r, 'default_quotas.rate_read'),
    rateWrite: optionalBandwidth(r, 'default_quotas.rate_write'),
    rateReadBurst: r.optionalInt('default_quotas.rate_read_burst', 1),
    rateWriteBurst: r.optionalInt('default_quotas.rate_write_burst', 1),
    unauthenticatedIpRateRead: optionalBandwidth(r, 'default_quotas.unauthenticated_ip_rate_read'),
  };
  for (const [burst, rate] of [
    ['rate_read_burst', q.rateRead],
    ['rate_write_burst', q.rateWrite],
  ] as const) {
    if (r.has(`default_quotas.${burst}`) && (rate === null || rate === 'unlimited')) {
      throw new ConfigError(`default_quotas.${burst}: requires a default_quotas.${burst.replace('_burst', '')} rate`);
    }
  }
  return q;
}

/** Parses `host:port` / `[v6]:port`; the port must be 0..65535 (0 = any free port). */
export function parseSocketAddress(key: string, s: string): SocketAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${key}: expected "host:port", got ${describe(s)}`);
  return { host: (m[1] ?? m[2]) as string, port };
}

function parseRateLimits(value: unknown): PathLimit[] {
  if (!Array.isArray(value)) throw new ConfigError(`drive.rate_limits: expected an array of tables, got ${describe(value)}`);
  return value.map((entry, i) => {
    const at = `drive.rate_limits[${i}]`;
    if (!isTable(entry)) throw new ConfigError(`${at}: expected a table, got ${describe(entry)}`);
    for (const k of Object.keys(entry)) {
      if (!['path', 'method', 'quota', 'key', 'burst', 'whitelist'].includes(k)) {
        throw new ConfigError(`${at}: unknown key "${k}"`);
      }
    }
    const { path, method, quota, key, burst, whitelist } = entry;
    if (typeof path !== 'string' || !path.startsWith('/'))
      throw new ConfigError(`${at}.path: expected a glob starting with "/", got ${describe(path)}`);
    if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method))
      throw new ConfigError(`${at}.method: expected an HTTP method, got ${describe(method)}`);
    if (typeof quota !== 'string') throw new ConfigError(`${at}.quota: expected "<n>r/<s|m|h|d>", got ${describe(quota)}`);
    const rate = parseRateQuota(quota);
    if (!rate) throw new ConfigError(`${at}.quota: expected "<n>r/<s|m|h|d>" with n ≥ 1, got ${describe(quota)}`);
    if (key !== 'ip' && key !== 'user') throw new ConfigError(`${at}.key: expected "ip" or "user", got ${describe(key)}`);
    if (burst !== undefined && (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1)) {
      throw new ConfigError(`${at}.burst: expected an integer ≥ 1, got ${describe(burst)}`);
    }
    if (whitelist !== undefined && (!Array.isArray(whitelist) || whitelist.some((w) => typeof w !== 'string'))) {
      throw new ConfigError(`${at}.whitelist: expected an array of strings, got ${describe(whitelist)}`);
    }
    const wl = (whitelist as string[] | undefined) ?? [];
    for (const w of wl) {
      if (key === 'user' && !PublicKey.tryParse(w)) throw new ConfigError(`${at}.whitelist: "${w}" is not a public key`);
    }
    return {
      path,
      method: method.toUpperCase(),
      count: rate.count,
      periodMs: rate.periodMs,
      key,
      burst: (burst as number | undefined) ?? rate.count,
      whitelist: wl,
    };
  });
}

/**
 * Stage 2: turns the merged raw TOML-shaped object into the typed config, naming the first bad key.
 * Unknown tables and keys are refused so a typo does not silently fall back to a default.
 */
function databaseUrl(value: string): string | null {
  if (value === '') return null;
  if (!/^postgres(ql)?:\/\//.test(value)) {
    throw new ConfigError(`general.database_url: expected a postgres:// or postgresql:// URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function validateConfig(raw: Table, dataDir: string): HomeserverConfig {
  for (const [table, value] of Object.entries(raw)) {
    const known = KNOWN_KEYS[table];
    if (!known) throw new ConfigError(`unknown table [${table}]`);
    if (!isTable(value)) throw new ConfigError(`${table}: expected a table, got ${describe(value)}`);
    for (const k of Object.keys(value)) {
      if (!known.includes(k)) throw new ConfigError(`unknown key ${table}.${k}`);
    }
  }
  const r = new Reader(raw);
  const maxFile = r.int('drive.max_file_bytes', 0);
  const cfg: HomeserverConfig = {
    dataDir,
    general: {
      signupMode: r.oneOf('general.signup_mode', ['open', 'token_required'] as const),
      userStorageQuotaMb: r.int('general.user_storage_quota_mb', 0),
      databaseUrl: databaseUrl(r.string('general.database_url')),
    },
    drive: {
      icannListen: r.socket('drive.icann_listen_socket'),
      pubkyListen: r.socket('drive.pubky_listen_socket'),
      rateLimits: parseRateLimits(r.raw_('drive.rate_limits')),
      compatSession404: r.bool('drive.compat_session_404'),
      maxBufferedBodyBytes: r.int('drive.max_buffered_body_bytes', 1024, 1 << 30),
      maxFileBytes: maxFile === 0 ? null : maxFile,
      bodyIdleTimeoutMs: r.int('drive.body_idle_timeout_ms', 1, 3_600_000),
      headersTimeoutMs: r.int('drive.headers_timeout_ms', 1, 3_600_000),
      eventsKeepAliveMs: r.int('drive.events_keep_alive_s', 1, 3600) * 1000,
      shutdownTimeoutMs: r.int('drive.shutdown_timeout_ms', 0, 3_600_000),
    },
    storage: {
      type: r.oneOf('storage.type', ['file_system'] as const),
      defaultQuotaMb: r.optionalInt('storage.default_quota_mb', 0),
      fsync: r.bool('storage.fsync'),
      postgresBlobs: r.oneOf('storage.postgres_blobs', ['database', 'data_dir'] as const),
    },
    defaultQuotas: defaultQuotas(r),
    admin: {
      enabled: r.bool('admin.enabled'),
      listen: r.socket('admin.listen_socket'),
      password: r.string('admin.admin_password'),
    },
    metrics: { enabled: r.bool('metrics.enabled'), listen: r.socket('metrics.listen_socket') },
    pkdns: {
      publicIp: r.string('pkdns.public_ip'),
      publicPubkyTlsPort: r.optionalInt('pkdns.public_pubky_tls_port', 0, 65535),
      publicIcannHttpPort: r.optionalInt('pkdns.public_icann_http_port', 1, 65535),
      icannDomain: r.string('pkdns.icann_domain'),
      userKeysRepublisherIntervalS: r.int('pkdns.user_keys_republisher_interval', 0),
      dhtBootstrapNodes: r.has('pkdns.dht_bootstrap_nodes') ? r.strings('pkdns.dht_bootstrap_nodes') : null,
      dhtRelayNodes: r.strings('pkdns.dht_relay_nodes'),
      dhtRequestTimeoutMs: r.optionalInt('pkdns.dht_request_timeout_ms', 1),
    },
    logging: { level: r.oneOf('logging.level', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const) },
  };
  if (r.has('logging.module_levels')) r.strings('logging.module_levels');
  if (r.has('storage.bucket_name') || r.has('storage.credential')) {
    throw new ConfigError(
      'storage.bucket_name/credential: only valid with storage.type = "google_bucket", which this implementation does not support',
    );
  }
  if (cfg.admin.enabled && cfg.admin.password.length === 0) {
    throw new ConfigError('admin.admin_password: must not be empty while the admin server is enabled');
  }
  return cfg;
}

/** The per-user storage quota in MB from the server-wide settings (null = unlimited): `storage.default_quota_mb`, else `general.user_storage_quota_mb` when > 0. */
export function defaultQuotaMb(cfg: HomeserverConfig): number | null {
  return cfg.storage.defaultQuotaMb ?? (cfg.general.userStorageQuotaMb > 0 ? cfg.general.userStorageQuotaMb : null);
}

/** The effective per-user storage quota in bytes from the server-wide settings (null = unlimited). */
export function defaultQuotaBytes(cfg: HomeserverConfig): number | null {
  if (cfg.storage.defaultQuotaMb !== null) return cfg.storage.defaultQuotaMb * 1024 * 1024;
  if (cfg.general.userStorageQuotaMb > 0) return cfg.general.userStorageQuotaMb * 1024 * 1024;
  return null;
}
