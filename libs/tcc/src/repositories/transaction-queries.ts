import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { limitOffset, PageQueryDto, selectPage, Where } from '@app/core';
import type { TxStatus } from '../tcc.types';
import { NOW, toTx, TX_COLUMNS, TxRow } from './tcc-rows';

/** What operators read of `tcc_transaction`: the admin list and the gauges. Writes none. */
@Injectable()
export class TransactionQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findPage(
    filter: { status?: TxStatus; name?: string; flagged?: boolean },
    query: PageQueryDto,
  ): Promise<[TxRow[], number]> {
    const where = new Where()
      .equals('status', filter.status)
      .equals('name', filter.name)
      .holds(filter.flagged !== undefined && (filter.flagged ? 'flagged_at IS NOT NULL' : 'flagged_at IS NULL'));
    const { limit, offset } = limitOffset(query);
    const [rows, total] = await selectPage<TxRow>(
      this.dataSource,
      { columns: TX_COLUMNS, from: 'tcc_transaction', where, orderBy: 'created_at DESC, tx_id DESC' },
      limit,
      offset,
    );
    return [rows.map(toTx), total];
  }

  /** Age of the oldest non-terminal tx (0 if none) and how many are flagged, for the gauges. */
  async pendingStats(): Promise<{ oldestAgeSec: number; flagged: number }> {
    const [row]: Array<{ oldestAgeSec: number | string; flagged: number | string }> = await this.dataSource.query(
      `SELECT COALESCE(TIMESTAMPDIFF(MICROSECOND, MIN(created_at), ${NOW}), 0) / 1000000 AS oldestAgeSec,
              COALESCE(SUM(flagged_at IS NOT NULL), 0) AS flagged
       FROM tcc_transaction WHERE status IN ('TRYING', 'CONFIRMING', 'CANCELLING')`,
    );
    return { oldestAgeSec: Number(row.oldestAgeSec), flagged: Number(row.flagged) };
  }
}
