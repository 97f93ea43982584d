import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, DomainError, ErrorCode, newId } from '@app/core';
import { COUPON_PARTICIPANT, CouponService } from '@app/coupon';
import { INVENTORY_PARTICIPANT, InventoryGate } from '@app/inventory';
import { CatalogueCache } from '@app/product';
import { branchIdOf, BranchSpec, TccConflictError, TccCoordinator } from '@app/tcc';
import { ORDER_PARTICIPANT } from '../../branches/order.participant';
import type { OrderDto } from '../../dto/order.dto';
import { toOrderDto } from '../../order.mapper';
import { countOrderOutcome } from '../../order.metrics';
import type { NewOrder, OrderBranchPayload, OrderView } from '../../order.types';
import { OrderRepository } from '../../repositories/order.repository';
import { isSameRequest, priceCart, PricedCart } from './checkout-pricing';
import type { PlaceOrderCommand } from './place-order.command';

/**
 * Checkout: one `checkout` TCC transaction with branches coupon (freeze, if any), order (the
 * row, PENDING_PAYMENT) and inventory (freeze). It stays TRYING until pay, cancel or expiry.
 *
 * The hot path is mostly refusals, so they are taken before any MySQL work: prices and
 * warehouses from the in-process catalogue, then the stock gate (memory flag, Redis). Only
 * then do the tries run, all in one local transaction shared with concurrent checkouts of
 * the same stock rows (group commit): a refusal leaves no row behind and its Redis hold is
 * given back by the inventory branch's afterCancel.
 */
@Injectable()
export class PlaceOrderUseCase {
  private readonly logger = new Logger(PlaceOrderUseCase.name);

  constructor(
    private readonly catalogue: CatalogueCache,
    private readonly gate: InventoryGate,
    private readonly coupons: CouponService,
    private readonly coordinator: TccCoordinator,
    private readonly orders: OrderRepository,
    private readonly config: AppConfig,
  ) {}

  /** `replayed`: the key already had an order (its Redis record was lost), which is the answer. */
  async execute(cmd: PlaceOrderCommand): Promise<{ order: OrderDto; replayed: boolean }> {
    try {
      const earlier = cmd.keyMayHaveOrder ? await this.earlierOrder(cmd) : null;
      if (earlier) return { order: toOrderDto(earlier), replayed: true };
      const warehouse = await this.catalogue.requireWarehouse(cmd.warehouse ?? this.config.inventory.defaultWarehouse);
      const cart = priceCart(cmd.items, await this.catalogue.productsOf(cmd.items.map((i) => i.sku)));
      const txId = newId();
      await this.gate.reserve(branchIdOf(txId, INVENTORY_PARTICIPANT), warehouse, stockLines(cart));
      const { order, replayed } = await this.placeInTransaction(cmd, txId, warehouse, cart);
      if (!replayed) countOrderOutcome('placed');
      return { order: toOrderDto(order), replayed };
    } catch (err) {
      if (err instanceof DomainError) countOrderOutcome('refused', err.code);
      throw err;
    }
  }

