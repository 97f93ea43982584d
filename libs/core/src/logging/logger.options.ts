import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';
import { newId } from '../ids/new-id';

/** Structured JSON logs; each request gets an id (taken from X-Request-Id when sent). */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      transport: config.log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      // Fastify assigned the id (see http/request-hooks.ts); reuse it so logs and header agree.
      genReqId: (req) => (req as { id?: string }).id ?? newId(),
      customProps: (req) => ({ userId: req.headers['x-user-id'] }),
      redact: ['req.headers.authorization', 'req.headers["x-signature"]'],
      // Health and metrics scrapes would drown the log otherwise.
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
    },
  };
}
