import { DomainError, ErrorCode } from '@app/core';
import type { ProductInfo } from '@app/product';
import { isSameRequest, priceCart } from './checkout-pricing';

const product = (sku: string, priceCents: number, extra: Partial<ProductInfo> = {}): [string, ProductInfo] => [
  sku,
  { sku, name: sku, priceCents, status: 'ACTIVE', maxPerUser: null, ...extra },
];

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('priceCart', () => {
  const catalogue = new Map([
    product('B-2', 250),
    product('A-1', 1000),
    product('OLD', 10, { status: 'INACTIVE' }),
    product('LIM', 5, { maxPerUser: 2 }),
  ]);

  it('prices every line from the catalogue and sorts the lines by sku', () => {
    const cart = priceCart(
      [
        { sku: 'B-2', qty: 3 },
        { sku: 'A-1', qty: 2 },
      ],
      catalogue,
    );
    expect(cart.lines).toEqual([
      { sku: 'A-1', qty: 2, unitPriceCents: 1000 },
      { sku: 'B-2', qty: 3, unitPriceCents: 250 },
    ]);
    expect(cart.totalCents).toBe(2750);
  });

  it('refuses an unknown sku with 404 NOT_FOUND naming it', () => {
    const err = refusal(() =>
      priceCart(
        [
          { sku: 'A-1', qty: 1 },
          { sku: 'NOPE', qty: 1 },
        ],
        catalogue,
      ),
    );
    expect(err.code).toBe(ErrorCode.NOT_FOUND);
    expect(err.details).toMatchObject({ sku: 'NOPE' });
  });

  it('refuses an inactive product with 409 CONFLICT reason PRODUCT_INACTIVE', () => {
    const err = refusal(() => priceCart([{ sku: 'OLD', qty: 1 }], catalogue));
    expect(err.code).toBe(ErrorCode.CONFLICT);
    expect(err.details).toMatchObject({ sku: 'OLD', reason: 'PRODUCT_INACTIVE' });
  });

  it('refuses a line above the per-user limit before any stock work', () => {
    expect(priceCart([{ sku: 'LIM', qty: 2 }], catalogue).totalCents).toBe(10);
    expect(refusal(() => priceCart([{ sku: 'LIM', qty: 3 }], catalogue)).code).toBe(ErrorCode.PURCHASE_LIMIT_EXCEEDED);
  });

  it('refuses a total that cannot be represented exactly', () => {
    const huge = new Map([product('X', 100_000_000_000)]);
    const items = Array.from({ length: 1 }, () => ({ sku: 'X', qty: 10_000 }));
    expect(priceCart(items, huge).totalCents).toBe(1e15);
    const many = new Map(Array.from({ length: 50 }, (_, i) => product(`X${i}`, 100_000_000_000)));
    const err = refusal(() =>
      priceCart(
        Array.from({ length: 50 }, (_, i) => ({ sku: `X${i}`, qty: 10_000 })),
        many,
      ),
    );
    expect(err.code).toBe(ErrorCode.VALIDATION_FAILED);
  });
});

describe('isSameRequest', () => {
  const order = {
    items: [
      { sku: 'A', qty: 1 },
      { sku: 'B', qty: 2 },
    ],
    couponCode: null,
    warehouse: 'main',
  };

  it('matches the same lines in any order', () => {
    expect(
      isSameRequest(order, {
        items: [
          { sku: 'B', qty: 2 },
          { sku: 'A', qty: 1 },
        ],
        couponCode: null,
        warehouse: 'main',
      }),
    ).toBe(true);
  });

  it('tells a different quantity, coupon or warehouse apart', () => {
    expect(
      isSameRequest(order, {
        ...order,
        items: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: 3 },
        ],
      }),
    ).toBe(false);
    expect(isSameRequest(order, { ...order, couponCode: 'C10' })).toBe(false);
    expect(isSameRequest(order, { ...order, warehouse: 'east' })).toBe(false);
  });
});
