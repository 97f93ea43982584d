import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AuditCheck, AuditRegistry, AuditViolation } from '@app/core';
import { isTerminal, TccCoordinator } from '@app/tcc';
import { PaymentRepository } from './repositories/payment.repository';
import { WalletRepository } from './repositories/wallet.repository';

const MAX_OPEN_CHECKED = 50_000;

/**
 * Invariant 6, "money is conserved" (docs/invariants.md#i6-money-is-conserved), defined over wallet money:
 *
 *   credited = balances + frozen + captured - refunded, where
 *   credited = Σ wallet_credit.amount_cents      (top-ups: all money that entered wallets from outside)
 *   balances = Σ wallet.balance_cents             (spendable)
 *   frozen   = Σ wallet.frozen_cents              (held by FROZEN wallet payments)
 *   captured = Σ amount of WALLET payments in CAPTURED or REFUNDED (left a wallet for an order, refunded or not)
 *   refunded = Σ payment_refund.amount_cents      (given back to wallets: order refunds of wallet or
 *                                                  gateway payments, and late gateway payments)
 *
 * A gateway payment's money never sat in a wallet, so it is not "captured"; when it is refunded
 * to the wallet it is both in a balance and in "refunded", which cancel out. Also checked: each
 * wallet's frozen_cents equals its FROZEN wallet payments, each refund belongs to a REFUNDED
 * payment of at least its amount (so refunds cannot mint money), and (invariant 3, settled orders hold nothing) no payment
 * is still FROZEN/PENDING when its transaction has ended. All sums come from one snapshot.
 */
@Injectable()
export class PaymentAuditCheck implements AuditCheck, OnModuleInit {
  readonly name = 'payment';

  constructor(
    private readonly registry: AuditRegistry,
    private readonly wallets: WalletRepository,
    private readonly paymentRows: PaymentRepository,
    private readonly coordinator: TccCoordinator,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async run(): Promise<AuditViolation[]> {
    const money = await this.dataSource.transaction('REPEATABLE READ', (em) => this.moneyViolations(em));
    return [...money, ...(await this.openPaymentViolations())];
  }

  private async moneyViolations(em: EntityManager): Promise<AuditViolation[]> {
    const w = await this.wallets.totals(em);
    const p = await this.paymentRows.totals(em);
    const violations: AuditViolation[] = [];
    const held = w.balanceCents + w.frozenCents + p.capturedCents - p.refundedCents;
    if (held !== w.creditedCents) {
      violations.push(
        violation(
          `money not conserved: credited ${w.creditedCents} != balances ${w.balanceCents} + frozen ${w.frozenCents}` +
            ` + captured ${p.capturedCents} - refunded ${p.refundedCents} (= ${held})`,
        ),
      );
    }
    const walletFrozen = await this.wallets.frozenByUser(em);
    const paymentFrozen = await this.paymentRows.frozenByUser(em);
    for (const userId of new Set([...walletFrozen.keys(), ...paymentFrozen.keys()])) {
      const inWallet = walletFrozen.get(userId) ?? 0n;
      const inPayments = paymentFrozen.get(userId) ?? 0n;
      if (inWallet !== inPayments) {
        violations.push(
          violation(`wallet of ${userId} has frozen ${inWallet} but its FROZEN payments total ${inPayments}`),
        );
      }
    }
    for (const r of await this.paymentRows.findInconsistentRefunds(em)) {
      violations.push(violation(`refund ${r.refundId} (payment ${r.paymentId}): ${r.detail}`));
    }
    return violations;
  }

  private async openPaymentViolations(): Promise<AuditViolation[]> {
    const open = await this.paymentRows.findOpen(this.dataSource.manager, MAX_OPEN_CHECKED);
    if (open.length === 0) return [];
    const statuses = await this.coordinator.statusesOf(open.flatMap((o) => (o.txId ? [o.txId] : [])));
    const suspects = open.filter((o) => !o.txId || isTerminal(statuses.get(o.txId)));
    if (suspects.length === 0) return [];
    // Re-read: a payment settled between the two reads is not a violation.
    const still = new Set(
      (await this.paymentRows.findOpen(this.dataSource.manager, MAX_OPEN_CHECKED)).map(
        (o) => `${o.paymentId}:${o.status}`,
      ),
    );
    return suspects
      .filter((o) => still.has(`${o.paymentId}:${o.status}`))
      .map((o) => ({
        invariant: 3,
        sku: null,
        warehouse: null,
        detail: `payment ${o.paymentId} is still ${o.status} but its tx ${o.txId ?? '(none)'} is ${
          o.txId ? (statuses.get(o.txId) ?? 'unknown') : 'missing'
        }`,
      }));
  }
}

function violation(detail: string): AuditViolation {
  return { invariant: 6, sku: null, warehouse: null, detail };
}
