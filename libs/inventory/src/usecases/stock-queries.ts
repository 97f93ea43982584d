import { Injectable } from '@nestjs/common';
import { limitOffset, Page, pageOf } from '@app/core';
import { AlertRepository } from '../repositories/alert.repository';
import { AlertDto, AlertQueryDto, MovementDto, MovementQueryDto, StockDto, StockQueryDto } from '../dto/stock.dto';
import { StockRepository } from '../repositories/stock.repository';
import { toStockDto } from '../inventory.mapper';

/** The admin read side: stock rows, the ledger, alerts. */
@Injectable()
export class StockQueries {
  constructor(
    private readonly stock: StockRepository,
    private readonly alerts: AlertRepository,
  ) {}

  async listStock(query: StockQueryDto): Promise<Page<StockDto>> {
    const { limit, offset } = limitOffset(query);
    const [rows, total] = await this.stock.findPage(query, limit, offset);
    return pageOf(rows.map(toStockDto), total, query);
  }

  async listMovements(query: MovementQueryDto): Promise<Page<MovementDto>> {
    const { limit, offset } = limitOffset(query);
    const [rows, total] = await this.stock.findMovements(query, limit, offset);
    return pageOf(rows, total, query);
  }

  async listAlerts(query: AlertQueryDto): Promise<Page<AlertDto>> {
    const { limit, offset } = limitOffset(query);
    const [rows, total] = await this.alerts.findPage(query, limit, offset);
    return pageOf(rows, total, query);
  }
}
