import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig, DomainError, RequireScope } from '@app/core';
import { AdminEvents, AdminSink } from '../hub/admin-events';
import { LiveConnection, LiveConnections } from '../hub/live-connections';
import { countEventSent } from '../live-stock.metrics';
import { SSE_RECONNECT_FRAME } from '../sse/sse-stock-connection';
import { SseWriter } from '../sse/sse-writer';

class AdminConnection implements AdminSink, LiveConnection {
  readonly kind = 'admin' as const;
  private nextId = 1;

  constructor(readonly writer: SseWriter) {}

  send(kind: string, data: Record<string, unknown>): void {
    if (this.writer.write(`id: ${this.nextId++}\nevent: ${kind}\ndata: ${JSON.stringify(data)}\n\n`))
      countEventSent('admin');
  }

  closeForShutdown(): void {
    this.writer.end(SSE_RECONNECT_FRAME);
  }
}

@ApiTags('admin: live events')
@Controller('v1/admin')
@RequireScope('admin')
export class AdminEventsController {
  constructor(
    private readonly adminEvents: AdminEvents,
    private readonly connections: LiveConnections,
    private readonly config: AppConfig,
  ) {}

  @Get('events')
  @ApiOperation({
    summary: 'Server-Sent Events for the admin console: sales, alert, tx, gate',
    description:
      '`event: sales` {sku, warehouse, sold, refused, second, instance} per sku per second with activity; `event: alert` ' +
      '{sku, warehouse, change: OPENED|RESOLVED}; `event: tx` {txId, name, status, attempts, lastError} when a transaction ' +
      'is flagged for an operator; `event: gate` {mode: redis|mysql-only, redisUp, reason} on a mode change (and once on connect).',
  })
  @ApiProduces('text/event-stream')
  events(@Query() query: Record<string, unknown>, @Res() reply: FastifyReply): void {
    const unknown = Object.keys(query);
    if (unknown.length) throw DomainError.validation(`Unknown query parameters: ${unknown.join(', ')}`, { unknown });
    try {
      this.connections.admit();
    } catch (err) {
      void reply.header('retry-after', String(this.config.http.retryAfterSec));
      throw err;
    }
    reply.hijack();
    const connection: AdminConnection = new AdminConnection(
      new SseWriter(reply.raw, this.config.live.slowConsumerBytes, () => {
        this.adminEvents.remove(connection);
        this.connections.remove(connection);
      }),
    );
    this.connections.add(connection);
    connection.writer.open(this.config.live.heartbeatMs);
    if (!connection.writer.isOpen) return;
    connection.send('gate', this.adminEvents.currentGate());
    this.adminEvents.add(connection);
  }
}
