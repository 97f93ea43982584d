import type { RowKey } from '../inventory.types';

/**
 * Builds a row's Redis value from MySQL when the gate finds none. Reconciliation provides it
 * (`Reconciler.initRow`); the gate only knows this shape, so gate/ does not import reconcile/.
 */
export abstract class RedisRowBuilder {
  abstract initRow(key: RowKey): Promise<unknown>;
}
