import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { DomainError } from '@app/core';
import { BranchContext, TccParticipant, TccParticipantHandler } from '@app/tcc';
import type { InventoryBranchPayload } from '../inventory.types';
import { RestockBranch } from './restock.branch';
import { StockFreezeBranch } from './stock-freeze.branch';

export const INVENTORY_PARTICIPANT = 'inventory';

declare module '@app/tcc' {
  interface TccPayloads {
    [INVENTORY_PARTICIPANT]: InventoryBranchPayload;
  }
}

/**
 * TCC participant `inventory`: routes each branch to the handler of its kind. A checkout's
 * stock freeze: StockFreezeBranch; a refund's restock: RestockBranch.
 */
@Injectable()
@TccParticipant(INVENTORY_PARTICIPANT)
export class InventoryParticipant implements TccParticipantHandler<InventoryBranchPayload> {
  constructor(
    private readonly freeze: StockFreezeBranch,
    private readonly restock: RestockBranch,
  ) {}

  async try(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload?.kind === 'freeze') return this.freeze.try(em, ctx, payload);
    if (payload?.kind === 'restock') return this.restock.try(em, ctx, payload);
    throw DomainError.validation('An inventory branch is a freeze or a restock', {
      kind: (payload as { kind?: unknown } | null)?.kind,
    });
  }

  async confirm(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind === 'freeze') await this.freeze.confirm(em, ctx, payload);
    else await this.restock.confirm(em, ctx, payload);
  }

  async cancel(em: EntityManager, ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload?.kind === 'freeze') await this.freeze.cancel(em, ctx);
  }

  async afterCancel(ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload?.kind === 'freeze') await this.freeze.afterCancel(ctx, payload);
  }

  async afterConfirm(ctx: BranchContext, payload: InventoryBranchPayload): Promise<void> {
    if (payload.kind === 'freeze') await this.freeze.afterConfirm(ctx, payload);
    else await this.restock.afterConfirm(ctx, payload);
  }
}
