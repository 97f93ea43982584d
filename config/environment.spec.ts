import { DEV_API_KEYS, DEV_WEBHOOK_SECRET, validateEnvironment } from './environment';

describe('validateEnvironment', () => {
  it('gives working defaults for an empty environment', () => {
    const env = validateEnvironment({});
    expect(env.PORT).toBe(3000);
    expect(env.DB_NAME).toBe('inventory');
    expect(env.DEFAULT_WAREHOUSE).toBe('main');
    expect(env.ORDER_PAYMENT_TIMEOUT_SEC).toBe(900);
    expect(env.JOBS_ENABLED).toBe(true);
    expect(env.API_KEYS).toBe(DEV_API_KEYS);
    expect(env.PAYMENT_WEBHOOK_TOLERANCE_SEC).toBe(300);
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
    ['PAYMENT_WEBHOOK_TOLERANCE_SEC', '0'],
    ['PAYMENT_WEBHOOK_TOLERANCE_SEC', 'five'],
    ['PAYMENT_WEBHOOK_TOLERANCE_SEC', '86401'],
    ['REDIS_PING_INTERVAL_MS', '10'],
    ['REDIS_PING_SLOW_MS', '5000'],
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

  const PROD_SECRET = 'a-real-secret-value';
  const production = (API_KEYS: string) =>
    validateEnvironment({ NODE_ENV: 'production', API_KEYS, PAYMENT_WEBHOOK_SECRET: PROD_SECRET });

  it.each([
    'admin:dev-admin-key,storefront:prod-store-1234',
    'storefront:prod-store-1234,admin:dev-admin-key',
    'storefront:dev-storefront-key,admin:prod-admin-1234',
    'admin:dev-admin-key,storefront:dev-storefront-key',
    'admin:prod-admin-1234,storefront:prod-store-1234,storefront:dev-storefront-key',
    'storefront:dev-admin-key,admin:prod-admin-1234',
    'admin:dev-storefront-key,storefront:prod-store-1234',
    'admin:dev-admin-key',
  ])('refuses any documented dev key in production, under any scope and beside any other (%s)', (keys) => {
    expect(() => production(keys)).toThrow(/API_KEYS: the documented dev keys/);
    expect(validateEnvironment({ NODE_ENV: 'development', API_KEYS: keys }).API_KEYS).toBe(keys);
  });

  it('accepts production keys that only contain a dev key as a part', () => {
    const keys = 'storefront:dev-storefront-key-2,admin:my-dev-admin-key';
    expect(production(keys).API_KEYS).toBe(keys);
  });

  it.each(['development', 'test', 'production'])(
    'refuses one key listed under two scopes (NODE_ENV=%s)',
    (NODE_ENV) => {
      const keys = 'storefront:shared-key-1234,admin:shared-key-1234';
      let message = '';
      try {
        validateEnvironment({ NODE_ENV, API_KEYS: keys, PAYMENT_WEBHOOK_SECRET: PROD_SECRET });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/API_KEYS: a key is listed under two scopes/);
      expect(message).not.toContain('shared-key-1234'); // the message never repeats a key
      // Twice under the same scope is only redundant.
      expect(() =>
        validateEnvironment({
          NODE_ENV: 'test',
          API_KEYS: 'admin:shared-key-1234,storefront:other-key-1,admin:shared-key-1234',
        }),
      ).not.toThrow();
    },
  );

  it('refuses the dev webhook secret in production, whatever the keys', () => {
    expect(() =>
      validateEnvironment({
        NODE_ENV: 'production',
        API_KEYS: 'storefront:prod-store-1234,admin:prod-admin-1234',
        PAYMENT_WEBHOOK_SECRET: DEV_WEBHOOK_SECRET,
      }),
    ).toThrow(/PAYMENT_WEBHOOK_SECRET: the documented dev secret/);
    expect(
      validateEnvironment({ NODE_ENV: 'test', PAYMENT_WEBHOOK_SECRET: DEV_WEBHOOK_SECRET }).PAYMENT_WEBHOOK_SECRET,
    ).toBe(DEV_WEBHOOK_SECRET);
  });

  it('lists every bad variable at once', () => {
    expect(() => validateEnvironment({ PORT: 'x', DB_PORT: 'y' })).toThrow(/PORT[\s\S]*DB_PORT|DB_PORT[\s\S]*PORT/);
  });
});
