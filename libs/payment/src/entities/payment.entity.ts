import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';

export type PaymentMethod = 'WALLET' | 'EXTERNAL';

/**
 * WALLET:   FROZEN (try) → CAPTURED (confirm) | FAILED (cancel); CAPTURED → REFUNDED (refund tx).
 * EXTERNAL: PENDING (try) → CAPTURED (confirm) | REFUNDED (cancel: the gateway has the money, it goes to
 *           the wallet); CAPTURED → REFUNDED (refund tx); a success for an order no longer payable is
 *           recorded directly as REFUNDED (late payment). (recordLatePayment would
 *           still refund a FAILED external payment, should one exist.)
 */
export type PaymentStatus = 'PENDING' | 'FROZEN' | 'CAPTURED' | 'FAILED' | 'REFUNDED';

@Entity('payment')
export class PaymentEntity {
  @PrimaryColumn({ name: 'payment_id', type: 'varchar', length: 128 }) paymentId: string;
  @Column({ name: 'order_id', type: 'varchar', length: 64 }) orderId: string;
  @Column({ name: 'user_id', type: 'varchar', length: 64 }) userId: string;
  @Column({ type: 'enum', enum: ['WALLET', 'EXTERNAL'] }) method: PaymentMethod;
  @Column({ name: 'amount_cents', type: 'bigint', transformer: bigintToNumber }) amountCents: number;
  @Column({ type: 'enum', enum: ['PENDING', 'FROZEN', 'CAPTURED', 'FAILED', 'REFUNDED'] }) status: PaymentStatus;
  @Column({ name: 'tx_id', type: 'varchar', length: 64, nullable: true }) txId: string | null;
  @Column({ name: 'branch_id', type: 'varchar', length: 200, nullable: true }) branchId: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'datetime', precision: 3 }) updatedAt: Date;
}
