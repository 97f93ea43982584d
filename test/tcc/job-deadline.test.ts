import { Injectable, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import type { EntityManager } from 'typeorm';
import { CoreModule, metricsRegistry } from '@app/core';
import { BranchContext, TccCoordinator, TccModule, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { sleep, TCC_TEST_MIGRATIONS } from './support/tcc-test-module';
import { TestParticipantsModule } from './support/test-participants';

declare module '@app/tcc' {
  interface TccPayloads {
    sticky: { hang: boolean };
  }
}

/** A cancel that never returns until the test lets it go: a recovery round stuck in one await. */
const stuck: Array<() => void> = [];

@Injectable()
@TccParticipant('sticky')
class StickyParticipant implements TccParticipantHandler<{ hang: boolean }> {
  async try(): Promise<void> {}
  async confirm(): Promise<void> {}
  async cancel(_em: EntityManager, _ctx: BranchContext, p: { hang: boolean }): Promise<void> {
    if (p.hang) await new Promise<void>((resolve) => stuck.push(resolve));
  }
}

@Module({ providers: [StickyParticipant] })
class StickyModule {}

async function abandonedRounds(job: string): Promise<number> {
  const metric = (await metricsRegistry.getMetricsAsJSON()).find((m) => m.name === 'job_rounds_abandoned_total');
  return Number((metric?.values ?? []).find((v) => v.labels.job === job)?.value ?? 0);
}

describe('scheduled job rounds have a deadline', () => {
  let testEnv: TestEnv;
  let moduleRef: TestingModule;

  beforeAll(async () => {
    testEnv = newTestEnv({
      JOBS_ENABLED: 'true',
      TCC_RECOVERY_INTERVAL_MS: '100',
      TCC_RECOVERY_BATCH_SIZE: '1', // the stuck tx is the whole first round
      JOB_ROUND_DEADLINE_MS: '500',
    });
    moduleRef = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot({ migrations: TCC_TEST_MIGRATIONS, env: testEnv.env }),
        TccModule,
        TestParticipantsModule,
        StickyModule,
      ],
    }).compile();
    await moduleRef.init();
  });

  afterAll(async () => {
    stuck.forEach((release) => release());
    await moduleRef?.close();
    await testEnv?.cleanup();
  });

  it('a round stuck on one transaction is abandoned and the next rounds recover the others', async () => {
    const tcc = moduleRef.get(TccCoordinator);
    const before = await abandonedRounds('tcc-recovery');
    // both expire at once; the stuck one has the earlier deadline, so the first round claims it
    const hanging = await tcc.begin({ name: 'stuck', timeoutMs: 1000 });
    await tcc.tryBranch(hanging, 'sticky', { hang: true });
    await sleep(20);
    const others = await Promise.all(Array.from({ length: 3 }, () => tcc.begin({ name: 'fine', timeoutMs: 1000 })));
    for (const txId of others) await tcc.tryBranch(txId, 'sticky', { hang: false });

    const until = Date.now() + 8000;
    let statuses = await tcc.statusesOf(others);
    while (Date.now() < until && others.some((id) => statuses.get(id) !== 'CANCELLED')) {
      await sleep(100);
      statuses = await tcc.statusesOf(others);
    }
    expect(stuck.length).toBeGreaterThanOrEqual(1); // the first round really is stuck
    expect(others.map((id) => statuses.get(id))).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(await abandonedRounds('tcc-recovery')).toBeGreaterThan(before);
    expect((await tcc.findTransaction(hanging))!.status).toBe('CANCELLING');
  });
});
