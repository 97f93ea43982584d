import { createHmac, timingSafeEqual } from 'crypto';

/** `t=<unix seconds>,v1=<64 hex>`, exactly: one timestamp, one signature, in this order. */
const HEADER = /^t=([1-9][0-9]{0,11}),v1=([0-9a-fA-F]{64})$/;

export type WebhookSignatureCheck = 'valid' | 'malformed' | 'mismatch' | 'stale';

export interface WebhookSignatureOptions {
  secret: string;
  /** How far the signed timestamp may be from `nowSec`, either way. */
  toleranceSec: number;
  nowSec?: number;
}

function hmac(secret: string, timestamp: string, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, as the gateway signs its
 * callbacks. The timestamp is signed with the body, so a captured callback cannot be replayed
 * once it is older than the tolerance.
 */
export function signWebhookBody(
  secret: string,
  rawBody: Buffer | string,
  timestampSec = Math.floor(Date.now() / 1000),
): string {
  const t = String(timestampSec);
  return `t=${t},v1=${hmac(secret, t, rawBody).toString('hex')}`;
}

/**
 * Checks an X-Signature header against the raw body. Anything malformed (missing, the old
 * `sha256=` form, a missing part, extra parts, non-hex, not a string) is 'malformed', never an
 * exception; the HMAC comparison is constant-time; a timestamp further than the tolerance from
 * our clock is 'stale' even when its HMAC matches.
 */
export function checkWebhookSignature(
  options: WebhookSignatureOptions,
  rawBody: Buffer | string | undefined,
  header: unknown,
): WebhookSignatureCheck {
  if (!(Buffer.isBuffer(rawBody) || typeof rawBody === 'string') || typeof header !== 'string') return 'malformed';
  const match = HEADER.exec(header.trim());
  if (!match) return 'malformed';
  const [, timestamp, hex] = match;
  const given = Buffer.from(hex, 'hex');
  const expected = hmac(options.secret, timestamp, rawBody);
  if (!(given.length === expected.length && timingSafeEqual(given, expected))) return 'mismatch';
  const nowSec = options.nowSec ?? Math.floor(Date.now() / 1000);
  return Math.abs(nowSec - Number(timestamp)) > options.toleranceSec ? 'stale' : 'valid';
}
