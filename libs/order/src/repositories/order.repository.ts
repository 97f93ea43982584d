import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In } from 'typeorm';
import { affectedRows, DomainError, ErrorCode, isDuplicateKeyError } from '@app/core';
import { expectOrRun, writeOrRun, type LocalUnit } from '@app/tcc';
import { OrderItemEntity } from '../entities/order-item.entity';
import { OrderEntity } from '../entities/order.entity';
import { assertOrderTransition, OrderStatus } from '../order-state-machine';
import type { NewOrder, OrderView } from '../order.types';

interface RawOrderWithItem {
  order_id: string;
  user_id: string;
  status: OrderStatus;
  warehouse: string;
  coupon_code: string | null;
  total_cents: number | string;
  discount_cents: number | string;
  payable_cents: number | string;
  tx_id: string;
  refund_tx_id: string | null;
  idempotency_key: string;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  sku: string | null;
  qty: number | string | null;
  unit_price_cents: number | string | null;
}

/** Refusal of the order try when (user, Idempotency-Key) already has an order: the durable idempotency guard. */
export const DUPLICATE_IDEMPOTENCY_KEY = 'DUPLICATE_IDEMPOTENCY_KEY';

/** The only class that touches the `orders` and `order_item` tables. */
@Injectable()
export class OrderRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inside the order participant's try: the order row and its items, or a refusal on a duplicate key. */
  async insertOrder(em: EntityManager, order: NewOrder, local?: LocalUnit): Promise<void> {
    const items = order.items.map(() => '(?, ?, ?, ?)').join(', ');
    // The order row, then its items; queued with the rest of the checkout's rows when there is a unit.
    await writeOrRun(
      em,
      local,
      `INSERT INTO orders (order_id, user_id, status, warehouse, coupon_code, total_cents, discount_cents, payable_cents,
                           tx_id, idempotency_key, expires_at, created_at, updated_at)
         VALUES (?, ?, 'PENDING_PAYMENT', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);
       INSERT INTO order_item (order_id, sku, qty, unit_price_cents) VALUES ${items}`,
      [
        order.orderId,
        order.userId,
        order.warehouse,
        order.couponCode,
        order.totalCents,
        order.discountCents,
        order.payableCents,
        order.txId,
        order.idempotencyKey,
        new Date(order.expiresAt),
        new Date(order.createdAt),
        new Date(order.createdAt),
        ...order.items.flatMap((i) => [order.orderId, i.sku, i.qty, i.unitPriceCents]),
      ],
      (err) =>
        isDuplicateKeyError(err, 'uq_orders_user_idempotency')
          ? new DomainError(ErrorCode.CONFLICT, 'An order with this Idempotency-Key already exists', {
              reason: DUPLICATE_IDEMPOTENCY_KEY,
            })
          : undefined,
    );
  }

  /** Compare-and-set of the status along a legal transition; false when the order was not in `from`. */
  async transition(em: EntityManager, orderId: string, from: OrderStatus, to: OrderStatus): Promise<boolean> {
    assertOrderTransition(from, to);
    const result: unknown = await em.query(
      `UPDATE orders SET status = ?, updated_at = UTC_TIMESTAMP(3) WHERE order_id = ? AND status = ?`,
      [to, orderId, from],
    );
    return affectedRows(result) === 1;
  }

  /** The same transition, decided with the local unit's writes when there is one; `mismatch()` if the order was not in `from`. */
  async transitionOrFail(
    em: EntityManager,
    local: LocalUnit | undefined,
    orderId: string,
    from: OrderStatus,
    to: OrderStatus,
    mismatch: () => Error,
  ): Promise<void> {
    assertOrderTransition(from, to);
    await expectOrRun(
      em,
      local,
      `UPDATE orders SET status = ?, updated_at = UTC_TIMESTAMP(3) WHERE order_id = ? AND status = ?`,
      [to, orderId, from],
      1,
      mismatch,
    );
  }

  /** For the refund try: the order is PAID and this refund transaction holds its refund claim. */
  async isRefundClaimedBy(em: EntityManager, orderId: string, refundTxId: string): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM orders WHERE order_id = ? AND status = 'PAID' AND refund_tx_id = ?`,
      [orderId, refundTxId],
    );
    return rows.length === 1;
  }

  async findById(orderId: string): Promise<OrderView | null> {
    return this.findOne('o.order_id = ?', [orderId]);
  }

  async findOwn(userId: string, orderId: string): Promise<OrderView | null> {
    return this.findOne('o.order_id = ? AND o.user_id = ?', [orderId, userId]);
  }

  async findByIdempotencyKey(userId: string, idempotencyKey: string): Promise<OrderView | null> {
    return this.findOne('o.user_id = ? AND o.idempotency_key = ?', [userId, idempotencyKey]);
  }

  /** One order with its items: one round trip, plain rows (the hot paths hydrate no entities). */
  private async findOne(where: string, args: unknown[]): Promise<OrderView | null> {
    const rows: RawOrderWithItem[] = await this.dataSource.query(
      `SELECT o.order_id, o.user_id, o.status, o.warehouse, o.coupon_code, o.total_cents, o.discount_cents, o.payable_cents,
              o.tx_id, o.refund_tx_id, o.idempotency_key, o.expires_at, o.created_at, o.updated_at,
              i.sku, i.qty, i.unit_price_cents
         FROM orders o LEFT JOIN order_item i ON i.order_id = o.order_id
        WHERE ${where} ORDER BY i.sku`,
      args,
    );
    if (rows.length === 0) return null;
    const r = rows[0];
    return {
      orderId: r.order_id,
      userId: r.user_id,
      status: r.status,
      warehouse: r.warehouse,
      couponCode: r.coupon_code,
      totalCents: Number(r.total_cents),
      discountCents: Number(r.discount_cents),
      payableCents: Number(r.payable_cents),
      txId: r.tx_id,
      refundTxId: r.refund_tx_id,
      idempotencyKey: r.idempotency_key,
      expiresAt: new Date(r.expires_at),
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      items: rows
        .filter((i) => i.sku !== null)
        .map((i) => ({ sku: i.sku!, qty: Number(i.qty), unitPriceCents: Number(i.unit_price_cents) })),
    };
  }

  async findPage(
    userId: string,
    status: OrderStatus | undefined,
    limit: number,
    offset: number,
  ): Promise<[OrderView[], number]> {
    const [rows, total] = await this.dataSource.getRepository(OrderEntity).findAndCount({
      where: status ? { userId, status } : { userId },
      order: { createdAt: 'DESC', orderId: 'DESC' },
      take: limit,
      skip: offset,
    });
    return [await this.withItems(rows), total];
  }

  /**
   * Takes the order's payment lock (one payment attempt at a time per order) if it is free
   * or its lease ran out. False when another attempt holds it or the order is not payable.
   */
  async claimPaymentLock(orderId: string, token: string, leaseSec: number): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE orders SET pay_lock_token = ?, pay_lock_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND
        WHERE order_id = ? AND status = 'PENDING_PAYMENT' AND (pay_lock_until IS NULL OR pay_lock_until < UTC_TIMESTAMP(3))`,
      [token, leaseSec, orderId],
    );
    return affectedRows(result) === 1;
  }

  async releasePaymentLock(orderId: string, token: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE orders SET pay_lock_token = NULL, pay_lock_until = NULL WHERE order_id = ? AND pay_lock_token = ?`,
      [orderId, token],
    );
  }

  /** Claims the refund of a PAID order for `newTxId`, replacing `expected` (null, or a refund tx that failed). */
  async claimRefund(orderId: string, expected: string | null, newTxId: string): Promise<boolean> {
    const result: unknown = await this.dataSource.query(
      `UPDATE orders SET refund_tx_id = ?, updated_at = UTC_TIMESTAMP(3)
        WHERE order_id = ? AND status = 'PAID' AND refund_tx_id <=> ?`,
      [newTxId, orderId, expected],
    );
    return affectedRows(result) === 1;
  }

  /** A chunk of orders (keyset by id) for the audit. */
  /** `oldSec`: `old` says the order last changed more than that long ago (its tx may be purged). */
  async scanOrders(
    afterOrderId: string,
    limit: number,
    oldSec = 0,
  ): Promise<Array<Pick<OrderView, 'orderId' | 'status' | 'txId' | 'refundTxId' | 'warehouse'> & { old: boolean }>> {
    const rows: Array<{
      order_id: string;
      status: OrderStatus;
      tx_id: string;
      refund_tx_id: string | null;
      warehouse: string;
      old: number;
    }> = await this.dataSource.query(
      `SELECT order_id, status, tx_id, refund_tx_id, warehouse,
                updated_at < DATE_SUB(UTC_TIMESTAMP(3), INTERVAL ? SECOND) AS old
           FROM orders WHERE order_id > ? ORDER BY order_id LIMIT ?`,
      [oldSec, afterOrderId, limit],
    );
    return rows.map((r) => ({
      orderId: r.order_id,
      status: r.status,
      txId: r.tx_id,
      refundTxId: r.refund_tx_id,
      warehouse: r.warehouse,
      old: Number(r.old) === 1,
    }));
  }

  /** A chunk of (user, Idempotency-Key) of checkouts, keyset by id (ids sort by creation time). */
  async checkoutKeysAfter(
    afterOrderId: string,
    limit: number,
  ): Promise<Array<{ orderId: string; userId: string; idempotencyKey: string; createdAt: Date }>> {
    const rows: Array<{ order_id: string; user_id: string; idempotency_key: string; created_at: Date }> =
      await this.dataSource.query(
        `SELECT order_id, user_id, idempotency_key, created_at FROM orders WHERE order_id > ? ORDER BY order_id LIMIT ?`,
        [afterOrderId, limit],
      );
    return rows.map((r) => ({
      orderId: r.order_id,
      userId: r.user_id,
      idempotencyKey: r.idempotency_key,
      createdAt: r.created_at,
    }));
  }

  private async withItems(rows: OrderEntity[]): Promise<OrderView[]> {
    if (rows.length === 0) return [];
    const items = await this.dataSource
      .getRepository(OrderItemEntity)
      .find({ where: { orderId: In(rows.map((r) => r.orderId)) }, order: { sku: 'ASC' } });
    return rows.map((r) => ({
      orderId: r.orderId,
      userId: r.userId,
      status: r.status,
      warehouse: r.warehouse,
      couponCode: r.couponCode,
      totalCents: r.totalCents,
      discountCents: r.discountCents,
      payableCents: r.payableCents,
      txId: r.txId,
      refundTxId: r.refundTxId,
      idempotencyKey: r.idempotencyKey,
      expiresAt: r.expiresAt,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      items: items
        .filter((i) => i.orderId === r.orderId)
        .map((i) => ({ sku: i.sku, qty: i.qty, unitPriceCents: i.unitPriceCents })),
    }));
  }
}
