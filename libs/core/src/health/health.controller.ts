import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { RedisStatus } from '../redis/redis.module';

type Component = { status: 'up' | 'down'; message?: string };

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly mysql: TypeOrmHealthIndicator,
    private readonly redisStatus: RedisStatus,
  ) {}

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

  private redisComponent(): Component {
    return this.redisStatus.isUp ? { status: 'up' } : { status: 'down', message: this.redisStatus.downReason };
  }
}
