import { EnvironmentVariables, validateEnvironment } from '@config/environment';
import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { DataSource } from 'typeorm';
import { AuditController } from './audit/audit.controller';
import { AuditRegistry } from './audit/audit.registry';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AppConfig } from './config/app-config';
import { dataSourceOptions, MigrationClass, poolLimitsOf } from './database/data-source-options';
import { guardPool } from './database/pool-guard';
import { DatabaseAddress, ensureDatabaseExists, runMigrationsLocked } from './database/schema-bootstrap';
import { HealthController } from './health/health.controller';
import { UserRateLimitGuard } from './http/user-rate-limit.guard';
import { EarlyRefusalHook } from './idempotency/early-refusal.hook';
import { IdempotencyEpoch } from './idempotency/idempotency-epoch';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyJanitor } from './idempotency/idempotency.janitor';
import { IdempotencyStore } from './idempotency/idempotency.store';
import { JobRounds } from './jobs/job-rounds';
import { InFlightInterceptor, InFlightWork } from './lifecycle/in-flight-work';
import { loggerOptions } from './logging/logger.options';
import { MetricsController } from './metrics/metrics.controller';
import { RedisModule } from './redis/redis.module';

export interface CoreModuleOptions {
  /** Every migration of every module, in order (see apps/api/src/migrations.ts). */
  migrations: MigrationClass[];
  /** Values that win over process.env (tests give each run its own database and key prefix). */
  env?: Record<string, string>;
}

/**
 * The shared kernel: validated config, MySQL (created and migrated at start-up), Redis,
 * logging, health, metrics, auth and idempotency. Global, imported once by the root module.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(options: CoreModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          skipProcessEnv: true,
          validate: (raw) => ({ ...validateEnvironment({ ...process.env, ...raw, ...options.env }) }),
        }),
        LoggerModule.forRootAsync({ inject: [AppConfig], useFactory: loggerOptions }),
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            ...dataSourceOptions(config.db, options.migrations),
            autoLoadEntities: true,
          }),
          dataSourceFactory: async (dsOptions) => {
            const ds = new DataSource(dsOptions!);
            await ensureDatabaseExists(dsOptions as DatabaseAddress);
            await ds.initialize();
            await runMigrationsLocked(ds);
            // From here on, connections are for requests and jobs: bounded waits and statements.
            guardPool(ds, poolLimitsOf(dsOptions!));
            return ds;
          },
        }),
        RedisModule,
        TerminusModule,
        // Jobs of every module register on this scheduler (only when JOBS_ENABLED).
        ScheduleModule.forRoot(),
        // EarlyRefusalHook finds the routes with an early refusal.
        DiscoveryModule,
        ThrottlerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            throttlers: [{ name: 'user', ttl: 1000, limit: Math.max(1, config.http.userRatePerSec) }],
            skipIf: () => config.http.userRatePerSec === 0,
          }),
        }),
      ],
      controllers: [HealthController, MetricsController, AuditController],
      providers: [
        {
          provide: AppConfig,
          inject: [ConfigService],
          useFactory: (config: ConfigService) => {
            const env = new EnvironmentVariables();
            for (const key of Object.keys(env) as Array<keyof EnvironmentVariables>) {
              (env as unknown as Record<string, unknown>)[key] = config.get(key);
            }
            return new AppConfig(env);
          },
        },
        IdempotencyStore,
        IdempotencyEpoch,
        IdempotencyInterceptor,
        EarlyRefusalHook,
        IdempotencyJanitor,
        ApiKeyGuard,
        UserRateLimitGuard,
        AuditRegistry,
        JobRounds,
        InFlightWork,
        // outermost interceptor: a handler counts as in flight until all its work is done (shutdown waits)
        { provide: APP_INTERCEPTOR, useClass: InFlightInterceptor },
      ],
      exports: [
        AppConfig,
        JobRounds,
        InFlightWork,
        IdempotencyStore,
        IdempotencyEpoch,
        EarlyRefusalHook,
        IdempotencyInterceptor,
        ApiKeyGuard,
        UserRateLimitGuard,
        AuditRegistry,
        RedisModule,
      ],
    };
  }
}
