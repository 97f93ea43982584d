import { Injectable } from '@nestjs/common';
import { AppConfig, createValidationPipe, DomainError, EarlyRefusal } from '@app/core';
import { InventoryGate } from '@app/inventory';
import { PlaceOrderDto } from '../../dto/order.dto';
import { countOrderOutcome } from '../../order.metrics';

/**
 * The flash-sale flood's answer, taken before any idempotency work: a checkout naming a sku
 * this instance knows is sold out (the gate's in-process flag) is refused from memory. Only a
 * body that would pass validation is refused here, so a bad one still gets its 400.
 */
@Injectable()
export class CheckoutEarlyRefusal implements EarlyRefusal {
  private readonly validation = createValidationPipe();

  constructor(
    private readonly gate: InventoryGate,
    private readonly config: AppConfig,
  ) {}

  async refusal(request: { body: unknown }): Promise<DomainError | null> {
    const body = request.body as { items?: unknown; warehouse?: unknown } | null;
    if (!body || !Array.isArray(body.items)) return null;
    const warehouse = typeof body.warehouse === 'string' ? body.warehouse : this.config.inventory.defaultWarehouse;
    const lines = (body.items as Array<{ sku?: unknown; qty?: unknown } | null>).map((i) => ({ sku: String(i?.sku), qty: Number(i?.qty) }));
    const refusal = this.gate.soldOutRefusal(warehouse, lines);
    if (!refusal) return null;
    try {
      await this.validation.transform(body, { type: 'body', metatype: PlaceOrderDto });
    } catch {
      return null;
    }
    countOrderOutcome('refused', refusal.code);
    return refusal;
  }
}
