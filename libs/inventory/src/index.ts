import { Inventory1700000003000 } from './migrations/1700000003000-inventory';

// Public API of the inventory module. Other modules import from '@app/inventory' only.
export { InventoryModule } from './inventory.module';
export { InventoryGate } from './gate/inventory-gate';
export { INVENTORY_PARTICIPANT } from './branches/inventory.participant';
export { ReconcileJob } from './jobs/reconcile.job';
export { Reconciler, type ReconcileReport } from './reconcile/reconciler';
export {
  StockChangeFeed,
  type StockChange,
  type StockChangeCause,
  type StockRefusal,
  type AlertNotice,
} from './alerts/stock-change-feed';
export { StockLevels, type StockLevel } from './usecases/stock-levels';
export type { InventoryBranchPayload, FreezePayload, RestockPayload, StockLine } from './inventory.types';

export const INVENTORY_MIGRATIONS = [Inventory1700000003000];
