import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import Redis from 'ioredis';
import { Public } from '../auth/auth.decorators';
import { REDIS, RedisStatus } from '../redis/redis.module';

type Component = { status: 'up' | 'down'; message?: string };

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly mysql: TypeOrmHealthIndicator,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly redisStatus: RedisStatus,
  ) {}

  /**
   * MySQL down → 503 (nothing can be sold). Redis down → 200 "degraded": checkout keeps
   * working on the MySQL-only path.
   */
  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness and dependencies: ok, degraded (Redis down) or error (MySQL down)' })
  async check(@Res({ passthrough: true }) reply: FastifyReply) {
    const [mysql, redis] = await Promise.all([this.checkMysql(), this.checkRedis()]);
    const info = { mysql, redis };
    if (mysql.status === 'down') {
      void reply.status(503);
      return { status: 'error', info, error: { mysql } };
    }
    return { status: redis.status === 'up' ? 'ok' : 'degraded', info };
  }

  private async checkMysql(): Promise<Component> {
    // Terminus 12 resolves to {mysql: {status, message?}} instead of throwing.
    const result = (await this.mysql.pingCheck('mysql', { timeout: 1500 })) as Record<string, Component>;
    const mysql = result.mysql;
    return mysql.status === 'up' ? { status: 'up' } : { status: 'down', message: mysql.message };
  }

  private async checkRedis(): Promise<Component> {
    try {
      const pong = await Promise.race([
        this.redis.ping(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000)),
      ]);
      this.redisStatus.set(pong === 'PONG');
      return { status: pong === 'PONG' ? 'up' : 'down' };
    } catch (err) {
      this.redisStatus.set(false, (err as Error).message);
      return { status: 'down', message: (err as Error).message };
    }
  }
}