  private async placeInTransaction(
    cmd: PlaceOrderCommand,
    txId: string,
    warehouse: string,
    cart: PricedCart,
  ): Promise<{ order: OrderView; replayed: boolean }> {
    const now = new Date();
    const deadlineAt = new Date(now.getTime() + this.config.order.paymentTimeoutSec * 1000);
    const couponCode = cmd.couponCode ?? null;
    let tried = false;
    try {
      const discountCents = couponCode
        ? Math.min(
            cart.totalCents,
            (await this.coupons.quote(cmd.userId, couponCode, cart.totalCents, now)).discountCents,
          )
        : 0;
      const order: NewOrder = {
        orderId: newId(),
        userId: cmd.userId,
        warehouse,
        couponCode,
        totalCents: cart.totalCents,
        discountCents,
        payableCents: cart.totalCents - discountCents,
        txId,
        idempotencyKey: cmd.idempotencyKey,
        expiresAt: deadlineAt.toISOString(),
        createdAt: now.toISOString(),
        items: cart.lines,
      };
      const branches: BranchSpec[] = [];
      if (couponCode)
        branches.push({
          participant: COUPON_PARTICIPANT,
          payload: { kind: 'use', userId: cmd.userId, code: couponCode },
        });
      branches.push({ participant: ORDER_PARTICIPANT, payload: { kind: 'place', order } satisfies OrderBranchPayload });
      branches.push({
        participant: INVENTORY_PARTICIPANT,
        payload: { kind: 'freeze', warehouse, userId: cmd.userId, lines: stockLines(cart) },
      });
      tried = true;
      await this.coordinator.beginWithBranches(
        { name: 'checkout', txId, deadlineAt, batchKey: stockBatchKey(warehouse, cart.lines) },
        branches,
      );
      return { order: viewOf(order), replayed: false };
    } catch (err) {
      // Refused before the tries (the coupon quote): the Redis hold is ours to give back. A
      // refused try gave it back already (the inventory branch's afterCancel).
      if (!tried) {
        await this.gate
          .releaseFreeze(
            branchIdOf(txId, INVENTORY_PARTICIPANT),
            warehouse,
            cart.lines.map((l) => l.sku),
          )
          .catch(() => undefined);
      }
      return { order: await this.existingOrderOr(cmd, warehouse, cart, err), replayed: true };
    }
  }
  /**
   * The order this key already placed, when Redis lost its record: the retry is answered with
   * it, before the gate could refuse it (sold out, limit reached, product since deactivated).
   */
  private async earlierOrder(cmd: PlaceOrderCommand): Promise<OrderView | null> {
    const existing = await this.orders.findByIdempotencyKey(cmd.userId, cmd.idempotencyKey);
    if (!existing) return null;
    // Skus and warehouse compare without case, as MySQL does; the order keeps the catalogue's spelling.
    const lower = (o: {
      items: Array<{ sku: string; qty: number }>;
      couponCode: string | null;
      warehouse: string;
    }) => ({
      items: o.items.map((i) => ({ sku: i.sku.toLowerCase(), qty: i.qty })),
      couponCode: o.couponCode,
      warehouse: o.warehouse.toLowerCase(),
    });
    const asked = {
      items: cmd.items,
      couponCode: cmd.couponCode ?? null,
      warehouse: cmd.warehouse ?? this.config.inventory.defaultWarehouse,
    };
    return this.replayOf(existing, cmd.userId, isSameRequest(lower(existing), lower(asked)));
  }

  /**
   * After a refusal: if this (user, Idempotency-Key) already has an order, the request is a
   * repeat whose Redis record was lost (the durable guard is the order's unique key), and the
   * existing order is the answer. Our own holds may be what refused it (coupon, user limit).
   */
  private async existingOrderOr(
    cmd: PlaceOrderCommand,
    warehouse: string,
    cart: PricedCart,
    err: unknown,
  ): Promise<OrderView> {
    const existing = await this.orders.findByIdempotencyKey(cmd.userId, cmd.idempotencyKey).catch(() => null);
    if (!existing && err instanceof TccConflictError) {
      // The checkout tx ended (deadline) before its last branch: no order was placed.
      throw new DomainError(
        ErrorCode.ORDER_STATE_CONFLICT,
        'The checkout ran out of time; no order was placed',
        err.details,
      );
    }
    if (!existing) throw err;
    // Compared in the catalogue's spelling of skus and warehouse, as the order stored them.
    const asked = { items: cart.lines, couponCode: cmd.couponCode ?? null, warehouse };
    return this.replayOf(existing, cmd.userId, isSameRequest(existing, asked));
  }

  /** A repeated checkout is answered with the order its key placed, if it asks the same. */
  private replayOf(existing: OrderView, userId: string, sameRequest: boolean): OrderView {
    if (!sameRequest) {
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'Idempotency-Key was already used with a different request',
      );
    }
    this.logger.log({ orderId: existing.orderId, userId }, 'repeated checkout answered with the existing order');
    return existing;
  }
}

/**
 * Checkouts of the same stock rows share a group commit: one UPDATE per row for all of them.
 * Lower-cased, as MySQL compares skus and warehouse codes.
 */
export function stockBatchKey(warehouse: string, lines: ReadonlyArray<{ sku: string }>): string {
  return `${warehouse.toLowerCase()}|${lines
    .map((l) => l.sku.toLowerCase())
    .sort()
    .join(',')}`;
}

function stockLines(cart: PricedCart): Array<{ sku: string; qty: number }> {
  return cart.lines.map(({ sku, qty }) => ({ sku, qty }));
}

function viewOf(o: NewOrder): OrderView {
  const createdAt = new Date(o.createdAt);
  return {
    ...o,
    status: 'PENDING_PAYMENT',
    refundTxId: null,
    expiresAt: new Date(o.expiresAt),
    createdAt,
    updatedAt: createdAt,
  };
}
