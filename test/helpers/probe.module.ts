import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { DataSource } from 'typeorm';
import { ulid } from 'ulid';
import { DomainError, Idempotent, RequireScope, UserId } from '@app/core';

class ProbeWriteDto {
  @IsString() label: string;
  @IsInt() @Min(0) @Max(1000) delayMs: number;
}

/**
 * Test-only routes that exercise the core mechanisms (user header, idempotency) without
 * depending on a domain module. Each executed write inserts one row into probe_write.
 */
@Controller('__probe')
class ProbeController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  @Get('user')
  @RequireScope('storefront')
  user(@UserId() userId: string) {
    return { userId };
  }

  @Post('write')
  @RequireScope('admin')
  @HttpCode(200)
  @Idempotent()
  async adminWrite(@Body() dto: ProbeWriteDto) {
    return this.write(dto);
  }

  @Post('user-write')
  @RequireScope('storefront')
  @Idempotent({ lookupDurable: false })
  async userWrite(@UserId() userId: string, @Body() dto: ProbeWriteDto) {
    return { ...(await this.write(dto)), userId };
  }

  private async write(dto: ProbeWriteDto) {
    if (dto.label === 'refuse') throw DomainError.conflict('refused on purpose');
    await this.dataSource.query(
      'CREATE TABLE IF NOT EXISTS probe_write (id VARCHAR(26) PRIMARY KEY, label VARCHAR(100) NOT NULL)',
    );
    await new Promise((r) => setTimeout(r, dto.delayMs));
    const id = ulid();
    await this.dataSource.query('INSERT INTO probe_write (id, label) VALUES (?, ?)', [id, dto.label]);
    return { id, label: dto.label };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
