import type { EntityManager } from 'typeorm';
import type { CouponBranchPayload } from '@app/coupon';
import type { FreezePayload, InventoryBranchPayload } from '@app/inventory';
import type { PaymentBranchPayload, WalletPaymentPayload } from '@app/payment';
import {
  branchIdOf,
  TCC_PARTICIPANT,
  TccParticipant,
  type BranchContext,
  type BranchSpec,
  type TccCoordinator,
  type TccParticipantHandler,
} from '@app/tcc';

/**
 * The typed TCC seam, checked by the compiler (`tsc` over libs and test): every line under a
 * `@ts-expect-error` must fail to compile, or the type check fails. Order is the lib that sees
 * every participant's payload, so the checks live here.
 */

const freeze: FreezePayload = { kind: 'freeze', warehouse: 'main', userId: 'u1', lines: [{ sku: 'SKU-1', qty: 1 }] };
const wallet: WalletPaymentPayload = { kind: 'wallet', userId: 'u1', orderId: 'o1', amountCents: 100 };

/** Never called: what matters is what compiles. */
export async function compileOnly(tcc: TccCoordinator): Promise<void> {
  await tcc.tryBranch('tx', 'inventory', freeze);
  await tcc.tryBranch('tx', 'payment', wallet, { key: 'wallet' });
  // @ts-expect-error a name no lib registered
  await tcc.tryBranch('tx', 'inventroy', freeze);
  // @ts-expect-error a payload of another participant
  await tcc.tryBranch('tx', 'payment', freeze);

  const branches: BranchSpec[] = [
    { participant: 'inventory', payload: freeze },
    // @ts-expect-error the coupon participant does not take a freeze
    { participant: 'coupon', payload: freeze },
  ];
  await tcc.beginWithBranches({ name: 'checkout' }, branches);
  await tcc.commit('tx', { atOnce: true, last: { participant: 'payment', key: 'wallet', payload: wallet } });
  // @ts-expect-error `last` checks its payload against its participant too
  await tcc.commit('tx', { atOnce: true, last: { participant: 'order', payload: wallet } });

  branchIdOf('tx', 'coupon');
  // @ts-expect-error branch ids are built from registered names only
  branchIdOf('tx', 'coupons');
}

class InventoryHandler implements TccParticipantHandler<InventoryBranchPayload> {
  async try(_em: EntityManager, _ctx: BranchContext, _p: InventoryBranchPayload): Promise<void> {}
  async confirm(): Promise<void> {}
  async cancel(): Promise<void> {}
}

class CouponHandler implements TccParticipantHandler<CouponBranchPayload> {
  async try(_em: EntityManager, _ctx: BranchContext, _p: CouponBranchPayload): Promise<void> {}
  async confirm(): Promise<void> {}
  async cancel(): Promise<void> {}
}

/** Handles one kind of payment only: not a handler of every `payment` payload. */
class WalletOnlyHandler implements TccParticipantHandler<WalletPaymentPayload> {
  async try(_em: EntityManager, _ctx: BranchContext, _p: WalletPaymentPayload): Promise<void> {}
  async confirm(): Promise<void> {}
  async cancel(): Promise<void> {}
}

class PaymentHandler implements TccParticipantHandler<PaymentBranchPayload> {
  async try(_em: EntityManager, _ctx: BranchContext, _p: PaymentBranchPayload): Promise<void> {}
  async confirm(): Promise<void> {}
  async cancel(): Promise<void> {}
}

describe('the typed TCC seam', () => {
  it('marks a handler of the matching payload with its participant name', () => {
    TccParticipant('inventory')(InventoryHandler);
    TccParticipant('payment')(PaymentHandler);
    expect(Reflect.getMetadata(TCC_PARTICIPANT, InventoryHandler)).toBe('inventory');
    expect(Reflect.getMetadata(TCC_PARTICIPANT, PaymentHandler)).toBe('payment');
  });

  it('does not compile a handler of another payload, or of only part of it', () => {
    // @ts-expect-error a coupon handler registered as `inventory`
    TccParticipant('inventory')(CouponHandler);
    // @ts-expect-error a handler of wallet payments only registered as `payment`
    TccParticipant('payment')(WalletOnlyHandler);
    // @ts-expect-error a name no lib registered
    TccParticipant('shipping')(PaymentHandler);
    expect(typeof compileOnly).toBe('function');
  });
});
