import { createHmac } from 'crypto';
import { isValidWebhookSignature, signWebhookBody } from './webhook-signature';

const secret = 'test-webhook-secret';
const body = Buffer.from('{"paymentId":"p1","orderId":"o1","amountCents":1000,"status":"SUCCEEDED"}');
const hex = createHmac('sha256', secret).update(body).digest('hex');

describe('webhook signature', () => {
  it('accepts the HMAC-SHA256 of the raw body with the shared secret', () => {
    expect(isValidWebhookSignature(secret, body, `sha256=${hex}`)).toBe(true);
    expect(signWebhookBody(secret, body)).toBe(`sha256=${hex}`);
  });

  it('accepts upper-case hex', () => {
    expect(isValidWebhookSignature(secret, body, `sha256=${hex.toUpperCase()}`)).toBe(true);
  });

  it('refuses a signature made with another secret', () => {
    expect(isValidWebhookSignature(secret, body, signWebhookBody('other-secret', body))).toBe(false);
  });

  it('refuses a signature of a different body (one byte changed)', () => {
    const tampered = Buffer.from(body.toString().replace('1000', '1001'));
    expect(isValidWebhookSignature(secret, tampered, `sha256=${hex}`)).toBe(false);
  });

  it('refuses a signature with one hex digit flipped', () => {
    const flipped = hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
    expect(isValidWebhookSignature(secret, body, `sha256=${flipped}`)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no scheme', hex],
    ['other scheme', `sha1=${hex}`],
    ['scheme only', 'sha256='],
    ['non-hex', `sha256=${'z'.repeat(64)}`],
    ['too short', `sha256=${hex.slice(0, 62)}`],
    ['too long', `sha256=${hex}00`],
    ['odd length', `sha256=${hex.slice(0, 63)}`],
    ['not a string', ['sha256=' + hex]],
  ])('returns false for a malformed header (%s)', (_name, header) => {
    expect(isValidWebhookSignature(secret, body, header)).toBe(false);
  });

  it('returns false when there is no raw body', () => {
    expect(isValidWebhookSignature(secret, undefined, `sha256=${hex}`)).toBe(false);
  });
});
