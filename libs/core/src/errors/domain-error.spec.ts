import { DomainError } from './domain-error';
import { ErrorCode } from './error-code';
import { toErrorBody } from './http-exception.filter';

describe('DomainError', () => {
  it('captures no stack for a refusal (4xx), and leaves the stack trace limit as it was', () => {
    const before = Error.stackTraceLimit;
    const err = new DomainError(ErrorCode.INSUFFICIENT_STOCK, 'Not enough stock of A-1 in main', { sku: 'A-1' });
    expect(Error.stackTraceLimit).toBe(before);
    expect(err.stack).not.toMatch(/\n\s+at /);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('Not enough stock of A-1 in main');
    expect(err.status).toBe(409);
    expect(toErrorBody(err)).toEqual({
      statusCode: 409,
      error: 'INSUFFICIENT_STOCK',
      message: 'Not enough stock of A-1 in main',
      details: { sku: 'A-1' },
    });
    expect(DomainError.notFound('Product X').stack).not.toMatch(/\n\s+at /);
  });

  it('keeps the stack of a 5xx, which is logged', () => {
    const err = new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'Redis and MySQL are both down');
    expect(err.stack).toMatch(/\n\s+at .*domain-error\.spec/);
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
  });
});
