import { EnvironmentVariables } from '@config/environment';

export type Scope = 'storefront' | 'admin';

export interface DbConfig {
  host: string;
  port: number;
  /** Empty: `host` decides (see mysqlEndpoint). */
  socketPath: string;
  user: string;
  password: string;
  name: string;
  poolSize: number;
  /** Requests that may wait for a connection, and how long each may wait (then 503). */
  queueLimit: number;
  acquireTimeoutMs: number;
  connectTimeoutMs: number;
  queryTimeoutMs: number;
}

/**
 * The typed configuration every module reads. Built once from the validated environment;
 * grouped so that a module asks for its own section only.
 */
export class AppConfig {
  readonly nodeEnv: string;
  readonly http: {
    port: number;
    host: string;
    bodyLimitBytes: number;
    shutdownGraceMs: number;
    userRatePerSec: number;
    requestTimeoutMs: number;
    connectionTimeoutMs: number;
    keepAliveTimeoutMs: number;
    /** The Retry-After (seconds) of every 503. */
    retryAfterSec: number;
  };
  readonly db: DbConfig;
  readonly healthMysqlPingIntervalMs: number;
  /** pingIntervalMs / pingSlowMs: the background ping that, with the connection's events, decides RedisStatus. */
  readonly redis: { url: string; keyPrefix: string; pingIntervalMs: number; pingSlowMs: number };
  readonly auth: { keys: ReadonlyMap<string, Scope> };
  readonly log: { level: string; pretty: boolean };
  readonly idempotencyTtlSec: number;
  readonly jobsEnabled: boolean;
  /** Longest a round of a scheduled job may run before it is abandoned (JobRounds). */
  readonly jobRoundDeadlineMs: number;
  readonly tcc: {
    recoveryIntervalMs: number;
    batchSize: number;
    leaseMs: number;
    backoffBaseMs: number;
    backoffMaxMs: number;
    alertAfterAttempts: number;
    fenceRetentionSec: number;
    fenceCleanupIntervalMs: number;
    txRetentionSec: number;
    /** Group commit: members per local transaction, how long a batch waits to fill, batches of one key at once. */
    groupCommit: { maxBatch: number; lingerMs: number; inFlight: number; commitInFlight: number };
  };
  readonly inventory: { soldOutFlagTtlMs: number; reconcileIntervalMs: number; defaultWarehouse: string };
  readonly order: { paymentTimeoutSec: number };
  readonly payment: { webhookSecret: string; webhookToleranceSec: number };
  readonly catalogueCacheMs: number;
  /** Live stock streams: connection cap, per-sku event rate, heartbeat, slow-consumer buffer cap. */
  readonly live: { maxConnections: number; skuEventsPerSec: number; heartbeatMs: number; slowConsumerBytes: number };

  constructor(env: EnvironmentVariables) {
    this.nodeEnv = env.NODE_ENV;
    this.http = {
      port: env.PORT,
      host: env.HOST,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      userRatePerSec: env.RATE_LIMIT_USER_PER_SEC,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      connectionTimeoutMs: env.HTTP_CONNECTION_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      retryAfterSec: env.RETRY_AFTER_SEC,
    };
    this.healthMysqlPingIntervalMs = env.HEALTH_MYSQL_PING_INTERVAL_MS;
    this.db = {
      host: env.DB_HOST,
      port: env.DB_PORT,
      socketPath: env.DB_SOCKET_PATH,
      user: env.DB_USER,
      password: env.DB_PASSWORD,
      name: env.DB_NAME,
      poolSize: env.DB_POOL_SIZE,
      queueLimit: env.DB_POOL_QUEUE_LIMIT,
      acquireTimeoutMs: env.DB_ACQUIRE_TIMEOUT_MS,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: env.DB_QUERY_TIMEOUT_MS,
    };
    this.redis = {
      url: env.REDIS_URL,
      keyPrefix: env.REDIS_KEY_PREFIX,
      pingIntervalMs: env.REDIS_PING_INTERVAL_MS,
      pingSlowMs: env.REDIS_PING_SLOW_MS,
    };
    this.auth = {
      keys: new Map(
        env.API_KEYS.split(',').map((pair) => {
          const [scope, key] = pair.split(':');
          return [key, scope as Scope] as const;
        }),
      ),
    };
    this.log = { level: env.LOG_LEVEL, pretty: env.LOG_PRETTY };
    this.idempotencyTtlSec = env.IDEMPOTENCY_TTL_SEC;
    this.jobsEnabled = env.JOBS_ENABLED;
    this.jobRoundDeadlineMs = env.JOB_ROUND_DEADLINE_MS;
    this.tcc = {
      recoveryIntervalMs: env.TCC_RECOVERY_INTERVAL_MS,
      batchSize: env.TCC_RECOVERY_BATCH_SIZE,
      leaseMs: env.TCC_LEASE_MS,
      backoffBaseMs: env.TCC_BACKOFF_BASE_MS,
      backoffMaxMs: env.TCC_BACKOFF_MAX_MS,
      alertAfterAttempts: env.TCC_ALERT_AFTER_ATTEMPTS,
      fenceRetentionSec: env.TCC_FENCE_RETENTION_SEC,
      fenceCleanupIntervalMs: env.TCC_FENCE_CLEANUP_INTERVAL_MS,
      txRetentionSec: env.TCC_TX_RETENTION_SEC,
      groupCommit: {
        maxBatch: env.TCC_GROUP_COMMIT_MAX_BATCH,
        lingerMs: env.TCC_GROUP_COMMIT_LINGER_MS,
        inFlight: env.TCC_GROUP_COMMIT_IN_FLIGHT,
        commitInFlight: env.TCC_GROUP_COMMIT_COMMIT_IN_FLIGHT,
      },
    };
    this.inventory = {
      soldOutFlagTtlMs: env.SOLD_OUT_FLAG_TTL_MS,
      reconcileIntervalMs: env.RECONCILE_INTERVAL_MS,
      defaultWarehouse: env.DEFAULT_WAREHOUSE,
    };
    this.order = { paymentTimeoutSec: env.ORDER_PAYMENT_TIMEOUT_SEC };
    this.payment = {
      webhookSecret: env.PAYMENT_WEBHOOK_SECRET,
      webhookToleranceSec: env.PAYMENT_WEBHOOK_TOLERANCE_SEC,
    };
    this.catalogueCacheMs = env.CATALOGUE_CACHE_MS;
    this.live = {
      maxConnections: env.LIVE_MAX_CONNECTIONS,
      skuEventsPerSec: env.LIVE_SKU_EVENTS_PER_SEC,
      heartbeatMs: env.LIVE_HEARTBEAT_MS,
      slowConsumerBytes: env.LIVE_SLOW_CONSUMER_BYTES,
    };
  }
}
