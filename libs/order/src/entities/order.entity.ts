import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';
import type { OrderStatus } from '../order-state-machine';

@Entity('orders')
export class OrderEntity {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 26 }) orderId: string;
  @Column({ name: 'user_id', type: 'varchar', length: 64 }) userId: string;
  @Column({ type: 'enum', enum: ['PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'REFUNDED'] }) status: OrderStatus;
  @Column({ type: 'varchar', length: 32 }) warehouse: string;
  @Column({ name: 'coupon_code', type: 'varchar', length: 64, nullable: true }) couponCode: string | null;
  @Column({ name: 'total_cents', type: 'bigint', transformer: bigintToNumber }) totalCents: number;
  @Column({ name: 'discount_cents', type: 'bigint', transformer: bigintToNumber }) discountCents: number;
  @Column({ name: 'payable_cents', type: 'bigint', transformer: bigintToNumber }) payableCents: number;
  @Column({ name: 'tx_id', type: 'varchar', length: 26 }) txId: string;
  @Column({ name: 'refund_tx_id', type: 'varchar', length: 26, nullable: true }) refundTxId: string | null;
  @Column({ name: 'idempotency_key', type: 'varchar', length: 128 }) idempotencyKey: string;
  @Column({ name: 'expires_at', type: 'datetime', precision: 3 }) expiresAt: Date;
  @Column({ name: 'pay_lock_token', type: 'varchar', length: 26, nullable: true }) payLockToken: string | null;
  @Column({ name: 'pay_lock_until', type: 'datetime', precision: 3, nullable: true }) payLockUntil: Date | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'datetime', precision: 3 }) updatedAt: Date;
}
