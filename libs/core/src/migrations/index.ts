import { Core1700000000000 } from './1700000000000-core';
import { IdempotencyAttempt1700000007000 } from './1700000007000-idempotency-attempt';

export const CORE_MIGRATIONS = [Core1700000000000, IdempotencyAttempt1700000007000];
