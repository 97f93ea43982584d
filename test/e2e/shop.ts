import { ulid } from 'ulid';
import { signWebhookBody } from '@app/payment';
import { TccRecoveryJob } from '@app/tcc';
import type { HttpResult, TestApp } from '../helpers/test-app';
import { WEBHOOK_SECRET } from '../helpers/test-env';

export interface Line {
  sku: string;
  qty: number;
}

/** Store-level steps over HTTP for the end-to-end tests (admin seeding, storefront flows, checks). */
export class Shop {
  constructor(readonly t: TestApp) {}

  async product(sku: string, priceCents: number, extra: Record<string, unknown> = {}): Promise<void> {
    const res = await this.t.request('POST', '/v1/admin/products', {
      body: { sku, name: sku, category: 'e2e', priceCents, ...extra },
    });
    expect(res.status).toBe(201);
  }

  async inbound(sku: string, qty: number, warehouse = 'main'): Promise<void> {
    const res = await this.t.request('POST', '/v1/admin/stock/inbound', {
      body: { sku, warehouse, qty },
      idempotencyKey: ulid(),
    });
    expect(res.status).toBe(200);
  }

  async credit(userId: string, amountCents: number): Promise<void> {
    const res = await this.t.request('POST', `/v1/admin/wallets/${userId}/credit`, {
      body: { amountCents },
      idempotencyKey: ulid(),
    });
    expect(res.status).toBe(200);
  }

  async coupon(
    code: string,
    type: 'FIXED' | 'PERCENT',
    value: number,
    userIds: string[],
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    expect((await this.t.request('POST', '/v1/admin/coupons', { body: { code, type, value, ...extra } })).status).toBe(
      201,
    );
    const issued = await this.t.request('POST', `/v1/admin/coupons/${code}/issue`, { body: { userIds } });
    expect(issued.status).toBe(200);
  }

  place(
    user: string,
    items: Line[],
    opts: { couponCode?: string; warehouse?: string; key?: string } = {},
  ): Promise<HttpResult> {
    const body: Record<string, unknown> = { items };
    if (opts.couponCode) body.couponCode = opts.couponCode;
    if (opts.warehouse) body.warehouse = opts.warehouse;
    return this.t.request('POST', '/v1/orders', { user, body, idempotencyKey: opts.key ?? ulid() });
  }

  async placed(
    user: string,
    items: Line[],
    opts: { couponCode?: string; warehouse?: string; key?: string } = {},
  ): Promise<any> {
    const res = await this.place(user, items, opts);
    expect(res.status).toBe(201);
    return res.body;
  }

  pay(user: string, orderId: string): Promise<HttpResult> {
    return this.t.request('POST', `/v1/orders/${orderId}/pay`, { user, body: { method: 'WALLET' } });
  }

  cancel(user: string, orderId: string): Promise<HttpResult> {
    return this.t.request('POST', `/v1/orders/${orderId}/cancel`, { user, body: {} });
  }

  async order(user: string, orderId: string): Promise<any> {
    const res = await this.t.request('GET', `/v1/orders/${orderId}`, { user });
    expect(res.status).toBe(200);
    return res.body;
  }

  callback(body: Record<string, unknown>, signature?: string): Promise<HttpResult> {
    const raw = JSON.stringify(body);
    return this.t.request('POST', '/v1/payments/callback', {
      as: 'none',
      rawBody: raw,
      headers: { 'content-type': 'application/json', 'x-signature': signature ?? signWebhookBody(WEBHOOK_SECRET, raw) },
    });
  }

  async stock(sku: string, warehouse = 'main'): Promise<{ onHand: number; reserved: number; available: number }> {
    const res = await this.t.request('GET', `/v1/admin/stock?sku=${sku}&warehouse=${warehouse}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
    return res.body.items[0];
  }

  async wallet(user: string): Promise<{ balanceCents: number; frozenCents: number }> {
    const res = await this.t.request('GET', '/v1/wallet', { user });
    expect(res.status).toBe(200);
    return res.body;
  }

  async couponState(user: string, code: string): Promise<string | undefined> {
    const res = await this.t.request('GET', '/v1/coupons?pageSize=200', { user });
    expect(res.status).toBe(200);
    return res.body.items.find((c: { code: string }) => c.code === code)?.state;
  }

  /** Sum of the ledger deltas of one stock row (invariant 2, docs/invariants.md#i2-stock-adds-up). */
  async ledger(sku: string, warehouse = 'main'): Promise<{ onHand: number; reserved: number }> {
    const [row] = await this.t.db.query(
      'SELECT COALESCE(SUM(delta_on_hand), 0) AS on_hand, COALESCE(SUM(delta_reserved), 0) AS reserved FROM stock_movement WHERE sku = ? AND warehouse = ?',
      [sku, warehouse],
    );
    return { onHand: Number(row.on_hand), reserved: Number(row.reserved) };
  }

  async audit(): Promise<{ ok: boolean; violations: unknown[] }> {
    const res = await this.t.request('GET', '/v1/admin/audit');
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Transactions not yet CONFIRMED/CANCELLED, by status. */
  async nonTerminalTransactions(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const status of ['TRYING', 'CONFIRMING', 'CANCELLING']) {
      const res = await this.t.request('GET', `/v1/admin/transactions?status=${status}&pageSize=1`);
      expect(res.status).toBe(200);
      counts[status] = res.body.total;
    }
    return counts;
  }

  /** Runs the TCC recovery job until a round finds nothing due (expiries, retries). */
  async recoverAll(): Promise<void> {
    const job = this.t.app.get(TccRecoveryJob);
    for (let i = 0; i < 50 && (await job.runOnce()) > 0; i++);
  }
}

export function statusCounts(results: HttpResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.status >= 400 ? `${r.status} ${r.body?.error}` : String(r.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

export { sleep } from '@app/core';
