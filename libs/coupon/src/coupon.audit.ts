import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditCheck, AuditRegistry, AuditViolation } from '@app/core';
import { isTerminal, TccCoordinator } from '@app/tcc';
import { CouponRepository } from './repositories/coupon.repository';

/** FROZEN coupons are bounded by the open checkouts; this caps one audit's work. */
const MAX_FROZEN_CHECKED = 50_000;

/**
 * Invariant 3, "settled orders hold nothing" (docs/invariants.md#i3-settled-orders-hold-nothing),
 * coupon part: a coupon is FROZEN only while its checkout is open. A FROZEN coupon of a
 * CONFIRMED tx should be USED, one of a CANCELLED tx AVAILABLE again.
 */
@Injectable()
export class CouponAuditCheck implements AuditCheck, OnModuleInit {
  readonly name = 'coupon';

  constructor(
    private readonly registry: AuditRegistry,
    private readonly coupons: CouponRepository,
    private readonly coordinator: TccCoordinator,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async run(): Promise<AuditViolation[]> {
    const frozen = await this.coupons.findFrozen(MAX_FROZEN_CHECKED);
    if (frozen.length === 0) return [];
    const statuses = await this.coordinator.statusesOf(frozen.flatMap((c) => (c.txId ? [c.txId] : [])));
    const suspects = frozen.filter((c) => !c.txId || isTerminal(statuses.get(c.txId)));
    if (suspects.length === 0) return [];
    // Re-read: a coupon confirmed or released between the two reads is not a violation.
    const still = new Set(
      (await this.coupons.findFrozen(MAX_FROZEN_CHECKED)).map((c) => `${c.userId}\u0000${c.code}\u0000${c.txId}`),
    );
    return suspects
      .filter((c) => still.has(`${c.userId}\u0000${c.code}\u0000${c.txId}`))
      .map((c) => ({
        invariant: 3,
        sku: null,
        warehouse: null,
        detail: `coupon ${c.code} of user ${c.userId} is FROZEN by tx ${c.txId ?? '(none)'} which is ${
          c.txId ? (statuses.get(c.txId) ?? 'unknown') : 'missing'
        }`,
      }));
  }
}
