/*
 * Child process of crash.test.ts. Begins transactions and leaves them mid-flight, then prints
 * their ids and waits to be killed with SIGKILL:
 *   A: both branches tried, never committed (crash between try and commit);
 *   B: commit won, first branch confirmed, second one's confirm hangs (crash between commit and confirms);
 *   C: rollback won, one branch cancelled, the other's cancel hangs;
 *   D: second branch registered, its try hangs (crash inside a try).
 */
import 'reflect-metadata';
import { sleep } from '@app/core';
import { TccCoordinator } from '@app/tcc';
import { startTccModule } from './tcc-test-module';
import { HoldPayload, probe } from './test-participants';

const PER_GROUP = 4;
const SHORT_DEADLINE_MS = 1500;

async function main(): Promise<void> {
  process.env.TCC_CRASH_CHILD = '1';
  const env = JSON.parse(process.env.TCC_CRASH_ENV ?? '{}') as Record<string, string>;
  const { moduleRef } = await startTccModule(env);
  const tcc = moduleRef.get(TccCoordinator);
  const range = Array.from({ length: PER_GROUP }, (_, i) => i);

  const open = async (timeoutMs: number, a: Partial<HoldPayload>, b: Partial<HoldPayload>) => {
    const txId = await tcc.begin({ name: 'crash', timeoutMs });
    await tcc.tryBranch(txId, 'hold', { amount: 1, ...a }, { key: 'a' });
    await tcc.tryBranch(txId, 'hold', { amount: 2, ...b }, { key: 'b' });
    return txId;
  };

  const A = await Promise.all(range.map(() => open(SHORT_DEADLINE_MS, {}, {})));
  const B = await Promise.all(range.map(() => open(600_000, {}, { hangOnConfirm: true })));
  const C = await Promise.all(range.map(() => open(600_000, { hangOnCancel: true }, {})));
  const D = await Promise.all(
    range.map(async () => {
      const txId = await tcc.begin({ name: 'crash', timeoutMs: SHORT_DEADLINE_MS });
      await tcc.tryBranch(txId, 'hold', { amount: 1 }, { key: 'a' });
      void tcc.tryBranch(txId, 'hold', { amount: 2, hangOnTry: true }, { key: 'b' });
      return txId;
    }),
  );
  for (const txId of B) void tcc.commit(txId);
  for (const txId of C) void tcc.rollback(txId, 'USER');

  while (probe.hanging < PER_GROUP * 3) await sleep(10);
  process.stdout.write(`${JSON.stringify({ A, B, C, D })}\n`);
  await new Promise(() => undefined); // wait for SIGKILL
}

main().catch((err: unknown) => {
  process.stderr.write(`crash child failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
