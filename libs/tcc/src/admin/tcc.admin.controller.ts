import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Page, RequireScope } from '@app/core';
import { TransactionDetailDto, TransactionDto, TransactionIdParams, TransactionQueryDto } from './dto/transaction.dto';
import { TccAdminService } from './tcc-admin.service';

@ApiTags('admin: transactions')
@RequireScope('admin')
@Controller('v1/admin/transactions')
export class TccAdminController {
  constructor(private readonly admin: TccAdminService) {}

  @Get()
  @ApiOperation({ summary: 'TCC transactions, newest first, by status / name / flagged' })
  list(@Query() query: TransactionQueryDto): Promise<Page<TransactionDto>> {
    return this.admin.list(query);
  }

  @Get(':txId')
  @ApiOperation({ summary: 'One transaction with its branches' })
  @ApiOkResponse({ type: TransactionDetailDto })
  get(@Param() params: TransactionIdParams): Promise<TransactionDetailDto> {
    return this.admin.get(params.txId);
  }

  @Post(':txId/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run recovery for this transaction now (ignores its backoff)' })
  @ApiOkResponse({ type: TransactionDetailDto })
  retry(@Param() params: TransactionIdParams): Promise<TransactionDetailDto> {
    return this.admin.retry(params.txId);
  }

  @Post(':txId/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Roll the transaction back (409 CONFLICT once CONFIRMING/CONFIRMED)' })
  @ApiOkResponse({ type: TransactionDetailDto })
  cancel(@Param() params: TransactionIdParams): Promise<TransactionDetailDto> {
    return this.admin.cancel(params.txId);
  }
}
