import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';
import { MatchesPattern, ORDER_ID_PATTERN, PAYMENT_ID_PATTERN } from '@app/core';

/** Fits in a TCC branch key (`ext-<paymentId>`, [A-Za-z0-9_.-], at most 64). */

/** The gateway's notification (signed: header X-Signature = t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">). */
export class PaymentCallbackDto {
  @ApiProperty({ example: 'pay_01HV...', description: "The gateway's payment id (1-60 chars [A-Za-z0-9_.-])" })
  @IsString()
  @MatchesPattern(PAYMENT_ID_PATTERN, 'paymentId')
  paymentId: string;

  @ApiProperty()
  @IsString()
  @MatchesPattern(ORDER_ID_PATTERN, 'orderId')
  orderId: string;

  @ApiProperty({ description: 'Integer cents; must equal the order payableCents' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  amountCents: number;

  @ApiProperty({ enum: ['SUCCEEDED', 'FAILED'] })
  @IsIn(['SUCCEEDED', 'FAILED'])
  status: 'SUCCEEDED' | 'FAILED';
}

export class PaymentCallbackResultDto {
  @ApiProperty() orderId: string;
  @ApiProperty({ enum: ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'REFUNDED'] }) orderStatus: string;
  @ApiProperty({ enum: ['CAPTURED', 'FAILED', 'REFUNDED'] }) paymentStatus: 'CAPTURED' | 'FAILED' | 'REFUNDED';
}
