import { Test, TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CORE_MIGRATIONS, CoreModule } from '@app/core';
import { TCC_MIGRATIONS, TccModule } from '@app/tcc';
import { TccTestTables1700000090000, TestParticipantsModule } from './test-participants';

export const TCC_TEST_MIGRATIONS = [...CORE_MIGRATIONS, ...TCC_MIGRATIONS, TccTestTables1700000090000];

/** Core + TCC + the test participants on the given environment (database), lifecycle hooks run. */
export async function startTccModule(
  env: Record<string, string>,
): Promise<{ moduleRef: TestingModule; db: DataSource }> {
  const moduleRef = await Test.createTestingModule({
    imports: [CoreModule.forRoot({ migrations: TCC_TEST_MIGRATIONS, env }), TccModule, TestParticipantsModule],
  }).compile();
  await moduleRef.init();
  return { moduleRef, db: moduleRef.get<DataSource>(getDataSourceToken()) };
}

/** Effects per branch and phase, from the participants' own table. */
export async function effectCounts(db: DataSource, txIds: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (!txIds.length) return out;
  const rows: Array<{ branchId: string; phase: string; n: number }> = await db.query(
    `SELECT branch_id AS branchId, phase, COUNT(*) AS n FROM test_effect
     WHERE tx_id IN (${txIds.map(() => '?').join(',')}) GROUP BY branch_id, phase`,
    txIds,
  );
  for (const r of rows) {
    const counts = out.get(r.branchId) ?? {};
    counts[r.phase] = Number(r.n);
    out.set(r.branchId, counts);
  }
  return out;
}

export async function holdStates(db: DataSource, txIds: string[]): Promise<Map<string, string>> {
  if (!txIds.length) return new Map();
  const rows: Array<{ branchId: string; state: string }> = await db.query(
    `SELECT branch_id AS branchId, state FROM test_hold WHERE tx_id IN (${txIds.map(() => '?').join(',')})`,
    txIds,
  );
  return new Map(rows.map((r) => [r.branchId, r.state]));
}

export { sleep } from '@app/core';
