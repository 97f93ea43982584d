import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditRegistry, AuditViolation } from '@app/core';
import { TccCoordinator } from '@app/tcc';
import { InventoryAuditRepository } from './repositories/inventory-audit.repository';

/** Registers the inventory's checks with `GET /v1/admin/audit`: invariants 1, 2 and the stock part of 3. */
@Injectable()
export class InventoryAudit implements OnModuleInit {
  constructor(
    private readonly registry: AuditRegistry,
    private readonly queries: InventoryAuditRepository,
    private readonly coordinator: TccCoordinator,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: 'inventory: quantities', run: () => this.queries.quantityViolations() });
    this.registry.register({ name: 'inventory: freezes and ledger', run: () => this.queries.ledgerViolations() });
    this.registry.register({ name: 'inventory: freezes of finished transactions', run: () => this.frozenOfFinishedTx() });
  }

  /** Invariant 3 (stock part): a CONFIRMED or CANCELLED transaction holds no FROZEN stock. */
  async frozenOfFinishedTx(): Promise<AuditViolation[]> {
    const frozen = await this.queries.frozenFreezes();
    if (frozen.length === 0) return [];
    const statuses = await this.coordinator.statusesOf(frozen.map((f) => f.txId));
    return frozen
      .filter((f) => ['CONFIRMED', 'CANCELLED'].includes(statuses.get(f.txId) ?? ''))
      .map((f) => ({
        invariant: 3,
        sku: f.sku,
        warehouse: f.warehouse,
        detail: `freeze ${f.freezeId} is still FROZEN but its transaction is ${statuses.get(f.txId)}`,
      }));
  }
}
