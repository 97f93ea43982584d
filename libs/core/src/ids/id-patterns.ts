import { Matches } from 'class-validator';

/**
 * The shapes of the ids and codes clients send, one place for all libs. Each pattern has the
 * rule its 400 message states, so a DTO, a header check and a participant refuse alike.
 */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const WAREHOUSE_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
export const COUPON_CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** A ULID (Crockford base 32), as `newId()` makes. */
export const ORDER_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const PAYMENT_ID_PATTERN = /^[A-Za-z0-9_.-]{1,60}$/;
/** TCC transaction ids and names. */
export const TX_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

const RULES = new Map<RegExp, string>([
  [SKU_PATTERN, '1-64 characters of [A-Za-z0-9_.-] starting with a letter or digit'],
  [WAREHOUSE_PATTERN, '1-32 characters of [A-Za-z0-9_-]'],
  [COUPON_CODE_PATTERN, '1-64 characters of [A-Za-z0-9_-]'],
  [USER_ID_PATTERN, '1-64 characters of [A-Za-z0-9_-]'],
  [ORDER_ID_PATTERN, 'a ULID'],
  [PAYMENT_ID_PATTERN, '1-60 characters of [A-Za-z0-9_.-]'],
  [TX_ID_PATTERN, '1-64 characters of [A-Za-z0-9_.-]'],
]);

/** What a value of `pattern` looks like, e.g. '1-32 characters of [A-Za-z0-9_-]'. */
export function ruleOf(pattern: RegExp): string {
  const rule = RULES.get(pattern);
  if (!rule) throw new Error(`No rule for ${String(pattern)}`);
  return rule;
}

/** The 400 message for a `field` that does not match: 'warehouse must be 1-32 characters of [A-Za-z0-9_-]'. */
export function patternMessage(field: string, pattern: RegExp): string {
  return `${field} must be ${ruleOf(pattern)}`;
}

/** `@Matches` with the pattern's message; `each` checks every item of an array ('each userId must be ...'). */
export function MatchesPattern(pattern: RegExp, field: string, options: { each?: boolean } = {}): PropertyDecorator {
  return Matches(pattern, {
    each: options.each,
    message: patternMessage(options.each ? `each ${field}` : field, pattern),
  });
}
