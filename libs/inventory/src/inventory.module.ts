import { Module } from '@nestjs/common';
import { ProductModule } from '@app/product';
import { TccModule } from '@app/tcc';
import { LowStockAlerts } from './alerts/low-stock-alerts';
import { StockChangeFeed } from './alerts/stock-change-feed';
import { InventoryParticipant } from './branches/inventory.participant';
import { RestockBranch } from './branches/restock.branch';
import { StockFreezeBranch } from './branches/stock-freeze.branch';
import { InventoryAdminController } from './controllers/inventory.admin.controller';
import { InventoryGate } from './gate/inventory-gate';
import { RedisStock } from './gate/redis-stock';
import { RedisRowBuilder } from './gate/row-builder';
import { SoldOutFlags } from './gate/sold-out-flags';
import { InventoryAuditCheck } from './inventory.audit';
import { ReconcileJob } from './jobs/reconcile.job';
import { Reconciler } from './reconcile/reconciler';
import { StockSync } from './reconcile/stock-sync';
import { AlertRepository } from './repositories/alert.repository';
import { FreezeRepository } from './repositories/freeze.repository';
import { InventoryAuditRepository } from './repositories/inventory-audit.repository';
import { StockRepository } from './repositories/stock.repository';
import { AdminStockChange } from './usecases/admin-stock-change';
import { ReceiveStockUseCase } from './usecases/receive-stock.usecase';
import { SetLowStockThresholdUseCase } from './usecases/set-low-stock-threshold.usecase';
import { ShipStockUseCase } from './usecases/ship-stock.usecase';
import { StockAvailabilityReader } from './usecases/stock-availability.source';
import { StockLevels } from './usecases/stock-levels';
import { StockQueries } from './usecases/stock-queries';
import { TakeStockUseCase } from './usecases/take-stock.usecase';
import { TransferStockUseCase } from './usecases/transfer-stock.usecase';

/**
 * Stock per (sku, warehouse). Where things happen:
 *  - frozen / committed / released: branches/stock-freeze.branch.ts (TCC participant `inventory`)
 *  - the fast path in front of it: gate/ (sold-out flag, Redis Lua)
 *  - admin stock operations: admin/; reads: stock/stock-queries.ts
 *  - Redis reset from MySQL: reconcile/
 * Only StockRepository touches `stock` and `stock_movement`; FreezeRepository `stock_freeze`
 * and `purchase_counter`; AlertRepository `stock_alert`.
 */
@Module({
  imports: [ProductModule, TccModule],
  controllers: [InventoryAdminController],
  providers: [
    StockRepository,
    FreezeRepository,
    AlertRepository,
    InventoryAuditRepository,
    LowStockAlerts,
    RedisStock,
    SoldOutFlags,
    Reconciler,
    { provide: RedisRowBuilder, useExisting: Reconciler },
    ReconcileJob,
    InventoryGate,
    StockSync,
    StockFreezeBranch,
    RestockBranch,
    InventoryParticipant,
    AdminStockChange,
    ReceiveStockUseCase,
    ShipStockUseCase,
    TakeStockUseCase,
    TransferStockUseCase,
    SetLowStockThresholdUseCase,
    StockQueries,
    StockAvailabilityReader,
    InventoryAuditCheck,
    StockChangeFeed,
    StockLevels,
  ],
  exports: [InventoryGate, ReconcileJob, Reconciler, StockChangeFeed, StockLevels],
})
export class InventoryModule {}
