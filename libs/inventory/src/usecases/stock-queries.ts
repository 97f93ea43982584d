import { Injectable } from '@nestjs/common';
import { Page, paged } from '@app/core';
import { AlertDto, AlertQueryDto, MovementDto, MovementQueryDto, StockDto, StockQueryDto } from '../dto/stock.dto';
import { toStockDto } from '../inventory.mapper';
import { AlertRepository } from '../repositories/alert.repository';
import { StockRepository } from '../repositories/stock.repository';

/** The admin read side: stock rows, the ledger, alerts. */
@Injectable()
export class StockQueries {
  constructor(
    private readonly stock: StockRepository,
    private readonly alerts: AlertRepository,
  ) {}

  listStock(query: StockQueryDto): Promise<Page<StockDto>> {
    return paged(query, (limit, offset) => this.stock.findPage(query, limit, offset), toStockDto);
  }

  listMovements(query: MovementQueryDto): Promise<Page<MovementDto>> {
    return paged(query, (limit, offset) => this.stock.findMovements(query, limit, offset));
  }

  listAlerts(query: AlertQueryDto): Promise<Page<AlertDto>> {
    return paged(query, (limit, offset) => this.alerts.findPage(query, limit, offset));
  }
}
