// Public surface of the shared kernel. Other modules import from '@app/core' only.
export { CoreModule, type CoreModuleOptions } from './core.module';
export { AppConfig, type Scope } from './config/app-config';
export { ErrorCode, httpStatusOf } from './errors/error-code';
export { DomainError, type ErrorBody } from './errors/domain-error';
export { HttpExceptionFilter, toErrorBody } from './errors/http-exception.filter';
export { createValidationPipe } from './errors/validation.pipe';
export { ApiKeyGuard } from './auth/api-key.guard';
export { UserRateLimitGuard } from './http/user-rate-limit.guard';
export {
  RequireScope,
  Public,
  UserId,
  ApiUserHeader,
  readUserId,
  type Principal,
  type AuthedRequest,
} from './auth/auth.decorators';
export { Idempotent, type IdempotentOptions, type EarlyRefusal } from './idempotency/idempotent.decorator';
export { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
export { EarlyRefusalHook } from './idempotency/early-refusal.hook';
export { IdempotencyStore } from './idempotency/idempotency.store';
export { IdempotencyClaim, Claim } from './idempotency/idempotency-claim';
export { IdempotencyEpoch, userScope, type UsedKey, type UsedKeySource } from './idempotency/idempotency-epoch';
export { REDIS, InjectRedis, RedisStatus, RedisNames, createRedisClient } from './redis/redis.module';
export { counter, gauge, histogram, metricsRegistry } from './metrics/metrics';
export { registerHttpMetrics } from './http/http-metrics';
export { registerRequestHooks, fastifyServerOptions } from './http/request-hooks';
export { PageQueryDto, pageOf, paged, limitOffset, type Page } from './http/pagination';
export { inTransaction, isRetryableTxError, isDuplicateKeyError, affectedRows } from './database/transaction';
export { writeRowLast, RowMoved } from './database/write-last';
export { bigintToNumber } from './database/bigint.transformer';
export { Where, selectPage, type PageSelect } from './database/select-page';
export { dataSourceOptions, type MigrationClass } from './database/data-source-options';
export { ensureDatabaseExists, runMigrationsLocked } from './database/schema-bootstrap';
export { Core1700000000000 } from './migrations/1700000000000-core';
export { CORE_MIGRATIONS } from './migrations';
export { idFloorAt, newId, newMonotonicId } from './ids/new-id';
export {
  SKU_PATTERN,
  WAREHOUSE_PATTERN,
  COUPON_CODE_PATTERN,
  USER_ID_PATTERN,
  ORDER_ID_PATTERN,
  PAYMENT_ID_PATTERN,
  TX_ID_PATTERN,
  ruleOf,
  patternMessage,
  MatchesPattern,
} from './ids/id-patterns';
export { AuditRegistry, type AuditCheck, type AuditViolation } from './audit/audit.registry';
export { JobRounds, stopIfAborted, type JobRound } from './jobs/job-rounds';
export { PeriodicJob } from './jobs/periodic-job';
export { InFlightWork } from './lifecycle/in-flight-work';
export { sleep, pollUntil } from './async/poll';
