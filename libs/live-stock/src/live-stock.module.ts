import { Module } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { InventoryModule } from '@app/inventory';
import { TccModule } from '@app/tcc';
import { AdminEventsController } from './controllers/admin-events.controller';
import { StockStreamController } from './controllers/stock-stream.controller';
import { AdminEvents } from './hub/admin-events';
import { ChangeBus } from './hub/change-bus';
import { LiveConnections } from './hub/live-connections';
import { StockHub } from './hub/stock-hub';
import { StockWsAdapter } from './ws/stock-ws-adapter';
import { StockGateway } from './ws/stock.gateway';

/**
 * Live stock over long connections: SSE (`/v1/stock/stream`), WebSocket (`/v1/stock/ws`) and
 * the admin event stream (`/v1/admin/events`). Follows inventory through its notices and read
 * API only; nothing imports this module but the app.
 */
@Module({
  imports: [InventoryModule, TccModule],
  controllers: [StockStreamController, AdminEventsController],
  providers: [StockHub, ChangeBus, LiveConnections, AdminEvents, StockGateway],
})
export class LiveStockModule {
  /**
   * Gateways are bound during `app.init()`, after the modules are built: choosing the `ws`
   * adapter here (on Fastify's own HTTP server, sharing its port) means the bootstrap needs no
   * line for it, and Nest never looks for socket.io.
   */
  constructor(appConfig: ApplicationConfig, host: HttpAdapterHost) {
    if (!appConfig.getIoAdapter())
      appConfig.setIoAdapter(new StockWsAdapter(host.httpAdapter.getHttpServer() as object));
  }
}
