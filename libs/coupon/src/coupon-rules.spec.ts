import { CouponTerms, discountCents, isWithinValidity, unusableReason } from './coupon-rules';

const at = new Date('2026-06-15T12:00:00.000Z');
const terms = (over: Partial<CouponTerms> = {}): CouponTerms => ({
  type: 'FIXED',
  value: 500,
  minOrderCents: 0,
  validFrom: null,
  validTo: null,
  ...over,
});

describe('coupon discount', () => {
  it('takes a FIXED value off the subtotal', () => {
    expect(discountCents(terms({ type: 'FIXED', value: 500 }), 2000)).toBe(500);
  });

  it('never discounts a FIXED coupon beyond the subtotal', () => {
    expect(discountCents(terms({ type: 'FIXED', value: 5000 }), 1999)).toBe(1999);
  });

  it('rounds a PERCENT discount down to the cent', () => {
    expect(discountCents(terms({ type: 'PERCENT', value: 15 }), 999)).toBe(149); // 149.85
    expect(discountCents(terms({ type: 'PERCENT', value: 100 }), 999)).toBe(999);
    expect(discountCents(terms({ type: 'PERCENT', value: 1 }), 99)).toBe(0);
  });

  it('computes PERCENT of large subtotals exactly', () => {
    expect(discountCents(terms({ type: 'PERCENT', value: 33 }), 9_007_199_254_740_991)).toBe(2_972_375_754_064_527);
  });

  it('discounts nothing on an empty subtotal', () => {
    expect(discountCents(terms({ type: 'FIXED', value: 100 }), 0)).toBe(0);
  });
});

describe('coupon usability', () => {
  it('accepts an AVAILABLE coupon inside its window at or above the minimum', () => {
    expect(unusableReason(terms({ minOrderCents: 1000 }), 'AVAILABLE', 1000, at)).toBeNull();
  });

  it('refuses a coupon that is FROZEN or USED', () => {
    expect(unusableReason(terms(), 'FROZEN', 1000, at)).toBe('NOT_AVAILABLE');
    expect(unusableReason(terms(), 'USED', 1000, at)).toBe('NOT_AVAILABLE');
  });

  it('refuses an order below the minimum', () => {
    expect(unusableReason(terms({ minOrderCents: 1000 }), 'AVAILABLE', 999, at)).toBe('BELOW_MINIMUM');
  });

  it('refuses before validFrom and accepts exactly at validFrom', () => {
    expect(unusableReason(terms({ validFrom: new Date(at.getTime() + 1) }), 'AVAILABLE', 1, at)).toBe('NOT_YET_VALID');
    expect(unusableReason(terms({ validFrom: at }), 'AVAILABLE', 1, at)).toBeNull();
  });

  it('refuses at and after validTo (the end is exclusive)', () => {
    expect(unusableReason(terms({ validTo: at }), 'AVAILABLE', 1, at)).toBe('EXPIRED');
    expect(unusableReason(terms({ validTo: new Date(at.getTime() + 1) }), 'AVAILABLE', 1, at)).toBeNull();
  });

  it('treats missing bounds as open', () => {
    expect(isWithinValidity({ validFrom: null, validTo: null }, at)).toBe(true);
  });
});
