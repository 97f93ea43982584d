import { Injectable } from '@nestjs/common';
import { AppConfig, createValidationPipe, DomainError, EarlyRefusal } from '@app/core';
import { InventoryGate } from '@app/inventory';
import { PlaceOrderDto } from '../../dto/order.dto';
import { countOrderOutcome } from '../../order.metrics';

/** Bodies seen valid, by their JSON text: a flood repeats a handful of bodies, and validating one costs more than the rest of the refusal. */
const MAX_REMEMBERED_BODIES = 10_000;

/**
 * The flash-sale flood's answer, taken before any idempotency work: a checkout naming a sku
 * this instance knows is sold out (the gate's in-process flag) is refused from memory. Only a
 * body that would pass validation is refused here, so a bad one still gets its 400.
 */
@Injectable()
export class CheckoutEarlyRefusal implements EarlyRefusal {
  private readonly validation = createValidationPipe();
  private readonly validBodies = new Set<string>();

  constructor(
    private readonly gate: InventoryGate,
    private readonly config: AppConfig,
  ) {}

  async refusal(request: { body: unknown }): Promise<DomainError | null> {
    const body = request.body as { items?: unknown; warehouse?: unknown } | null;
    if (!body || !Array.isArray(body.items)) return null;
    const warehouse = typeof body.warehouse === 'string' ? body.warehouse : this.config.inventory.defaultWarehouse;
    const lines = (body.items as Array<{ sku?: unknown; qty?: unknown } | null>).map((i) => ({
      sku: String(i?.sku),
      qty: Number(i?.qty),
    }));
    const refusal = this.gate.peekSoldOut(warehouse, lines);
    if (!refusal) return null;
    return (await this.isValid(body)) ? refusal : null;
  }

  refused(error: DomainError): void {
    this.gate.countSoldOutRefusal(error);
    countOrderOutcome('refused', error.code);
  }

  private async isValid(body: object): Promise<boolean> {
    const text = JSON.stringify(body);
    if (this.validBodies.has(text)) return true;
    try {
      await this.validation.transform(body, { type: 'body', metatype: PlaceOrderDto });
    } catch {
      return false;
    }
    if (this.validBodies.size >= MAX_REMEMBERED_BODIES) this.validBodies.clear();
    this.validBodies.add(text);
    return true;
  }
}
