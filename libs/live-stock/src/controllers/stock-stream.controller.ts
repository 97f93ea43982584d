import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig, DomainError, RequireScope } from '@app/core';
import { StockLevels } from '@app/inventory';
import { ChangeBus } from '../hub/change-bus';
import { LiveConnections } from '../hub/live-connections';
import { StockHub } from '../hub/stock-hub';
import { SseStockConnection } from '../sse/sse-stock-connection';
import { parseSkus, parseWarehouse } from '../subscription-request';

@ApiTags('storefront: live stock')
@Controller('v1/stock')
@RequireScope('storefront')
export class StockStreamController {
  constructor(
    private readonly hub: StockHub,
    private readonly bus: ChangeBus,
    private readonly connections: LiveConnections,
    private readonly levels: StockLevels,
    private readonly config: AppConfig,
  ) {}

  @Get('stream')
  @ApiOperation({
    summary: 'Server-Sent Events: availability of 1-50 skus, then every change (coalesced, the last value always sent)',
    description:
      'Each event: `id:` line, `event: stock`, `data: {"sku","warehouse","available","soldOut","changedAt"}`. The first events ' +
      'are the current state of every sku (also after a reconnect with `Last-Event-ID`). A `: heartbeat` comment every ' +
      'LIVE_HEARTBEAT_MS. `event: notice` says whether changes of other instances reach this stream (`local-only` while ' +
      'Redis is down, `cross-instance` when it is back); `event: reconnect` before the instance shuts down. See docs/live-stock.md.',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'skus', example: 'A-1,B-2', description: 'comma list, 1-50 skus' })
  @ApiQuery({ name: 'warehouse', required: false, example: 'main' })
  async stream(
    @Query() query: Record<string, unknown>,
    @Headers('last-event-id') _lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const unknownParams = Object.keys(query).filter((k) => k !== 'skus' && k !== 'warehouse');
    if (unknownParams.length) throw unknownParameter(unknownParams);
    const skus = parseSkus(query.skus);
    const warehouse = parseWarehouse(query.warehouse, this.config.inventory.defaultWarehouse);
    this.admit(reply);
    const resolved = await this.levels.resolve(skus, warehouse);
    this.admit(reply);
    this.open(reply, resolved.skus, resolved.warehouse);
  }

  private admit(reply: FastifyReply): void {
    try {
      this.connections.admit();
    } catch (err) {
      void reply.header('retry-after', String(this.config.http.retryAfterSec));
      throw err;
    }
  }

  private open(reply: FastifyReply, skus: string[], warehouse: string): void {
    reply.hijack();
    const connection = new SseStockConnection(reply.raw, this.config.live.slowConsumerBytes, () => {
      for (const sku of skus) this.hub.unsubscribe(connection, sku, warehouse);
      this.connections.remove(connection);
    });
    this.connections.add(connection);
    connection.writer.open(this.config.live.heartbeatMs);
    if (!connection.writer.isOpen) return;
    // The current state first, whatever Last-Event-ID said: ids are per instance, and a client
    // coming back (maybe to another instance) needs the value now, not a replay.
    for (const sku of skus) this.hub.subscribe(connection, sku, warehouse);
    if (!this.bus.crossInstance) connection.notice({ type: 'local-only', reason: 'Redis is down' });
  }
}

function unknownParameter(names: string[]): DomainError {
  return DomainError.validation(`Unknown query parameters: ${names.join(', ')}`, { unknown: names });
}
