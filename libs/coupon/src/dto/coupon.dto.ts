import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Max,
  Min,
} from 'class-validator';
import { COUPON_CODE_PATTERN, MatchesPattern, PageQueryDto, USER_ID_PATTERN } from '@app/core';
import type { CouponType } from '../entities/coupon.entity';
import type { UserCouponState } from '../entities/user-coupon.entity';

/** Same rule as the X-User-Id header. */
export const MAX_COUPON_CENTS = 1_000_000_000_000;

export class CreateCouponDto {
  @ApiProperty({ example: 'C10', description: '1-64 chars [A-Za-z0-9_-]' })
  @IsString()
  @MatchesPattern(COUPON_CODE_PATTERN, 'code')
  code: string;

  @ApiProperty({ enum: ['FIXED', 'PERCENT'] })
  @IsIn(['FIXED', 'PERCENT'])
  type: CouponType;

  @ApiProperty({ example: 10, description: 'FIXED: cents off (>= 1); PERCENT: percent off (1-100)' })
  @IsInt()
  @Min(1)
  @Max(MAX_COUPON_CENTS)
  value: number;

  @ApiPropertyOptional({ example: 5000, default: 0, description: 'Smallest subtotal (cents) the coupon applies to' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_COUPON_CENTS)
  minOrderCents?: number;

  @ApiPropertyOptional({
    example: '2026-01-01T00:00:00Z',
    description: 'ISO 8601; inclusive start (none = already valid)',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  validFrom?: string;

  @ApiPropertyOptional({
    example: '2026-12-31T00:00:00Z',
    description: 'ISO 8601; exclusive end (none = never expires)',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  validTo?: string;
}

export class IssueCouponDto {
  @ApiProperty({ example: ['u1', 'u2'], description: '1-1000 user ids (like X-User-Id); duplicates count once' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MatchesPattern(USER_ID_PATTERN, 'userId', { each: true })
  userIds: string[];
}

export class IssuedDto {
  @ApiProperty({ description: 'Users who received the coupon now (those who had it already are not counted)' })
  issued: number;
}

export class CouponDto {
  @ApiProperty() code: string;
  @ApiProperty({ enum: ['FIXED', 'PERCENT'] }) type: CouponType;
  @ApiProperty() value: number;
  @ApiProperty() minOrderCents: number;
  @ApiProperty({ nullable: true, type: String }) validFrom: string | null;
  @ApiProperty({ nullable: true, type: String }) validTo: string | null;
  @ApiProperty() createdAt: string;
}

export class UserCouponDto {
  @ApiProperty() code: string;
  @ApiProperty({ enum: ['FIXED', 'PERCENT'] }) type: CouponType;
  @ApiProperty() value: number;
  @ApiProperty({ enum: ['AVAILABLE', 'FROZEN', 'USED'] }) state: UserCouponState;
  @ApiProperty() minOrderCents: number;
  @ApiProperty({ nullable: true, type: String }) validFrom: string | null;
  @ApiProperty({ nullable: true, type: String }) validTo: string | null;
}

export class UserCouponQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['AVAILABLE', 'FROZEN', 'USED'] })
  @IsOptional()
  @IsIn(['AVAILABLE', 'FROZEN', 'USED'])
  state?: UserCouponState;
}
