import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows, isDuplicateKeyError } from '@app/core';
import { writeOrRun, type LocalUnit } from '@app/tcc';
import { PaymentRefundEntity } from '../entities/payment-refund.entity';
import { PaymentEntity, PaymentStatus } from '../entities/payment.entity';

export type NewPayment = Omit<PaymentEntity, 'createdAt' | 'updatedAt'>;
export type NewRefund = Omit<PaymentRefundEntity, 'createdAt'>;

const INSERT_PAYMENT = `INSERT INTO payment (payment_id, order_id, user_id, method, amount_cents, status, tx_id, branch_id, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`;
const insertParams = (p: NewPayment) => [
  p.paymentId,
  p.orderId,
  p.userId,
  p.method,
  p.amountCents,
  p.status,
  p.txId,
  p.branchId,
];
/** Params: to, branch id, from. */
const MOVE_BRANCH_PAYMENT = `UPDATE payment SET status = ?, updated_at = UTC_TIMESTAMP(3) WHERE branch_id = ? AND status = ?`;

/**
 * The only class that touches `payment` and `payment_refund`. Status changes are
 * compare-and-set UPDATEs (`WHERE status = <from>`), so a change happens at most once.
 */
@Injectable()
export class PaymentRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts. `duplicate` = a payment with this id exists; `order_already_paying` = the order
   * already has a payment that holds or took its money (PENDING, FROZEN, CAPTURED): the unique
   * key on live_order_id refuses a second one, so an order is never charged twice.
   */
  async insertPayment(em: EntityManager, p: NewPayment): Promise<'inserted' | 'duplicate' | 'order_already_paying'> {
    try {
      await em.query(INSERT_PAYMENT, insertParams(p));
      return 'inserted';
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      return String((err as Error).message).includes('uq_payment_live_order') ? 'order_already_paying' : 'duplicate';
    }
  }

  /**
   * The same insert, queued in the unit when there is one: `refusal` is thrown when the order
   * already has a live payment (or the branch its payment), which MySQL's unique keys say.
   */
  async insertPaymentOrRefuse(
    em: EntityManager,
    local: LocalUnit | undefined,
    p: NewPayment,
    refusal: () => Error,
  ): Promise<void> {
    await writeOrRun(em, local, INSERT_PAYMENT, insertParams(p), (err) =>
      isDuplicateKeyError(err, 'uq_payment_live_order') || isDuplicateKeyError(err, 'uq_payment_branch')
        ? refusal()
        : undefined,
    );
  }

  /** `transitionBranch` queued for a first confirm (`BranchContext.firstRun`): exactly one row moves. */
  queueTransitionBranch(
    local: LocalUnit,
    branchId: string,
    from: PaymentStatus,
    to: PaymentStatus,
    mismatch: () => Error,
  ): void {
    local.expect(MOVE_BRANCH_PAYMENT, [to, branchId, from], 1, mismatch);
  }

  findPayment(paymentId: string, em: EntityManager = this.dataSource.manager): Promise<PaymentEntity | null> {
    return em.getRepository(PaymentEntity).findOneBy({ paymentId });
  }

  findPaymentsOfOrder(orderId: string): Promise<PaymentEntity[]> {
    return this.dataSource.getRepository(PaymentEntity).find({ where: { orderId }, order: { createdAt: 'ASC' } });
  }

  /** The order's captured payment (an order is captured at most once). */
  findCapturedOfOrder(em: EntityManager, orderId: string): Promise<PaymentEntity | null> {
    return em.getRepository(PaymentEntity).findOneBy({ orderId, status: 'CAPTURED' });
  }

  /** Compare-and-set on the payment of a TCC branch. */
  async transitionBranch(
    em: EntityManager,
    branchId: string,
    from: PaymentStatus,
    to: PaymentStatus,
  ): Promise<boolean> {
    const result: unknown = await em.query(MOVE_BRANCH_PAYMENT, [to, branchId, from]);
    return affectedRows(result) === 1;
  }

  /** Compare-and-set by payment id. */
  async transition(
    em: EntityManager,
    paymentId: string,
    from: PaymentStatus,
    to: PaymentStatus,
    txId?: string,
  ): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE payment SET status = ?, tx_id = COALESCE(?, tx_id), updated_at = UTC_TIMESTAMP(3)
        WHERE payment_id = ? AND status = ?`,
      [to, txId ?? null, paymentId, from],
    );
    return affectedRows(result) === 1;
  }

  async insertRefund(em: EntityManager, r: NewRefund): Promise<void> {
    await em.query(
      `INSERT INTO payment_refund (refund_id, payment_id, order_id, user_id, amount_cents, reason, tx_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))`,
      [r.refundId, r.paymentId, r.orderId, r.userId, r.amountCents, r.reason, r.txId],
    );
  }

  /** For the audit: Σ wallet money captured by payments (captured, possibly refunded since) and Σ refunded to wallets. */
  async totals(em: EntityManager): Promise<{ capturedCents: bigint; refundedCents: bigint }> {
    const [row]: Array<Record<string, string | number>> = await em.query(
      `SELECT (SELECT COALESCE(SUM(amount_cents), 0) FROM payment
                WHERE method = 'WALLET' AND status IN ('CAPTURED', 'REFUNDED')) AS captured,
              (SELECT COALESCE(SUM(amount_cents), 0) FROM payment_refund) AS refunded`,
    );
    return { capturedCents: BigInt(row.captured), refundedCents: BigInt(row.refunded) };
  }

  /** For the audit: Σ FROZEN wallet payments per user (must equal the wallet's frozen_cents). */
  async frozenByUser(em: EntityManager): Promise<Map<string, bigint>> {
    const rows: Array<{ user_id: string; frozen: string | number }> = await em.query(
      `SELECT user_id, SUM(amount_cents) AS frozen FROM payment
        WHERE method = 'WALLET' AND status = 'FROZEN' GROUP BY user_id HAVING SUM(amount_cents) <> 0`,
    );
    return new Map(rows.map((r) => [r.user_id, BigInt(r.frozen)]));
  }

  /** For the audit: refunds that do not match a REFUNDED payment of at least their amount. */
  async findInconsistentRefunds(
    em: EntityManager,
  ): Promise<Array<{ refundId: string; paymentId: string; detail: string }>> {
    const rows: Array<{
      refund_id: string;
      payment_id: string;
      status: string | null;
      amount: string;
      paid: string | null;
    }> = await em.query(
      `SELECT r.refund_id, r.payment_id, p.status, r.amount_cents AS amount, p.amount_cents AS paid
           FROM payment_refund r LEFT JOIN payment p ON p.payment_id = r.payment_id
          WHERE p.payment_id IS NULL OR p.status <> 'REFUNDED' OR r.amount_cents > p.amount_cents`,
    );
    return rows.map((r) => ({
      refundId: r.refund_id,
      paymentId: r.payment_id,
      detail:
        r.status === null
          ? 'refund of an unknown payment'
          : `refund of ${r.amount} for a ${r.status} payment of ${r.paid}`,
    }));
  }

  /** For the audit: payments still holding money or waiting (FROZEN, PENDING), with their transaction. */
  async findOpen(
    em: EntityManager,
    limit: number,
  ): Promise<Array<{ paymentId: string; status: PaymentStatus; txId: string | null }>> {
    const rows: Array<{ payment_id: string; status: PaymentStatus; tx_id: string | null }> = await em.query(
      `SELECT payment_id, status, tx_id FROM payment WHERE status IN ('FROZEN', 'PENDING') ORDER BY created_at LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ paymentId: r.payment_id, status: r.status, txId: r.tx_id }));
  }
}
