import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig, AuditCheck, AuditRegistry, AuditViolation } from '@app/core';
import { TccCoordinator, TxStatus } from '@app/tcc';
import type { OrderStatus } from './order-state-machine';
import { OrderRepository } from './repositories/order.repository';

const CHUNK = 1000;

/** The checkout (and refund) tx status each order status requires (invariant 3, docs/invariants.md#i3-settled-orders-hold-nothing). */
const REQUIRED: Record<OrderStatus, { checkout: TxStatus[]; refund?: TxStatus[] }> = {
  // TRYING while payable; CONFIRMING/CANCELLING only for the moment a pay/cancel/expiry is finishing.
  PENDING_PAYMENT: { checkout: ['TRYING', 'CONFIRMING', 'CANCELLING'] },
  PAID: { checkout: ['CONFIRMED'] },
  CANCELLED: { checkout: ['CANCELLED'] },
  EXPIRED: { checkout: ['CANCELLED'] },
  REFUNDED: { checkout: ['CONFIRMED'], refund: ['CONFIRMED'] },
};

/**
 * Invariant 3, "settled orders hold nothing" (docs/invariants.md#i3-settled-orders-hold-nothing),
 * over the orders table: a PAID order's checkout tx is CONFIRMED (all its branches confirmed),
 * a CANCELLED/EXPIRED order's is CANCELLED (nothing held), a REFUNDED order's refund tx is
 * CONFIRMED, and a pending order's tx has not ended without it.
 */
@Injectable()
export class OrderAuditCheck implements AuditCheck, OnModuleInit {
  readonly name = 'orders-match-their-transactions';

  constructor(
    private readonly orders: OrderRepository,
    private readonly coordinator: TccCoordinator,
    private readonly registry: AuditRegistry,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async run(): Promise<AuditViolation[]> {
    const violations: AuditViolation[] = [];
    for (let after = ''; ;) {
      // A finished tx is purged after its retention; its order ended with it (same or earlier change).
      const chunk = await this.orders.scanOrders(after, CHUNK, this.config.tcc.txRetentionSec);
      if (chunk.length === 0) break;
      after = chunk[chunk.length - 1].orderId;
      const ids = chunk.flatMap((o) => (o.refundTxId ? [o.txId, o.refundTxId] : [o.txId]));
      const statuses = await this.coordinator.statusesOf(ids);
      for (const o of chunk) {
        const required = REQUIRED[o.status];
        const purged = o.old && o.status !== 'PENDING_PAYMENT';
        const checkout = statuses.get(o.txId);
        if (purged && !checkout && (!o.refundTxId || !statuses.get(o.refundTxId))) continue;
        if (!checkout || !required.checkout.includes(checkout)) {
          violations.push({
            invariant: 3,
            sku: null,
            warehouse: o.warehouse,
            detail: `order ${o.orderId} is ${o.status} but its checkout tx ${o.txId} is ${checkout ?? 'missing'}`,
          });
        }
        if (required.refund) {
          const refund = o.refundTxId ? statuses.get(o.refundTxId) : undefined;
          if (!refund || !required.refund.includes(refund)) {
            violations.push({
              invariant: 3,
              sku: null,
              warehouse: o.warehouse,
              detail: `order ${o.orderId} is REFUNDED but its refund tx ${o.refundTxId ?? '(none)'} is ${refund ?? 'missing'}`,
            });
          }
        }
      }
      if (chunk.length < CHUNK) break;
    }
    return violations;
  }
}
