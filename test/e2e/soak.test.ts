import { runSoak, SoakResult } from '../../scripts/soak';
import { DEFAULT_MIX } from '../../scripts/soak-mix';
import { newTestEnv, TestEnv } from '../helpers/test-env';

/**
 * The soak script (npm run soak) in small: 40 s of the full mix at a low rate against the built
 * server, so the script cannot rot. Every transaction must end after the drain, every order left
 * unpaid must have expired through the recovery job, no request may get a 5xx (other than a
 * shed 503) or no answer, and the audit must be clean. Memory is not judged on so short a run.
 */
describe('soak (short)', () => {
  let testEnv: TestEnv;
  let result: SoakResult;
  const lines: string[] = [];

  beforeAll(async () => {
    testEnv = newTestEnv();
    result = await runSoak({
      minutes: 40 / 60,
      connections: 6,
      rate: 15,
      mix: DEFAULT_MIX,
      users: 40,
      skus: 5,
      flashUnits: 20,
      paymentTimeoutSec: 5,
      drainSec: 45,
      memory: { minMinutes: 4, heapToleranceMb: 10, rssToleranceMb: 40 },
      heapSnapshots: false,
      serverEnv: { DB_NAME: testEnv.dbName, REDIS_KEY_PREFIX: testEnv.redisPrefix, RATE_LIMIT_USER_PER_SEC: '0' },
      cleanup: false,
      log: (line) => lines.push(line),
    });
  }, 180_000);

  afterAll(async () => {
    if (!result?.ok) console.log(lines.join('\n'));
    await testEnv.cleanup();
  });

  const count = (kind: string, status: number) => result.totals.get(kind)?.get(status) ?? 0;

  it('ends with a clean audit, nothing open and every unpaid order expired', () => {
    expect(result.violations).toEqual([]);
    expect(result.auditOk).toBe(true);
    expect(result.openTransactions).toBe(0);
    expect(result.leftUnpaid).toBeGreaterThan(0);
    expect(result.notExpired).toEqual([]);
    expect(result.unexpected).toEqual({});
    expect(result.ok).toBe(true);
  });

  it('drove every part of the mix', () => {
    const expected = [
      ['checkout', 201],
      ['pay', 200],
      ['callback', 200],
      ['cancel', 200],
      ['refund', 200],
      ['flash', 201],
      ['flash', 409],
      ['read', 200],
    ] as const;
    expect(expected.filter(([kind, status]) => count(kind, status) === 0)).toEqual([]);
    const adminChanges = ['inbound', 'outbound', 'stocktake', 'transfer', 'credit', 'coupon', 'threshold'].reduce(
      (a, k) => a + count(k, 200) + count(k, 201),
      0,
    );
    expect(adminChanges).toBeGreaterThan(0);
  });
});
