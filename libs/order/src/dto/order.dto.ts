import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  COUPON_CODE_PATTERN,
  MatchesPattern,
  ORDER_ID_PATTERN,
  PageQueryDto,
  SKU_PATTERN,
  WAREHOUSE_PATTERN,
} from '@app/core';
import { ORDER_STATUSES, OrderStatus } from '../order-state-machine';

export const MAX_ORDER_LINES = 50;
export const MAX_LINE_QTY = 10_000;
/** Order ids are ULIDs (Crockford base 32). */

export class OrderItemInputDto {
  @ApiProperty({ example: 'A-1' })
  @IsString()
  @MatchesPattern(SKU_PATTERN, 'sku')
  sku: string;

  @ApiProperty({ example: 1, minimum: 1, maximum: MAX_LINE_QTY })
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QTY)
  qty: number;
}

export class PlaceOrderDto {
  @ApiProperty({ type: [OrderItemInputDto], minItems: 1, maxItems: MAX_ORDER_LINES, description: 'One line per sku' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_ORDER_LINES)
  @ArrayUnique((item: OrderItemInputDto | null) => (item && typeof item === 'object' ? item.sku : item), {
    message: 'items must not repeat a sku',
  })
  @ValidateNested({ each: true })
  @Type(() => OrderItemInputDto)
  items: OrderItemInputDto[];

  @ApiPropertyOptional({ example: 'C10' })
  @IsOptional()
  @IsString()
  @MatchesPattern(COUPON_CODE_PATTERN, 'couponCode')
  couponCode?: string;

  @ApiPropertyOptional({ example: 'main', description: 'Default: the configured default warehouse' })
  @IsOptional()
  @IsString()
  @MatchesPattern(WAREHOUSE_PATTERN, 'warehouse')
  warehouse?: string;
}

export class OrderIdParamDto {
  @ApiProperty({ description: 'ULID' })
  @IsString()
  @MatchesPattern(ORDER_ID_PATTERN, 'orderId')
  orderId: string;
}

export class PayOrderDto {
  @ApiProperty({ enum: ['WALLET'] })
  @IsIn(['WALLET'])
  method: 'WALLET';
}

/** The body of a cancel is `{}`; an optional note is accepted for the logs. */
export class CancelOrderDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @Matches(/^[^\u0000-\u001f]{0,200}$/, { message: 'note must be at most 200 printable characters' })
  note?: string;
}

export class ListOrdersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: OrderStatus;
}

export class OrderItemDto {
  @ApiProperty() sku: string;
  @ApiProperty() qty: number;
  @ApiProperty() unitPriceCents: number;
}

/** The Order of the REST contract (docs/api.md#storefront). */
export class OrderDto {
  @ApiProperty() orderId: string;
  @ApiProperty() userId: string;
  @ApiProperty({ enum: ORDER_STATUSES }) status: OrderStatus;
  @ApiProperty({ type: [OrderItemDto] }) items: OrderItemDto[];
  @ApiProperty({ nullable: true, type: String }) couponCode: string | null;
  @ApiProperty() totalCents: number;
  @ApiProperty() discountCents: number;
  @ApiProperty() payableCents: number;
  @ApiProperty() warehouse: string;
  @ApiProperty() txId: string;
  @ApiProperty({ description: 'Payment deadline (UTC ISO 8601)' }) expiresAt: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class OrderPageDto {
  @ApiProperty({ type: [OrderDto] }) items: OrderDto[];
  @ApiProperty() page: number;
  @ApiProperty() pageSize: number;
  @ApiProperty() total: number;
}
