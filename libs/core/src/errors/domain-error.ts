import { ErrorCode, httpStatusOf } from './error-code';

/**
 * The one error type services throw for anything a client should see. The exception
 * filter turns it into `{statusCode, error, message, details}`.
 *
 * A 4xx (a refusal: sold out, not found, invalid) is an answer, not a fault: nothing logs its
 * stack, and capturing one was the costliest part of a refused checkout, so it gets none.
 * A 5xx code keeps its stack for the log.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    const stackTraceLimit = Error.stackTraceLimit;
    if (httpStatusOf(code) < 500) Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'DomainError';
  }

  get status(): number {
    return httpStatusOf(this.code);
  }

  static notFound(what: string, details?: Record<string, unknown>): DomainError {
    return new DomainError(ErrorCode.NOT_FOUND, `${what} not found`, details);
  }

  static conflict(message: string, details?: Record<string, unknown>): DomainError {
    return new DomainError(ErrorCode.CONFLICT, message, details);
  }

  static validation(message: string, details?: Record<string, unknown>): DomainError {
    return new DomainError(ErrorCode.VALIDATION_FAILED, message, details);
  }
}

export interface ErrorBody {
  statusCode: number;
  error: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}
