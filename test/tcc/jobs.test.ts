import { SchedulerRegistry } from '@nestjs/schedule';
import type { TestingModule } from '@nestjs/testing';
import { TccCoordinator } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { holdStates, sleep, startTccModule } from './support/tcc-test-module';

describe('TCC scheduled jobs', () => {
  let testEnv: TestEnv;
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    await testEnv?.cleanup();
  });

  it('runs the recovery job on its interval when jobs are enabled: an abandoned tx expires by itself', async () => {
    testEnv = newTestEnv({ JOBS_ENABLED: 'true', TCC_RECOVERY_INTERVAL_MS: '100' });
    const started = await startTccModule(testEnv.env);
    moduleRef = started.moduleRef;
    expect(moduleRef.get(SchedulerRegistry).getIntervals()).toEqual(
      expect.arrayContaining(['tcc-fence-cleanup', 'tcc-recovery']),
    );

    const tcc = moduleRef.get(TccCoordinator);
    const txId = await tcc.begin({ name: 'abandoned', timeoutMs: 200 });
    await tcc.tryBranch(txId, 'hold', { amount: 1 });
    const deadline = Date.now() + 5000;
    while ((await tcc.findTransaction(txId))!.status !== 'CANCELLED' && Date.now() < deadline) await sleep(50);
    expect(await tcc.findTransaction(txId)).toMatchObject({ status: 'CANCELLED', cancelReason: 'EXPIRED' });
    expect((await holdStates(started.db, [txId])).get(`${txId}:hold`)).toBe('RELEASED');
  });

  it('schedules nothing when jobs are disabled', async () => {
    testEnv = newTestEnv({ JOBS_ENABLED: 'false' });
    moduleRef = (await startTccModule(testEnv.env)).moduleRef;
    expect(
      moduleRef
        .get(SchedulerRegistry)
        .getIntervals()
        .filter((n) => n.startsWith('tcc-')),
    ).toEqual([]);
  });
});
