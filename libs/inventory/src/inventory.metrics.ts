import { counter, gauge } from '@app/core';

/** Reservations by outcome and by the level of the gate that decided (memory / redis / mysql). */
export const reservationsTotal = counter({
  name: 'inventory_reservations_total',
  help: 'Stock reservations by outcome and deciding level (memory = sold-out flag, redis = Lua gate, mysql = conditional UPDATE)',
  labelNames: ['outcome', 'level'] as const,
});

/** Requests the gate let through to MySQL without a Redis decision, by reason. */
export const gatePassThroughTotal = counter({
  name: 'inventory_gate_passthrough_total',
  help: 'Reservations the Redis gate passed to MySQL undecided (redis_down, key_missing, row_busy, redis_error)',
  labelNames: ['reason'] as const,
});

/** Its switches are counted once, for the whole instance, by redis_mode_changes_total (core). */
export const gateMode = gauge({
  name: 'inventory_gate_redis_mode',
  help: '1 while the inventory gate uses Redis, 0 while it runs MySQL-only',
});

export const lowStockAlertsTotal = counter({
  name: 'inventory_low_stock_alerts_total',
  help: 'Low-stock alerts opened and resolved',
  labelNames: ['change'] as const,
});

export const reconcileRowsTotal = counter({
  name: 'inventory_reconcile_rows_total',
  help: 'Rows checked by Redis reconciliation, by result (in_sync, fixed, busy, failed)',
  labelNames: ['result'] as const,
});

export const stockOperationsTotal = counter({
  name: 'inventory_stock_operations_total',
  help: 'Admin stock operations and TCC stock changes applied, by reason',
  labelNames: ['reason'] as const,
});

/** Admin stock changes written as a compare-and-set: a row that moved between their read and their write runs them again. */
export const adminStockRetriesTotal = counter({
  name: 'inventory_admin_stock_retries_total',
  help: 'Admin stock changes run again because a stock row moved between their read and their write (the last attempt reads it locked)',
});
