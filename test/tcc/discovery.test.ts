import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { EntityManager } from 'typeorm';
import { CoreModule } from '@app/core';
import { TccCoordinator, TccModule, TccParticipant, TccParticipantHandler } from '@app/tcc';
import { newTestEnv, TestEnv } from '../helpers/test-env';
import { TCC_TEST_MIGRATIONS } from './support/tcc-test-module';
import { TestParticipantsModule } from './support/test-participants';

@Injectable()
@TccParticipant('hold')
class AnotherHold implements TccParticipantHandler {
  async try(_em: EntityManager): Promise<void> {}
  async confirm(_em: EntityManager): Promise<void> {}
  async cancel(_em: EntityManager): Promise<void> {}
}

@Module({ providers: [AnotherHold] })
class ClashingModule {}

describe('TCC participant discovery', () => {
  let testEnv: TestEnv;

  beforeAll(() => {
    testEnv = newTestEnv();
  });

  afterAll(async () => {
    await testEnv?.cleanup();
  });

  it('finds participants marked @TccParticipant in any module at start-up', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot({ migrations: TCC_TEST_MIGRATIONS, env: testEnv.env }),
        TccModule,
        TestParticipantsModule,
      ],
    }).compile();
    await moduleRef.init();
    try {
      const tcc = moduleRef.get(TccCoordinator);
      const txId = await tcc.begin({ name: 'discovery' });
      await expect(tcc.tryBranch(txId, 'note', { text: 'x' })).resolves.toBe(`${txId}:note`);
      // @ts-expect-error an unregistered name does not compile; at run time it is refused as well
      await expect(tcc.tryBranch(txId, 'nobody', {})).rejects.toThrow("No TCC participant named 'nobody'");
    } finally {
      await moduleRef.close();
    }
  });

  it('refuses to start when two providers claim the same participant name', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        CoreModule.forRoot({ migrations: TCC_TEST_MIGRATIONS, env: testEnv.env }),
        TccModule,
        TestParticipantsModule,
        ClashingModule,
      ],
    }).compile();
    try {
      await expect(moduleRef.init()).rejects.toThrow("Two TCC participants are named 'hold'");
    } finally {
      await moduleRef.close().catch(() => undefined);
    }
  });
});
