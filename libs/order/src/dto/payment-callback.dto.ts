import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ORDER_ID_PATTERN } from './order.dto';

/** Fits in a TCC branch key (`ext-<paymentId>`, [A-Za-z0-9_.-], at most 64). */
export const PAYMENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,60}$/;

/** The gateway's notification (signed: header X-Signature = t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">). */
export class PaymentCallbackDto {
  @ApiProperty({ example: 'pay_01HV...', description: "The gateway's payment id (1-60 chars [A-Za-z0-9_.-])" })
  @IsString()
  @Matches(PAYMENT_ID_PATTERN, { message: 'paymentId must be 1-60 characters of [A-Za-z0-9_.-]' })
  paymentId: string;

  @ApiProperty()
  @IsString()
  @Matches(ORDER_ID_PATTERN, { message: 'orderId must be a ULID' })
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
