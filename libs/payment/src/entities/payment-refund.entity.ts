import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';

export type RefundReason = 'ORDER_REFUND' | 'LATE_PAYMENT';

/** Money given back to the user's wallet for one payment (unique per payment). */
@Entity('payment_refund')
export class PaymentRefundEntity {
  @PrimaryColumn({ name: 'refund_id', type: 'varchar', length: 26 }) refundId: string;
  @Column({ name: 'payment_id', type: 'varchar', length: 128 }) paymentId: string;
  @Column({ name: 'order_id', type: 'varchar', length: 64 }) orderId: string;
  @Column({ name: 'user_id', type: 'varchar', length: 64 }) userId: string;
  @Column({ name: 'amount_cents', type: 'bigint', transformer: bigintToNumber }) amountCents: number;
  @Column({ type: 'enum', enum: ['ORDER_REFUND', 'LATE_PAYMENT'] }) reason: RefundReason;
  @Column({ name: 'tx_id', type: 'varchar', length: 64, nullable: true }) txId: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
}
