import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditCheck, AuditRegistry, AuditViolation } from '@app/core';
import { isTerminal, TccCoordinator } from '@app/tcc';
import { InventoryAuditRepository } from './repositories/inventory-audit.repository';

/** The inventory's checks for `GET /v1/admin/audit`: invariants 1, 2 and the stock part of 3 (docs/invariants.md). */
@Injectable()
export class InventoryAuditCheck implements AuditCheck, OnModuleInit {
  readonly name = 'inventory';

  constructor(
    private readonly registry: AuditRegistry,
    private readonly queries: InventoryAuditRepository,
    private readonly coordinator: TccCoordinator,
  ) {}

  onModuleInit(): void {
    this.registry.register(this);
  }

  async run(): Promise<AuditViolation[]> {
    const [quantities, ledger, finished] = await Promise.all([
      this.queries.quantityViolations(),
      this.queries.ledgerViolations(),
      this.frozenOfFinishedTx(),
    ]);
    return [...quantities, ...ledger, ...finished];
  }

  /**
   * Invariant 3, "settled orders hold nothing" (docs/invariants.md#i3-settled-orders-hold-nothing),
   * stock part: a CONFIRMED or CANCELLED transaction holds no FROZEN stock.
   */
  private async frozenOfFinishedTx(): Promise<AuditViolation[]> {
    const frozen = await this.queries.frozenFreezes();
    if (frozen.length === 0) return [];
    const statuses = await this.coordinator.statusesOf(frozen.map((f) => f.txId));
    return frozen
      .filter((f) => isTerminal(statuses.get(f.txId)))
      .map((f) => ({
        invariant: 3,
        sku: f.sku,
        warehouse: f.warehouse,
        detail: `freeze ${f.freezeId} is still FROZEN but its transaction is ${statuses.get(f.txId)}`,
      }));
  }
}
