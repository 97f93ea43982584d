import type { Params } from 'nestjs-pino';
import { ulid } from 'ulid';
import type { AppConfig } from '../config/app-config';

/** Structured JSON logs; each request gets an id (taken from X-Request-Id when sent). */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.log.level,
      transport: config.log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : ulid();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customProps: (req) => ({ userId: req.headers['x-user-id'] }),
      redact: ['req.headers.authorization', 'req.headers["x-signature"]'],
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      },
    },
    // Health and metrics scrapes would drown the log otherwise.
    exclude: [],
  };
}
