import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  pageSize: number = 50;
}

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

export function pageOf<T>(items: T[], total: number, query: PageQueryDto): Page<T> {
  return { items, page: query.page, pageSize: query.pageSize, total };
}

/** LIMIT/OFFSET of a page query, for repositories. */
export function limitOffset(query: PageQueryDto): { limit: number; offset: number } {
  return { limit: query.pageSize, offset: (query.page - 1) * query.pageSize };
}

/** A page from a finder given LIMIT/OFFSET that answers the rows and the total; `map` shapes each row. */
export async function paged<R, T = R>(
  query: PageQueryDto,
  find: (limit: number, offset: number) => Promise<[R[], number]>,
  map?: (row: R) => T,
): Promise<Page<T>> {
  const { limit, offset } = limitOffset(query);
  const [rows, total] = await find(limit, offset);
  return pageOf(map ? rows.map((row) => map(row)) : (rows as unknown as T[]), total, query);
}
