import { Controller, Get, Optional, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';
import { counter } from '../metrics/metrics';
import { RedisStatus } from '../redis/redis.module';

const healthMysqlPings = counter({
  name: 'health_mysql_pings_total',
  help: 'MySQL pings made by /health (at most one per HEALTH_MYSQL_PING_INTERVAL_MS)',
});

type Component = { status: 'up' | 'down'; message?: string };

@ApiTags('operations')
@Controller('health')
export class HealthController {
  private readonly pingIntervalMs: number;
  private readonly retryAfterSec: number;
  private lastPing?: { at: number; mysql: Component };
  private pingInFlight?: Promise<Component>;

  constructor(
    private readonly mysql: TypeOrmHealthIndicator,
    private readonly redisStatus: RedisStatus,
    @Optional() config?: AppConfig,
    @Optional() @InjectDataSource() private readonly dataSource?: DataSource,
  ) {
    this.pingIntervalMs = config?.healthMysqlPingIntervalMs ?? 2000;
    this.retryAfterSec = config?.http.retryAfterSec ?? 1;
  }

  /**
   * MySQL down → 503 (nothing can be sold). Redis down → 200 "degraded": checkout keeps
   * working on the MySQL-only path. Redis is reported as RedisStatus sees it (connection
   * events and the background ping decide); a health probe never changes the instance's mode.
   */
  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and dependencies: ok, degraded (Redis down) or error (MySQL down)' })
  async check(@Res({ passthrough: true }) reply: FastifyReply) {
    const mysql = await this.checkMysql();
    const redis = this.redisComponent();
    const info = { mysql, redis };
    if (mysql.status === 'down') {
      void reply.status(503).header('retry-after', String(this.retryAfterSec));
      return { status: 'error', info, error: { mysql } };
    }
    return { status: redis.status === 'up' ? 'ok' : 'degraded', info };
  }

  /**
   * The last ping's answer while it is younger than the interval; else one new ping, shared by
   * every request that arrives while it runs. A flood of probes costs MySQL one ping per interval.
   */
  private async checkMysql(): Promise<Component> {
    // A closed pool is known without a ping (and no cached answer may hide it).
    if (this.dataSource && !this.dataSource.isInitialized)
      return { status: 'down', message: 'Connection is not established' };
    if (this.lastPing && Date.now() - this.lastPing.at < this.pingIntervalMs) return this.lastPing.mysql;
    this.pingInFlight ??= this.pingMysql().finally(() => (this.pingInFlight = undefined));
    return this.pingInFlight;
  }

  private async pingMysql(): Promise<Component> {
    healthMysqlPings.inc();
    const mysql = await this.pingOnce().catch((err: Error): Component => ({ status: 'down', message: err.message }));
    this.lastPing = { at: Date.now(), mysql };
    return mysql;
  }

  private async pingOnce(): Promise<Component> {
    // Terminus 12 resolves to {mysql: {status, message?}} instead of throwing.
    const result = (await this.mysql.pingCheck('mysql', { timeout: 1500 })) as Record<string, Component>;
    const mysql = result.mysql;
    return mysql.status === 'up' ? { status: 'up' } : { status: 'down', message: mysql.message };
  }

  private redisComponent(): Component {
    return this.redisStatus.isUp ? { status: 'up' } : { status: 'down', message: this.redisStatus.downReason };
  }
}
