/*
 * The soak's traffic: virtual users, each running one scenario after another (a checkout then a
 * pay, a cancel, a refund or nothing so it expires; a flash-sale checkout; a read; an admin
 * change), every request paced to the run's rate and timed per kind.
 */
import { randomUUID } from 'crypto';
import { call, callbackSignature, CallOptions, inBatches, must, Reply } from './http-client';
import { sleep } from './sleep';
import { Recorder } from './soak-stats';

export const SCENARIOS = ['pay', 'flash', 'cancel', 'expire', 'refund', 'read', 'admin'] as const;
export type Scenario = (typeof SCENARIOS)[number];
export type Mix = Record<Scenario, number>;

/** Weights of the scenarios a virtual user picks from. */
export const DEFAULT_MIX: Mix = { pay: 35, flash: 30, cancel: 8, expire: 8, refund: 4, read: 10, admin: 5 };

/** "pay=40,flash=20" → the default mix with those weights replaced. */
export function parseMix(text: string | undefined): Mix {
  const mix = { ...DEFAULT_MIX };
  for (const part of (text ?? '').split(',').filter(Boolean)) {
    const [name, weight] = part.split('=');
    if (!(SCENARIOS as readonly string[]).includes(name) || !(Number(weight) >= 0))
      throw new Error(`bad mix entry "${part}": use ${SCENARIOS.join('|')}=<weight>`);
    mix[name as Scenario] = Number(weight);
  }
  return mix;
}

export interface WorldOptions {
  run: string;
  users: number;
  skus: number;
  flashUnits: number;
  /** Requests per second over all virtual users; 0 = as fast as they go. */
  rate: number;
  recorder: Recorder;
}

interface Placed {
  orderId: string;
  userId: string;
  payableCents: number;
}

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
const MAIN = 'main';

export class World {
  readonly users: string[];
  readonly skus: string[];
  /** The current flash sale's sku: a new one every round, so every round sells out afresh. */
  private flashSku: string;
  private flashRound = 0;
  readonly second: string;
  /** Orders left unpaid on purpose (the newest few hundred): they must end EXPIRED. */
  readonly leftToExpire: Placed[] = [];
  private coupons = new Map<string, string[]>();
  private couponCount = 0;
  private nextSlot = 0;

  constructor(private readonly o: WorldOptions) {
    this.users = Array.from({ length: o.users }, (_, i) => `soak-${o.run}-u${i}`);
    this.skus = Array.from({ length: o.skus }, (_, i) => `SOAK-${o.run}-${i}`);
    this.flashSku = `SOAK-${o.run}-FLASH0`;
    this.second = `S${o.run}`;
  }

  /** Products, a second warehouse, stock, full wallets and a coupon for everyone (not timed). */
  async seed(): Promise<void> {
    const product = (sku: string, priceCents: number, maxPerUser?: number) =>
      must(
        `create ${sku}`,
        call('POST', '/v1/admin/products', {
          as: 'admin',
          body: { sku, name: sku, category: 'soak', priceCents, ...(maxPerUser ? { maxPerUser } : {}) },
        }),
      );
    await inBatches(this.skus, 8, (sku) => product(sku, between(100, 2000)));
    await product(this.flashSku, 999, 2);
    await must(
      'warehouse',
      call('POST', '/v1/admin/warehouses', { as: 'admin', body: { code: this.second, name: 'Soak second warehouse' } }),
    );
    const inbound = (sku: string, qty: number) =>
      must(
        'inbound',
        call('POST', '/v1/admin/stock/inbound', { as: 'admin', idempotent: true, body: { sku, warehouse: MAIN, qty } }),
      );
    await inBatches(this.skus, 8, (sku) => inbound(sku, 1_000_000));
    await inbound(this.flashSku, this.o.flashUnits);
    await inBatches(this.users, 16, (u) =>
      must(
        'credit',
        call('POST', `/v1/admin/wallets/${u}/credit`, {
          as: 'admin',
          idempotent: true,
          body: { amountCents: 10_000_000 },
        }),
      ),
    );
    await this.newCoupon(this.users);
  }

