import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '@app/core';
import { PaymentService } from '@app/payment';

/**
 * The gateway callback authenticates by signature, not by API key: X-Signature =
 * t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<RAW body>">, t within the configured tolerance.
 * A guard runs before body validation, so an unsigned caller learns nothing about what a valid
 * body looks like.
 */
@Injectable()
export class PaymentSignatureGuard implements CanActivate {
  constructor(private readonly payments: PaymentService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    const header = request.headers['x-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    const rawBody = request.rawBody ?? Buffer.alloc(0);
    const check = this.payments.checkWebhookSignature(rawBody, signature);
    if (check === 'stale') {
      // Told apart so that a gateway with a skewed clock can be diagnosed; the body is authentic.
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'X-Signature timestamp is outside the allowed window');
    }
    if (check !== 'valid') throw new DomainError(ErrorCode.UNAUTHORIZED, 'Bad or missing X-Signature');
    return true;
  }
}
