import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

/** Dev keys documented in the README; refused when NODE_ENV=production. */
export const DEV_API_KEYS = 'storefront:dev-storefront-key,admin:dev-admin-key';
/** Each documented dev key on its own: refused in production under any scope, in any combination. */
export const DEV_KEYS: readonly string[] = DEV_API_KEYS.split(',').map((pair) => pair.split(':')[1]);
export const DEV_WEBHOOK_SECRET = 'dev-webhook-secret';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return value;
};

/**
 * Every environment variable the service reads, with the default that works on a
 * developer machine. Validated once at boot; the rest of the code sees `AppConfig`.
 */
export class EnvironmentVariables {
  @IsIn(['development', 'production', 'test']) NODE_ENV = 'development';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';

  @IsString() @MinLength(1) DB_HOST = 'localhost';
  @Transform(toInt) @IsInt() @Min(1) @Max(65535) DB_PORT = 3306;
  /** A Unix socket to reach MySQL through; empty: `DB_HOST` decides (libs/core/src/database/mysql-endpoint.ts). */
  @IsString() DB_SOCKET_PATH = '';
  @IsString() @MinLength(1) DB_USER = 'root';
  @IsString() DB_PASSWORD = '';
  @Matches(/^[A-Za-z0-9_]{1,64}$/, { message: 'DB_NAME must be 1-64 characters of [A-Za-z0-9_]' })
  DB_NAME = 'inventory';
  @Transform(toInt) @IsInt() @Min(2) @Max(500) DB_POOL_SIZE = 20;
  /** Overload is shed, not queued: at most this many requests wait for a connection, each at most DB_ACQUIRE_TIMEOUT_MS. */
  @Transform(toInt) @IsInt() @Min(1) @Max(100000) DB_POOL_QUEUE_LIMIT = 5000;
  @Transform(toInt) @IsInt() @Min(10) @Max(60000) DB_ACQUIRE_TIMEOUT_MS = 10000;
  /** Opening a connection, and one statement, may take this long; then the caller gets a 503. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) DB_CONNECT_TIMEOUT_MS = 3000;
  @Transform(toInt) @IsInt() @Min(100) @Max(600000) DB_QUERY_TIMEOUT_MS = 20000;

  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379/0';
  /** Prefix for every Redis key and channel, so several deployments (or test runs) share one Redis. */
  @IsString() @MaxLength(64) REDIS_KEY_PREFIX = '';
  /** Background ping of Redis: pause between pings, and the round trip above which a ping counts as failed (commands time out at 2 s). */
  @Transform(toInt) @IsInt() @Min(50) @Max(60000) REDIS_PING_INTERVAL_MS = 1000;
  @Transform(toInt) @IsInt() @Min(10) @Max(2000) REDIS_PING_SLOW_MS = 1000;

  @Matches(/^(storefront|admin):[^,:\s]{8,}(,(storefront|admin):[^,:\s]{8,})*$/, {
    message: 'API_KEYS must be a comma list of <storefront|admin>:<key of 8+ characters>',
  })
  API_KEYS = DEV_API_KEYS;
  @IsString() @MinLength(8) PAYMENT_WEBHOOK_SECRET = DEV_WEBHOOK_SECRET;
  /** How far a payment callback's signed timestamp may be from our clock, either way (its replay window). */
  @Transform(toInt) @IsInt() @Min(1) @Max(86400) PAYMENT_WEBHOOK_TOLERANCE_SEC = 300;