  /** One virtual user: scenarios until `until`. */
  async virtualUser(mix: Mix, until: number): Promise<void> {
    const entries = Object.entries(mix).filter(([, w]) => w > 0) as Array<[Scenario, number]>;
    const sum = entries.reduce((a, [, w]) => a + w, 0);
    while (Date.now() < until) {
      let r = Math.random() * sum;
      const [scenario] = entries.find(([, w]) => (r -= w) < 0) ?? entries[0];
      await this.play(scenario);
    }
  }

  /**
   * The flash sale's next round: a new sku limited to 2 per user, with its units (a single sku
   * restocked would soon refuse everyone for the limit, not for stock). Buyers move to it once
   * the catalogue cache has seen it.
   */
  async nextFlashRound(): Promise<void> {
    const sku = `SOAK-${this.o.run}-FLASH${++this.flashRound}`;
    const created = await this.send('product', 'POST', '/v1/admin/products', {
      as: 'admin',
      body: { sku, name: sku, category: 'soak', priceCents: 999, maxPerUser: 2 },
    });
    if (created.status !== 201) return;
    await this.send('inbound', 'POST', '/v1/admin/stock/inbound', {
      as: 'admin',
      idempotent: true,
      body: { sku, warehouse: MAIN, qty: this.o.flashUnits },
    });
    await sleep(1500);
    this.flashSku = sku;
  }

  private async play(scenario: Scenario): Promise<void> {
    const user = pick(this.users);
    if (scenario === 'read') return this.read(user);
    if (scenario === 'admin') return this.admin();
    const order =
      scenario === 'flash'
        ? await this.checkout(user, 'flash', [{ sku: this.flashSku, qty: 1 }])
        : await this.checkout(user, 'checkout', this.basket());
    if (!order) return;
    if (scenario === 'pay' || scenario === 'refund' || (scenario === 'flash' && Math.random() < 0.5)) {
      const paid = Math.random() < 0.15 ? await this.payByCallback(order) : await this.payFromWallet(order);
      if (paid && scenario === 'refund')
        await this.send('refund', 'POST', `/v1/orders/${order.orderId}/cancel`, { as: 'storefront', user, body: {} });
    } else if (scenario === 'cancel') {
      await this.send('cancel', 'POST', `/v1/orders/${order.orderId}/cancel`, { as: 'storefront', user, body: {} });
    } else {
      this.leftToExpire.push(order);
      if (this.leftToExpire.length > 300) this.leftToExpire.shift();
    }
  }

  private basket(): Array<{ sku: string; qty: number }> {
    const skus = new Set(Array.from({ length: between(1, 3) }, () => pick(this.skus)));
    return [...skus].map((sku) => ({ sku, qty: between(1, 3) }));
  }

  /** POST /v1/orders; one in twenty is sent twice with its key, as a client retrying would. */
  private async checkout(
    user: string,
    kind: string,
    items: Array<{ sku: string; qty: number }>,
  ): Promise<Placed | undefined> {
    const held = this.coupons.get(user);
    const couponCode = held?.length && Math.random() < 0.3 ? held.pop() : undefined;
    const key = randomUUID();
    const opts: CallOptions = {
      as: 'storefront',
      user,
      idempotent: key,
      body: { items, ...(couponCode ? { couponCode } : {}) },
    };
    const r = await this.send(kind, 'POST', '/v1/orders', opts);
    if (r.status === 201 && Math.random() < 0.05) await this.send('replay', 'POST', '/v1/orders', opts);
    return r.status === 201 ? { orderId: r.body.orderId, userId: user, payableCents: r.body.payableCents } : undefined;
  }

  private async payFromWallet(order: Placed): Promise<boolean> {
    const r = await this.send('pay', 'POST', `/v1/orders/${order.orderId}/pay`, {
      as: 'storefront',
      user: order.userId,
      body: { method: 'WALLET' },
    });
    return r.status === 200;
  }

