import { Module } from '@nestjs/common';
import { ProductModule } from '@app/product';
import { TccModule } from '@app/tcc';
import { AdminStockChange } from './admin/admin-stock-change';
import { ReceiveStock } from './admin/receive-stock';
import { SetLowStockThreshold } from './admin/set-low-stock-threshold';
import { ShipStock } from './admin/ship-stock';
import { TakeStock } from './admin/take-stock';
import { TransferStock } from './admin/transfer-stock';
import { AlertRepository } from './alerts/alert.repository';
import { LowStockAlerts } from './alerts/low-stock-alerts';
import { InventoryAudit } from './audit/inventory.audit';
import { InventoryAuditRepository } from './audit/inventory-audit.repository';
import { CatalogueLookup } from './catalogue/catalogue-lookup';
import { InventoryGate } from './gate/inventory-gate';
import { RedisStock } from './gate/redis-stock';
import { SoldOutFlags } from './gate/sold-out-flags';
import { InventoryParticipant } from './branches/inventory.participant';
import { RestockBranch } from './branches/restock.branch';
import { StockFreezeBranch } from './branches/stock-freeze.branch';
import { InventoryAdminController } from './inventory.admin.controller';
import { ReconcileJob } from './reconcile/reconcile.job';
import { FreezeRepository } from './repositories/freeze.repository';
import { Reconciler } from './reconcile/reconciler';
import { StockAvailabilityReader } from './stock/stock-availability.source';
import { StockQueries } from './stock/stock-queries';
import { StockRepository } from './stock/stock.repository';
import { StockSync } from './stock/stock-sync';
import { StockLevels } from './stock/stock-levels';
import { StockChangeFeed } from './notices/stock-change-feed';

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
    CatalogueLookup,
    LowStockAlerts,
    RedisStock,
    SoldOutFlags,
    Reconciler,
    ReconcileJob,
    InventoryGate,
    StockSync,
    StockFreezeBranch,
    RestockBranch,
    InventoryParticipant,
    AdminStockChange,
    ReceiveStock,
    ShipStock,
    TakeStock,
    TransferStock,
    SetLowStockThreshold,
    StockQueries,
    StockAvailabilityReader,
    InventoryAudit,
    StockChangeFeed,
    StockLevels,
  ],
  exports: [InventoryGate, ReconcileJob, Reconciler, StockChangeFeed, StockLevels],
})
export class InventoryModule {}