  @Transform(toInt) @IsInt() @Min(1) @Max(86400 * 7) ORDER_PAYMENT_TIMEOUT_SEC = 900;
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'DEFAULT_WAREHOUSE must be 1-32 characters of [A-Za-z0-9_-]' })
  DEFAULT_WAREHOUSE = 'main';
  @Transform(toBool) @IsBoolean() JOBS_ENABLED = true;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  @Transform(toBool) @IsBoolean() LOG_PRETTY = false;

  @Transform(toInt) @IsInt() @Min(1024) @Max(10 * 1024 * 1024) BODY_LIMIT_BYTES = 1024 * 1024;
  /** Requests per second one storefront user may make (per instance); 0 turns the limit off. */
  @Transform(toInt) @IsInt() @Min(0) @Max(100000) RATE_LIMIT_USER_PER_SEC = 50;
  @Transform(toInt) @IsInt() @Min(1) @Max(7 * 24 * 3600) IDEMPOTENCY_TTL_SEC = 24 * 3600;
  @Transform(toInt) @IsInt() @Min(0) @Max(60000) SHUTDOWN_GRACE_MS = 10000;
  /** Longest a round of any scheduled job may run; past it the round is abandoned and the next one may run. */
  @Transform(toInt) @IsInt() @Min(100) @Max(3600000) JOB_ROUND_DEADLINE_MS = 60000;
  /** Fastify's limits on a client: whole request received within, idle socket, idle keep-alive (0 = none). */
  @Transform(toInt) @IsInt() @Min(0) @Max(3600000) HTTP_REQUEST_TIMEOUT_MS = 30000;
  @Transform(toInt) @IsInt() @Min(0) @Max(3600000) HTTP_CONNECTION_TIMEOUT_MS = 0;
  @Transform(toInt) @IsInt() @Min(1) @Max(3600000) HTTP_KEEP_ALIVE_TIMEOUT_MS = 72000;
  /** The `Retry-After` of every 503. */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) RETRY_AFTER_SEC = 1;
  /** /health pings MySQL at most once per this period, whatever the request rate. */
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) HEALTH_MYSQL_PING_INTERVAL_MS = 2000;

  // TCC recovery job
  @Transform(toInt) @IsInt() @Min(50) @Max(3600000) TCC_RECOVERY_INTERVAL_MS = 2000;
  @Transform(toInt) @IsInt() @Min(1) @Max(10000) TCC_RECOVERY_BATCH_SIZE = 100;
  @Transform(toInt) @IsInt() @Min(100) @Max(3600000) TCC_LEASE_MS = 30000;
  @Transform(toInt) @IsInt() @Min(10) @Max(3600000) TCC_BACKOFF_BASE_MS = 500;
  @Transform(toInt) @IsInt() @Min(100) @Max(86400000) TCC_BACKOFF_MAX_MS = 60000;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) TCC_ALERT_AFTER_ATTEMPTS = 10;
  @Transform(toInt) @IsInt() @Min(60) @Max(365 * 86400) TCC_FENCE_RETENTION_SEC = 7 * 86400;
  @Transform(toInt) @IsInt() @Min(1000) @Max(86400000) TCC_FENCE_CLEANUP_INTERVAL_MS = 3600000;
  /** Finished transactions and their branches are deleted this long after they ended (once their fences are gone). */
  @Transform(toInt) @IsInt() @Min(60) @Max(3650 * 86400) TCC_TX_RETENTION_SEC = 30 * 86400;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) TCC_GROUP_COMMIT_MAX_BATCH = 64;
  @Transform(toInt) @IsInt() @Min(0) @Max(1000) TCC_GROUP_COMMIT_LINGER_MS = 0;
  @Transform(toInt) @IsInt() @Min(1) @Max(64) TCC_GROUP_COMMIT_IN_FLIGHT = 1;
  @Transform(toInt) @IsInt() @Min(1) @Max(64) TCC_GROUP_COMMIT_COMMIT_IN_FLIGHT = 3;

  // Inventory gate
  @Transform(toInt) @IsInt() @Min(0) @Max(60000) SOLD_OUT_FLAG_TTL_MS = 1000;
  @Transform(toInt) @IsInt() @Min(1000) @Max(86400000) RECONCILE_INTERVAL_MS = 60000;
  @Transform(toInt) @IsInt() @Min(0) @Max(3600000) CATALOGUE_CACHE_MS = 1000;

  // Live stock streams (SSE and WebSocket)
  /** Open streams and sockets per instance; one more gets 503. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000000) LIVE_MAX_CONNECTIONS = 20000;
  /** Events per second per sku at most (coalesced: the last value always arrives). */
  @Transform(toInt) @IsInt() @Min(1) @Max(1000) LIVE_SKU_EVENTS_PER_SEC = 10;
  @Transform(toInt) @IsInt() @Min(100) @Max(3600000) LIVE_HEARTBEAT_MS = 15000;
  /** Bytes a client may leave unread before it is dropped as a slow consumer. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(64 * 1024 * 1024) LIVE_SLOW_CONSUMER_BYTES = 256 * 1024;
}

export type Env = EnvironmentVariables;

/**
 * Validates raw environment values. Throws one error listing every bad variable by name,
 * so a typo stops start-up instead of surfacing as a strange failure later.
 */
export function validateEnvironment(raw: Record<string, unknown>): EnvironmentVariables {
  const known = Object.keys(new EnvironmentVariables());
  const mayBeEmpty = new Set(['DB_PASSWORD', 'REDIS_KEY_PREFIX']);
  const picked: Record<string, unknown> = {};
  for (const key of known) {
    const value = raw[key];
    if (value === undefined || (value === '' && !mayBeEmpty.has(key))) continue;
    picked[key] = value;
  }

  const env = plainToInstance(EnvironmentVariables, picked, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false });
  const problems = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
  problems.push(...apiKeyProblems(env));
  if (env.NODE_ENV === 'production' && env.PAYMENT_WEBHOOK_SECRET === DEV_WEBHOOK_SECRET) {
    problems.push('PAYMENT_WEBHOOK_SECRET: the documented dev secret is refused when NODE_ENV=production');
  }
  if (env.TCC_BACKOFF_MAX_MS < env.TCC_BACKOFF_BASE_MS)
    problems.push('TCC_BACKOFF_MAX_MS: must be >= TCC_BACKOFF_BASE_MS');
  if (problems.length) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return env;
}

/**
 * What the pattern cannot see in API_KEYS: one key under two scopes (its scope would depend on
 * the order of the list), and in production any documented dev key, under any scope, whatever
 * the keys beside it. Messages never repeat a configured key (they end up in logs).
 */
function apiKeyProblems(env: EnvironmentVariables): string[] {
  if (typeof env.API_KEYS !== 'string') return [];
  const scopesOf = new Map<string, Set<string>>();
  for (const pair of env.API_KEYS.split(',')) {
    const [scope, key] = pair.split(':');
    if (!scope || !key) return []; // malformed: already reported by the pattern
    scopesOf.set(key, (scopesOf.get(key) ?? new Set()).add(scope));
  }
  const problems: string[] = [];
  if ([...scopesOf.values()].some((scopes) => scopes.size > 1)) {
    problems.push('API_KEYS: a key is listed under two scopes; give each scope its own keys');
  }
  if (env.NODE_ENV === 'production' && DEV_KEYS.some((key) => scopesOf.has(key))) {
    problems.push(`API_KEYS: the documented dev keys (${DEV_KEYS.join(', ')}) are refused when NODE_ENV=production`);
  }
  return problems;
}
