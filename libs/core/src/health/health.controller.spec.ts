import { Logger } from '@nestjs/common';
import type { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import type { AppConfig } from '../config/app-config';
import { RedisStatus } from '../redis/redis-status';
import { HealthController } from './health.controller';

describe('HealthController', () => {
  beforeAll(() => Logger.overrideLogger(false));

  const mysqlUp = { pingCheck: async () => ({ mysql: { status: 'up' } }) } as unknown as TypeOrmHealthIndicator;
  const reply = { status: jest.fn() } as unknown as FastifyReply;

  it('reports the Redis mode as RedisStatus has it, and never changes it', async () => {
    const status = new RedisStatus({ redis: { pingSlowMs: 1000 } } as AppConfig);
    const changes: boolean[] = [];
    status.onChange((up) => changes.push(up));
    const health = new HealthController(mysqlUp, status);

    status.connectionReady();
    status.connectionLost('connection closed');
    for (let i = 0; i < 3; i++) {
      expect(await health.check(reply)).toEqual({
        status: 'degraded',
        info: { mysql: { status: 'up' }, redis: { status: 'down', message: 'connection closed' } },
      });
    }
    status.connectionReady();
    for (let i = 0; i < 3; i++) {
      expect(await health.check(reply)).toEqual({
        status: 'ok',
        info: { mysql: { status: 'up' }, redis: { status: 'up' } },
      });
    }
    expect(changes).toEqual([true, false, true]);
  });
});
