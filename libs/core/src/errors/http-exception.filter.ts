import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorBody } from './domain-error';
import { ErrorCode, errorCodeForStatus, httpStatusOf } from './error-code';

/** Fastify's own error codes that are the client's fault, and what we call them. */
const FASTIFY_CLIENT_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_EMPTY_JSON_BODY: ErrorCode.VALIDATION_FAILED,
  FST_ERR_CTP_INVALID_JSON_BODY: ErrorCode.VALIDATION_FAILED,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ErrorCode.VALIDATION_FAILED,
  FST_ERR_CTP_INVALID_TYPE: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
};

/** Errors of an unreachable or overloaded dependency: the client may retry later (503). */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  // No connection in time (DatabaseBusyError), a statement past its timeout, MySQL going away.
  'DB_POOL_BUSY',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_SERVER_SHUTDOWN',
  'ER_QUERY_INTERRUPTED',
  'ER_STATEMENT_TIMEOUT',
  'EHOSTUNREACH',
]);

/** TypeORM and mysql2 report a closed, never-opened or closing pool or connection with these messages only. */
const UNAVAILABLE_MESSAGE =
  /Connection is not established|Pool is closed|Stream isn't writeable|max retries per request|connection is in closed state|Queue limit reached/i;

function isUnavailable(err: { code?: string; driverError?: { code?: string }; message?: string }): boolean {
  return (
    UNAVAILABLE_CODES.has(err?.code ?? '') ||
    UNAVAILABLE_CODES.has(err?.driverError?.code ?? '') ||
    UNAVAILABLE_MESSAGE.test(err?.message ?? '')
  );
}

/** Maps any thrown value to the contract's error shape; nothing leaves in another shape. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof DomainError) {
    return {
      statusCode: exception.status,
      error: exception.code,
      message: exception.message,
      details: exception.details,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse() as string | { message?: unknown; error?: unknown; details?: unknown };
    const body = typeof response === 'string' ? { message: response } : response;
    const messages = Array.isArray(body.message) ? body.message.map(String) : undefined;
    const code =
      typeof body.error === 'string' && (Object.values(ErrorCode) as string[]).includes(body.error)
        ? (body.error as ErrorCode)
        : errorCodeForStatus(status);
    return {
      statusCode: status,
      error: code,
      message: messages ? messages.join('; ') : typeof body.message === 'string' ? body.message : exception.message,
      details: messages ? { problems: messages } : (body.details as Record<string, unknown> | undefined),
    };
  }
  const err = exception as { code?: string; statusCode?: number; message?: string; type?: string };
  const fastifyCode = err?.code ? FASTIFY_CLIENT_ERRORS[err.code] : undefined;
  if (fastifyCode) {
    return { statusCode: httpStatusOf(fastifyCode), error: fastifyCode, message: err.message ?? fastifyCode };
  }
  if (err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    const code = errorCodeForStatus(err.statusCode);
    return { statusCode: err.statusCode, error: code, message: err.message ?? code };
  }
  if (isUnavailable(err)) {
    return {
      statusCode: 503,
      error: ErrorCode.SERVICE_UNAVAILABLE,
      message: 'A dependency is unavailable; retry later',
    };
  }
  return { statusCode: 500, error: ErrorCode.INTERNAL_ERROR, message: 'Internal server error' };
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);
  private readonly retryAfterSec: number;

  constructor(@Optional() config?: AppConfig) {
    this.retryAfterSec = config?.http.retryAfterSec ?? 1;
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const body = toErrorBody(exception);
    if (body.statusCode === 503) {
      this.logger.warn({ err: errorSummary(exception), method: request?.method, url: request?.url }, 'answered 503');
    } else if (body.statusCode >= 500) {
      this.logger.error({ err: exception, method: request?.method, url: request?.url }, 'unhandled error');
    }
    if (body.details === undefined) delete body.details;
    // A 503 changed nothing and says when to come back (shedding load, or a dependency down).
    if (body.statusCode === 503) void reply.header('retry-after', String(this.retryAfterSec));
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}

/** Shed or outage 503s come by the thousand: their code and message are enough, not a stack each. */
function errorSummary(exception: unknown): { code?: string; message?: string } {
  const e = exception as { code?: string; driverError?: { code?: string }; message?: string };
  return { code: e?.code ?? e?.driverError?.code, message: e?.message };
}
