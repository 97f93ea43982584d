import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '@app/core';
import { PaymentService } from '@app/payment';

/**
 * The gateway callback authenticates by signature, not by API key: X-Signature =
 * sha256=<hex HMAC-SHA256 of the RAW body>. A guard runs before body validation, so an
 * unsigned caller learns nothing about what a valid body looks like.
 */
@Injectable()
export class PaymentSignatureGuard implements CanActivate {
  constructor(private readonly payments: PaymentService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & { rawBody?: Buffer }>();
    const header = request.headers['x-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    const rawBody = request.rawBody ?? Buffer.alloc(0);
    if (!this.payments.verifyWebhookSignature(rawBody, signature)) {
      throw new DomainError(ErrorCode.UNAUTHORIZED, 'Bad or missing X-Signature');
    }
    return true;
  }
}
