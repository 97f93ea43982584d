import { createHmac, timingSafeEqual } from 'crypto';

const HEADER = /^sha256=([0-9a-fA-F]{64})$/;

/** `sha256=<hex>` of HMAC-SHA256(secret, rawBody), as the gateway signs its callbacks. */
export function signWebhookBody(secret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/**
 * True only for a well-formed `sha256=<64 hex>` header whose HMAC matches the raw body.
 * The comparison is constant-time; anything malformed (missing, other scheme, wrong
 * length, non-hex, not a string) is false, never an exception.
 */
export function isValidWebhookSignature(secret: string, rawBody: Buffer | string | undefined, header: unknown): boolean {
  if (!(Buffer.isBuffer(rawBody) || typeof rawBody === 'string') || typeof header !== 'string') return false;
  const match = HEADER.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
