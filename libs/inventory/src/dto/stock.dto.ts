import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MatchesPattern, PageQueryDto, SKU_PATTERN, WAREHOUSE_PATTERN } from '@app/core';

/** Largest quantity one operation may move; keeps every sum far inside BIGINT and JS integers. */
export const MAX_QTY = 1_000_000_000;

/** A sku or warehouse code of a request: documented, a string, in its one shape. */
const CodeField = (pattern: RegExp, field: string, example: string) =>
  applyDecorators(MatchesPattern(pattern, field), IsString(), ApiProperty({ example }));

class RowRefDto {
  @CodeField(SKU_PATTERN, 'sku', 'A-1')
  sku: string;

  @CodeField(WAREHOUSE_PATTERN, 'warehouse', 'main')
  warehouse: string;
}

export class StockMoveDto extends RowRefDto {
  @ApiProperty({ minimum: 1, maximum: MAX_QTY, example: 100 })
  @IsInt()
  @Min(1)
  @Max(MAX_QTY)
  qty: number;

  @ApiPropertyOptional({ description: 'Your reference (delivery note, ...), kept in the ledger', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  reference?: string;
}

export class StocktakeDto extends RowRefDto {
  @ApiProperty({ minimum: 0, maximum: MAX_QTY, description: 'Units counted on hand' })
  @IsInt()
  @Min(0)
  @Max(MAX_QTY)
  countedQty: number;
}

export class ThresholdDto extends RowRefDto {
  @ApiProperty({ minimum: 0, maximum: MAX_QTY, description: 'An alert opens when available drops below this' })
  @IsInt()
  @Min(0)
  @Max(MAX_QTY)
  threshold: number;
}

export class TransferDto {
  @CodeField(SKU_PATTERN, 'sku', 'A-1')
  sku: string;

  @CodeField(WAREHOUSE_PATTERN, 'from', 'main')
  from: string;

  @CodeField(WAREHOUSE_PATTERN, 'to', 'east')
  to: string;

  @ApiProperty({ minimum: 1, maximum: MAX_QTY })
  @IsInt()
  @Min(1)
  @Max(MAX_QTY)
  qty: number;
}

const toBoolean = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** Filters of the stock list and the ledger: one sku and/or one warehouse. */
class StockRowFilterDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  sku?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(32)
  warehouse?: string;
}

export class StockQueryDto extends StockRowFilterDto {
  @ApiPropertyOptional({ description: 'Only rows below their low-stock threshold' })
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  lowOnly?: boolean;
}

export class MovementQueryDto extends StockRowFilterDto {}

export class AlertQueryDto extends StockRowFilterDto {
  @ApiPropertyOptional({ enum: ['OPEN', 'RESOLVED'] })
  @IsOptional()
  @IsIn(['OPEN', 'RESOLVED'])
  state?: 'OPEN' | 'RESOLVED';
}

export class StockDto {
  @ApiProperty() sku: string;
  @ApiProperty() warehouse: string;
  @ApiProperty() onHand: number;
  @ApiProperty() reserved: number;
  @ApiProperty({ description: 'onHand - reserved' }) available: number;
  @ApiProperty({ description: 'Low-stock threshold' }) threshold: number;
  @ApiProperty({ description: 'available < threshold' }) low: boolean;
}

export class TransferResultDto {
  @ApiProperty({ type: StockDto }) from: StockDto;
  @ApiProperty({ type: StockDto }) to: StockDto;
}

export class MovementDto {
  @ApiProperty() id: string;
  @ApiProperty() sku: string;
  @ApiProperty() warehouse: string;
  @ApiProperty({
    enum: [
      'INBOUND',
      'OUTBOUND',
      'STOCKTAKE',
      'TRANSFER_IN',
      'TRANSFER_OUT',
      'RESERVE',
      'COMMIT',
      'RELEASE',
      'RESTOCK',
    ],
  })
  reason: string;
  @ApiProperty() ref: string;
  @ApiProperty() deltaOnHand: number;
  @ApiProperty() deltaReserved: number;
  @ApiProperty() createdAt: string;
}

export class AlertDto {
  @ApiProperty() id: string;
  @ApiProperty() sku: string;
  @ApiProperty() warehouse: string;
  @ApiProperty({ description: 'Available units when the alert opened' }) available: number;
  @ApiProperty() threshold: number;
  @ApiProperty({ enum: ['OPEN', 'RESOLVED'] }) state: string;
  @ApiProperty() openedAt: string;
  @ApiProperty({ nullable: true, type: String }) resolvedAt: string | null;
}

export class ReconcileReportDto {
  @ApiProperty({ description: 'Stock rows compared' }) checked: number;
  @ApiProperty({ description: 'Rows whose Redis value differed from MySQL (or was missing)' }) drifted: number;
  @ApiProperty({ description: 'Rows reset from MySQL' }) fixed: number;
}
