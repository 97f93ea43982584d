import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { MatchesPattern, PageQueryDto, SKU_PATTERN, WAREHOUSE_PATTERN } from '@app/core';
import type { ProductStatus } from '../entities/product.entity';

export const MAX_PRICE_CENTS = 1_000_000_000_00;

export class CreateProductDto {
  @ApiProperty({ example: 'A-1', description: '1-64 chars [A-Za-z0-9_.-], starting with a letter or digit' })
  @IsString()
  @MatchesPattern(SKU_PATTERN, 'sku')
  sku: string;

  @ApiProperty({ example: 'Flash-sale phone' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({ example: 'phones' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  category: string;

  @ApiProperty({ example: 19900, description: 'Integer cents' })
  @IsInt()
  @Min(0)
  @Max(MAX_PRICE_CENTS)
  priceCents: number;

  @ApiPropertyOptional({ nullable: true, example: 2, description: 'Units one user may buy in total; null = unlimited' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  maxPerUser?: number | null;
}

// skipNullProperties: false, so `{"name": null}` is refused (400) instead of reaching a NOT NULL column;
// maxPerUser keeps accepting null (its own ValidateIf: null = unlimited).
export class UpdateProductDto extends PartialType(CreateProductDto, { skipNullProperties: false }) {
  @ApiPropertyOptional({ enum: ['ACTIVE', 'INACTIVE'] })
  @ValidateIf((_, v) => v !== undefined)
  @IsIn(['ACTIVE', 'INACTIVE'])
  status?: ProductStatus;
}

export class ProductDto {
  @ApiProperty() sku: string;
  @ApiProperty() name: string;
  @ApiProperty() category: string;
  @ApiProperty() priceCents: number;
  @ApiProperty({ enum: ['ACTIVE', 'INACTIVE'] }) status: ProductStatus;
  @ApiProperty({ nullable: true, type: Number }) maxPerUser: number | null;
  @ApiProperty({ description: 'Units available in the default warehouse (may lag by the cache interval)' })
  available: number;
}

export class StorefrontProductQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(100)
  category?: string;
}

export class AdminProductQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['ACTIVE', 'INACTIVE'] })
  @IsOptional()
  @IsIn(['ACTIVE', 'INACTIVE'])
  status?: ProductStatus;
}

export class CreateWarehouseDto {
  @ApiProperty({ example: 'east', description: '1-32 chars [A-Za-z0-9_-]' })
  @IsString()
  @MatchesPattern(WAREHOUSE_PATTERN, 'code')
  code: string;

  @ApiProperty({ example: 'East warehouse' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;
}

export class WarehouseDto {
  @ApiProperty() code: string;
  @ApiProperty() name: string;
  @ApiProperty() createdAt: string;
}
