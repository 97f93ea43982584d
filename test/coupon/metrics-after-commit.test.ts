import { Injectable, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CoreModule, DomainError, metricsRegistry } from '@app/core';
import { COUPON_MIGRATIONS, CouponModule } from '@app/coupon';
import { TccCoordinator, TccModule, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { TCC_TEST_MIGRATIONS } from '../tcc/support/tcc-test-module';
import { TestParticipantsModule } from '../tcc/support/test-participants';

declare module '@app/tcc' {
  interface TccPayloads {
    deadlocker: null;
  }
}

/** Its first try fails as an InnoDB deadlock victim would: the whole local transaction runs again. */
let deadlocksLeft = 0;

@Injectable()
@TccParticipant('deadlocker')
class DeadlockOnce implements TccParticipantHandler<null> {
  async try(): Promise<void> {
    if (deadlocksLeft-- > 0)
      throw Object.assign(new Error('Deadlock found when trying to get lock'), { code: 'ER_LOCK_DEADLOCK' });
  }
  async confirm(): Promise<void> {}
  async cancel(): Promise<void> {}
}

@Module({ providers: [DeadlockOnce] })
class DeadlockModule {}

async function couponUses(outcome: string): Promise<number> {
  const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === 'coupon_uses_total');
  return Number((metric?.values ?? []).find((v) => v.labels.outcome === outcome)?.value ?? 0);
}

describe('metrics are counted after the local transaction commits', () => {
  let testEnv: TestEnv;
  let moduleRef: TestingModule;
  let db: DataSource;
  let tcc: TccCoordinator;

  beforeAll(async () => {
    testEnv = newTestEnv();
    moduleRef = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot({ migrations: [...TCC_TEST_MIGRATIONS, ...COUPON_MIGRATIONS], env: testEnv.env }),
        TccModule,
        TestParticipantsModule,
        CouponModule,
        DeadlockModule,
      ],
    }).compile();
    await moduleRef.init();
    db = moduleRef.get<DataSource>(getDataSourceToken());
    tcc = moduleRef.get(TccCoordinator);
    await db.query(
      "INSERT INTO coupon (code, type, value, created_at) VALUES ('TENOFF', 'FIXED', 1000, UTC_TIMESTAMP(3))",
    );
  });

  afterAll(async () => {
    await moduleRef?.close();
    await testEnv?.cleanup();
  });

  async function issue(userId: string): Promise<void> {
    await db.query(
      "INSERT INTO user_coupon (user_id, code, state, created_at, updated_at) VALUES (?, 'TENOFF', 'AVAILABLE', UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
      [userId],
    );
  }

  it('a freeze rolled back after its metric point is not counted', async () => {
    const users = ['u-rb-1', 'u-rb-2', 'u-rb-3'];
    for (const u of users) await issue(u);
    const before = await couponUses('frozen');
    const results = await Promise.allSettled(
      users.map((userId) =>
        tcc.beginWithBranches({ name: 'checkout' }, [
          { participant: 'coupon', payload: { kind: 'use', userId, code: 'TENOFF' } },
          { participant: 'hold', payload: { amount: 1, refuse: true } }, // refuses after the coupon froze
        ]),
      ),
    );
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof DomainError)).toBe(true);
    expect(await db.query("SELECT COUNT(*) AS n FROM user_coupon WHERE state = 'FROZEN'")).toEqual([{ n: 0 }]);
    expect((await couponUses('frozen')) - before).toBe(0);
  });

  it('a local transaction run again after a deadlock counts its freeze once', async () => {
    const users = ['u-dl-1', 'u-dl-2', 'u-dl-3', 'u-dl-4'];
    for (const u of users) await issue(u);
    const before = await couponUses('frozen');
    for (const userId of users) {
      deadlocksLeft = 1;
      await tcc.beginWithBranches({ name: 'checkout' }, [
        { participant: 'coupon', payload: { kind: 'use', userId, code: 'TENOFF' } },
        { participant: 'deadlocker', payload: null },
      ]);
    }
    expect(await db.query("SELECT COUNT(*) AS n FROM user_coupon WHERE state = 'FROZEN'")).toEqual([
      { n: users.length },
    ]);
    expect((await couponUses('frozen')) - before).toBe(users.length);
  });

  it('a refusal in a group that is run again after a deadlock is counted once', async () => {
    await issue('u-grp-ok');
    const before = await couponUses('refused');
    deadlocksLeft = 1;
    // one batch (same key, same tick): a refused coupon, then a member that dies as a deadlock victim
    const [refused, ok] = await Promise.allSettled([
      tcc.beginWithBranches({ name: 'checkout', batchKey: 'grp' }, [
        { participant: 'coupon', payload: { kind: 'use', userId: 'u-grp-never-issued', code: 'TENOFF' } },
      ]),
      tcc.beginWithBranches({ name: 'checkout', batchKey: 'grp' }, [
        { participant: 'coupon', payload: { kind: 'use', userId: 'u-grp-ok', code: 'TENOFF' } },
        { participant: 'deadlocker', payload: null },
      ]),
    ]);
    expect(refused.status).toBe('rejected');
    expect(ok.status).toBe('fulfilled');
    expect(deadlocksLeft).toBe(-1); // the group really ran twice
    expect((await couponUses('refused')) - before).toBe(1);
  });
});
