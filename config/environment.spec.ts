import { DEV_API_KEYS, validateEnvironment } from './environment';

describe('validateEnvironment', () => {
  it('gives working defaults for an empty environment', () => {
    const env = validateEnvironment({});
    expect(env.PORT).toBe(3000);
    expect(env.DB_NAME).toBe('inventory');
    expect(env.DEFAULT_WAREHOUSE).toBe('main');
    expect(env.ORDER_PAYMENT_TIMEOUT_SEC).toBe(900);
    expect(env.JOBS_ENABLED).toBe(true);
    expect(env.API_KEYS).toBe(DEV_API_KEYS);
  });

  it('converts numbers and booleans from strings', () => {
    const env = validateEnvironment({ PORT: '8080', JOBS_ENABLED: 'false', DB_PASSWORD: '' });
    expect(env.PORT).toBe(8080);
    expect(env.JOBS_ENABLED).toBe(false);
    expect(env.DB_PASSWORD).toBe('');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DB_NAME', 'bad-name;drop'],
    ['REDIS_URL', 'http://x'],
    ['API_KEYS', 'root:whatever-key'],
    ['ORDER_PAYMENT_TIMEOUT_SEC', '0'],
    ['JOBS_ENABLED', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['DEFAULT_WAREHOUSE', 'has space'],
  ])('refuses a bad %s and names it', (name, value) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it('refuses the documented dev keys and secret in production', () => {
    expect(() => validateEnvironment({ NODE_ENV: 'production' })).toThrow(/API_KEYS/);
    expect(() =>
      validateEnvironment({ NODE_ENV: 'production', API_KEYS: 'storefront:prod-store-1234,admin:prod-admin-1234' }),
    ).toThrow(/PAYMENT_WEBHOOK_SECRET/);
    expect(
      validateEnvironment({
        NODE_ENV: 'production',
        API_KEYS: 'storefront:prod-store-1234,admin:prod-admin-1234',
        PAYMENT_WEBHOOK_SECRET: 'a-real-secret-value',
      }).NODE_ENV,
    ).toBe('production');
  });

  it('lists every bad variable at once', () => {
    expect(() => validateEnvironment({ PORT: 'x', DB_PORT: 'y' })).toThrow(/PORT[\s\S]*DB_PORT|DB_PORT[\s\S]*PORT/);
  });
});
