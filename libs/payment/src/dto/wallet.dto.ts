import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { MatchesPattern, USER_ID_PATTERN } from '@app/core';

/** Same rule as the X-User-Id header. */
export const MAX_CREDIT_CENTS = 1_000_000_000_000;

export class WalletDto {
  @ApiProperty() userId: string;
  @ApiProperty({ description: 'Spendable cents' }) balanceCents: number;
  @ApiProperty({ description: 'Cents held by payments not yet captured or released' }) frozenCents: number;
}

export class CreditWalletDto {
  @ApiProperty({ example: 10000, description: 'Integer cents, 1 to 10^12' })
  @IsInt()
  @Min(1)
  @Max(MAX_CREDIT_CENTS)
  amountCents: number;
}

export class WalletUserParams {
  @ApiProperty({ description: '1-64 chars [A-Za-z0-9_-] (like X-User-Id)' })
  @IsString()
  @MatchesPattern(USER_ID_PATTERN, 'userId')
  userId: string;
}
