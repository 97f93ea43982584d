import { Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Claim, IdempotencyClaim, Idempotent, Page, RequireScope } from '@app/core';
import {
  AlertDto,
  AlertQueryDto,
  MovementDto,
  MovementQueryDto,
  ReconcileReportDto,
  StockDto,
  StockMoveDto,
  StockQueryDto,
  StocktakeDto,
  ThresholdDto,
  TransferDto,
  TransferResultDto,
} from '../dto/stock.dto';
import { Reconciler } from '../reconcile/reconciler';
import { ReceiveStockUseCase } from '../usecases/receive-stock.usecase';
import { SetLowStockThresholdUseCase } from '../usecases/set-low-stock-threshold.usecase';
import { ShipStockUseCase } from '../usecases/ship-stock.usecase';
import { StockQueries } from '../usecases/stock-queries';
import { TakeStockUseCase } from '../usecases/take-stock.usecase';
import { TransferStockUseCase } from '../usecases/transfer-stock.usecase';

@ApiTags('admin: stock')
@RequireScope('admin')
@Controller('v1/admin')
export class InventoryAdminController {
  constructor(
    private readonly queries: StockQueries,
    private readonly receiveStock: ReceiveStockUseCase,
    private readonly shipStock: ShipStockUseCase,
    private readonly takeStock: TakeStockUseCase,
    private readonly transferStock: TransferStockUseCase,
    private readonly setThreshold: SetLowStockThresholdUseCase,
    private readonly reconciler: Reconciler,
  ) {}

  @Get('stock')
  @ApiOperation({ summary: 'Stock rows, optionally of one sku / warehouse, or only those below their threshold' })
  listStock(@Query() query: StockQueryDto): Promise<Page<StockDto>> {
    return this.queries.listStock(query);
  }

  @Post('stock/inbound')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Units arrive (creates the stock row if missing)' })
  @ApiOkResponse({ type: StockDto })
  inbound(@Body() dto: StockMoveDto, @Claim() claim: IdempotencyClaim | null): Promise<StockDto> {
    return this.receiveStock.execute(dto, claim);
  }

  @Post('stock/outbound')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Available units leave (409 INSUFFICIENT_STOCK beyond available)' })
  @ApiOkResponse({ type: StockDto })
  outbound(@Body() dto: StockMoveDto, @Claim() claim: IdempotencyClaim | null): Promise<StockDto> {
    return this.shipStock.execute(dto, claim);
  }

  @Post('stock/stocktake')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Set on hand to the counted quantity (409 CONFLICT below reserved)' })
  @ApiOkResponse({ type: StockDto })
  stocktake(@Body() dto: StocktakeDto, @Claim() claim: IdempotencyClaim | null): Promise<StockDto> {
    return this.takeStock.execute(dto, claim);
  }

  @Post('stock/transfer')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Move available units between warehouses, atomically (409 INSUFFICIENT_STOCK)' })
  @ApiOkResponse({ type: TransferResultDto })
  transfer(@Body() dto: TransferDto, @Claim() claim: IdempotencyClaim | null): Promise<TransferResultDto> {
    return this.transferStock.execute(dto, claim);
  }

  @Put('stock/threshold')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Set the low-stock threshold of a row' })
  @ApiOkResponse({ type: StockDto })
  threshold(@Body() dto: ThresholdDto, @Claim() claim: IdempotencyClaim | null): Promise<StockDto> {
    return this.setThreshold.execute(dto, claim);
  }

  @Get('stock/movements')
  @ApiOperation({ summary: 'The stock ledger, newest first' })
  movements(@Query() query: MovementQueryDto): Promise<Page<MovementDto>> {
    return this.queries.listMovements(query);
  }

  @Get('alerts')
  @ApiOperation({ summary: 'Low-stock alerts, newest first' })
  alerts(@Query() query: AlertQueryDto): Promise<Page<AlertDto>> {
    return this.queries.listAlerts(query);
  }

  @Post('reconcile')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reset Redis stock from MySQL now and report what had drifted' })
  @ApiOkResponse({ type: ReconcileReportDto })
  async reconcile(): Promise<ReconcileReportDto> {
    // The contract's three counts; the drifted rows themselves go to the log.
    const { checked, drifted, fixed } = await this.reconciler.reconcileAll();
    return { checked, drifted, fixed };
  }
}