  /** A gateway payment; one in ten fails first and succeeds on the next notification. */
  private async payByCallback(order: Placed): Promise<boolean> {
    const notify = async (status: 'SUCCEEDED' | 'FAILED') => {
      const raw = JSON.stringify({
        paymentId: `gw-${randomUUID()}`,
        orderId: order.orderId,
        amountCents: order.payableCents,
        status,
      });
      return this.send('callback', 'POST', '/v1/payments/callback', {
        raw,
        headers: { 'x-signature': callbackSignature(raw) },
      });
    };
    if (Math.random() < 0.1) await notify('FAILED');
    const r = await notify('SUCCEEDED');
    return r.status === 200 && r.body.paymentStatus === 'CAPTURED';
  }

  private async read(user: string): Promise<void> {
    const which = Math.random();
    if (which < 0.5) await this.send('read', 'GET', `/v1/products/${pick(this.skus)}`, { as: 'storefront' });
    else if (which < 0.8) await this.send('read', 'GET', '/v1/orders?pageSize=20', { as: 'storefront', user });
    else await this.send('read', 'GET', '/v1/wallet', { as: 'storefront', user });
  }

  /** One operator change, picked at random. */
  private async admin(): Promise<void> {
    const sku = pick(this.skus);
    const stock = { as: 'admin' as const, idempotent: true };
    switch (between(0, 6)) {
      case 0:
        return void (await this.send('inbound', 'POST', '/v1/admin/stock/inbound', {
          ...stock,
          body: { sku, warehouse: MAIN, qty: between(1, 50) },
        }));
      case 1:
        return void (await this.send('outbound', 'POST', '/v1/admin/stock/outbound', {
          ...stock,
          body: { sku, warehouse: MAIN, qty: between(1, 5) },
        }));
      case 2: {
        const now = await this.send('read', 'GET', `/v1/admin/stock?sku=${sku}&warehouse=${MAIN}`, { as: 'admin' });
        const onHand = now.body?.items?.[0]?.onHand;
        if (typeof onHand === 'number')
          await this.send('stocktake', 'POST', '/v1/admin/stock/stocktake', {
            ...stock,
            body: { sku, warehouse: MAIN, countedQty: onHand + between(-2, 2) },
          });
        return;
      }
      case 3: {
        const [from, to] = Math.random() < 0.5 ? [MAIN, this.second] : [this.second, MAIN];
        return void (await this.send('transfer', 'POST', '/v1/admin/stock/transfer', {
          ...stock,
          body: { sku, from, to, qty: between(1, 5) },
        }));
      }
      case 4:
        return void (await this.send('credit', 'POST', `/v1/admin/wallets/${pick(this.users)}/credit`, {
          ...stock,
          body: { amountCents: between(100, 10_000) },
        }));
      case 5:
        // On the flash sku, whose stock swings every minute: low-stock alerts open and resolve.
        return void (await this.send('threshold', 'PUT', '/v1/admin/stock/threshold', {
          ...stock,
          body: { sku: this.flashSku, warehouse: MAIN, threshold: between(0, 150) },
        }));
      default:
        return this.newCoupon(Array.from({ length: 20 }, () => pick(this.users)));
    }
  }

  /** A new coupon (50 cents off), issued to these users. */
  private async newCoupon(holders: string[]): Promise<void> {
    const code = `S${this.o.run}C${++this.couponCount}`;
    const created = await this.send('coupon', 'POST', '/v1/admin/coupons', {
      as: 'admin',
      body: { code, type: 'FIXED', value: 50 },
    });
    if (created.status !== 201) return;
    const unique = [...new Set(holders)];
    const issued = await this.send('coupon', 'POST', `/v1/admin/coupons/${code}/issue`, {
      as: 'admin',
      body: { userIds: unique },
    });
    if (issued.status === 200) for (const u of unique) this.coupons.set(u, [...(this.coupons.get(u) ?? []), code]);
  }

  /** One request, after waiting for its slot under the rate; its latency counts for `kind`. */
  async send(kind: string, method: string, path: string, opts: CallOptions): Promise<Reply> {
    await this.pace();
    const started = performance.now();
    const r = await call(method, path, opts).catch((): Reply => ({ status: 0, body: undefined }));
    this.o.recorder.record(kind, performance.now() - started, r.status);
    return r;
  }

  private async pace(): Promise<void> {
    if (!this.o.rate) return;
    const now = Date.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + 1000 / this.o.rate;
    if (at > now) await sleep(at - now);
  }
}
