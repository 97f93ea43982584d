import { createHmac } from 'crypto';
import { checkWebhookSignature, signWebhookBody } from './webhook-signature';

const secret = 'test-webhook-secret';
const body = Buffer.from('{"paymentId":"p1","orderId":"o1","amountCents":1000,"status":"SUCCEEDED"}');
const now = 1_767_225_600;
const options = { secret, toleranceSec: 300, nowSec: now };
const hexAt = (t: number | string, raw: Buffer | string = body, key = secret) =>
  createHmac('sha256', key).update(`${t}.`).update(raw).digest('hex');
const header = (t: number | string, hex = hexAt(t)) => `t=${t},v1=${hex}`;

describe('webhook signature', () => {
  it('accepts the HMAC-SHA256 of "<t>.<raw body>" with the shared secret', () => {
    expect(checkWebhookSignature(options, body, header(now))).toBe('valid');
    expect(signWebhookBody(secret, body, now)).toBe(header(now));
    expect(checkWebhookSignature(options, body.toString(), header(now))).toBe('valid');
  });

  it('signs with the current time by default', () => {
    const signed = signWebhookBody(secret, body);
    expect(checkWebhookSignature({ secret, toleranceSec: 5 }, body, signed)).toBe('valid');
  });

  it('accepts upper-case hex', () => {
    expect(checkWebhookSignature(options, body, header(now, hexAt(now).toUpperCase()))).toBe('valid');
  });

  it('accepts a timestamp up to the tolerance away, either way, and refuses one second more', () => {
    expect(checkWebhookSignature(options, body, header(now - 300))).toBe('valid');
    expect(checkWebhookSignature(options, body, header(now + 300))).toBe('valid');
    expect(checkWebhookSignature(options, body, header(now - 301))).toBe('stale');
    expect(checkWebhookSignature(options, body, header(now + 301))).toBe('stale');
    expect(checkWebhookSignature({ ...options, toleranceSec: 10 }, body, header(now - 11))).toBe('stale');
  });

  it('refuses a replay of a once valid callback after the window', () => {
    const captured = signWebhookBody(secret, body, now);
    expect(checkWebhookSignature({ ...options, nowSec: now + 3600 }, body, captured)).toBe('stale');
  });

  it('refuses a signature whose timestamp was changed after signing', () => {
    expect(checkWebhookSignature(options, body, `t=${now},v1=${hexAt(now - 1000)}`)).toBe('mismatch');
  });

  it('refuses a signature made with another secret', () => {
    expect(checkWebhookSignature(options, body, signWebhookBody('other-secret', body, now))).toBe('mismatch');
  });

  it('refuses a signature of a different body (one byte changed)', () => {
    const tampered = Buffer.from(body.toString().replace('1000', '1001'));
    expect(checkWebhookSignature(options, tampered, header(now))).toBe('mismatch');
  });

  it('refuses a signature with one hex digit flipped', () => {
    const hex = hexAt(now);
    const flipped = hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
    expect(checkWebhookSignature(options, body, header(now, flipped))).toBe('mismatch');
  });

  const hex = hexAt(now);
  const oldStyle = createHmac('sha256', secret).update(body).digest('hex');
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['the old sha256= form, correctly signed', `sha256=${oldStyle}`],
    ['the HMAC alone', hex],
    ['no timestamp', `v1=${hex}`],
    ['empty timestamp', `t=,v1=${hex}`],
    ['no signature', `t=${now}`],
    ['empty signature', `t=${now},v1=`],
    ['parts swapped', `v1=${hex},t=${now}`],
    ['other scheme', `t=${now},v0=${hex}`],
    ['two signatures', `t=${now},v1=${hex},v1=${hex}`],
    ['two timestamps', `t=${now},t=${now},v1=${hex}`],
    ['space after the comma', `t=${now}, v1=${hex}`],
    ['timestamp in milliseconds', header(now * 1000)],
    ['negative timestamp', header(-now)],
    ['fractional timestamp', header(`${now}.5`)],
    ['timestamp with a leading zero', header(`0${now}`)],
    ['timestamp as a date', header('2026-01-01T00:00:00Z')],
    ['non-hex', `t=${now},v1=${'z'.repeat(64)}`],
    ['too short', `t=${now},v1=${hex.slice(0, 62)}`],
    ['too long', `t=${now},v1=${hex}00`],
    ['odd length', `t=${now},v1=${hex.slice(0, 63)}`],
    ['not a string', [header(now)]],
  ])('refuses a malformed header (%s)', (_name, value) => {
    expect(checkWebhookSignature(options, body, value)).toBe('malformed');
  });

  it('refuses when there is no raw body', () => {
    expect(checkWebhookSignature(options, undefined, header(now))).toBe('malformed');
  });
});
