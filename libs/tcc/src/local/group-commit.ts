import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig, inTransaction, isRetryableTxError } from '@app/core';
import { tccMetrics } from '../tcc.metrics';
import { applySums, flushWrites, LocalUnit, MemberUnit, runAfterCommit } from './local-unit';

export type MemberWork<T> = (em: EntityManager, local: LocalUnit) => Promise<T>;

interface Member<T = unknown> {
  work: MemberWork<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

interface Lane {
  waiting: Member[];
  inFlight: number;
}

/** A summed update refused: the group is re-run one member per local transaction. */
class SumRefused extends Error {
  constructor(readonly refusal: unknown) {
    super('summed update refused');
  }
}

/**
 * Group commit. Work submitted under one key (one hot row) while a batch of that key is in
 * flight waits, then runs with the others in ONE local transaction: each member inside its
 * own savepoint (a member that throws is rolled back alone), then each deferred sum applied
 * once, then one COMMIT. Under load a batch holds what arrived during the previous one, so
 * the hot row is locked once per batch instead of once per request.
 */
@Injectable()
export class GroupCommit {
  private readonly logger = new Logger(GroupCommit.name);
  private readonly lanes = new Map<string, Lane>();
  private readonly maxBatch: number;
  private readonly lingerMs: number;
  private readonly maxInFlight: number;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    config: AppConfig,
  ) {
    ({ maxBatch: this.maxBatch, lingerMs: this.lingerMs, inFlight: this.maxInFlight } = config.tcc.groupCommit);
  }

  /** Runs `work` in a local transaction shared with other work of `key`; resolves after the commit and its callbacks. */
  run<T>(phase: string, key: string | null, work: MemberWork<T>): Promise<T> {
    if (key === null || this.maxBatch <= 1) return this.runAlone(work);
    return new Promise<T>((resolve, reject) => {
      const laneKey = `${phase}:${key}`;
      let lane = this.lanes.get(laneKey);
      if (!lane) this.lanes.set(laneKey, (lane = { waiting: [], inFlight: 0 }));
      lane.waiting.push({ work, resolve, reject } as Member);
      if (lane.inFlight < this.maxInFlight && lane.waiting.length === 1) {
        // Let work arriving in the same tick (or within the linger) join this batch.
        if (this.lingerMs > 0) setTimeout(() => this.startBatches(phase, laneKey), this.lingerMs);
        else setImmediate(() => this.startBatches(phase, laneKey));
      }
    });
  }

  /** One member, one local transaction: its sums applied, its callbacks run after the commit. */
  async runAlone<T>(work: MemberWork<T>): Promise<T> {
    let unit = new MemberUnit();
    const value = await inTransaction(this.ds, async (em) => {
      unit = new MemberUnit(); // a deadlock retry starts over
      const result = await work(em, unit);
      await flushWrites(em, unit);
      await applySums(em, [unit]);
      return result;
    });
    await runAfterCommit(unit, (err) => this.logger.error({ err }, 'after-commit callback failed'));
    return value;
  }

  private startBatches(phase: string, laneKey: string): void {
    const lane = this.lanes.get(laneKey);
    if (!lane) return;
    while (lane.inFlight < this.maxInFlight && lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0, this.maxBatch);
      lane.inFlight++;
      void this.runBatch(phase, batch).finally(() => {
        lane.inFlight--;
        if (lane.waiting.length > 0) this.startBatches(phase, laneKey);
        else if (lane.inFlight === 0) this.lanes.delete(laneKey);
      });
    }
  }

  private async runBatch(phase: string, batch: Member[]): Promise<void> {
    tccMetrics.groupCommitBatch.observe({ phase }, batch.length);
    if (batch.length === 1) return settle(batch[0], this.runAlone(batch[0].work));
    let outcomes: Array<{ ok: true; value: unknown; unit: MemberUnit } | { ok: false; err: unknown }> = [];
    try {
      outcomes = await inTransaction(this.ds, async (em) => {
        const results = [];
        await em.query('SAVEPOINT m0');
        for (let i = 0; i < batch.length; i++) results.push(await runInSavepoint(em, i, batch.length, batch[i].work));
        const committed = results.flatMap((r) => (r.ok ? [r.unit] : []));
        try {
          await applySums(em, committed);
        } catch (err) {
          if (isRetryableTxError(err)) throw err;
          throw new SumRefused(err);
        }
        return results;
      });
    } catch (err) {
      if (!(err instanceof SumRefused)) {
        batch.forEach((m) => m.reject(err));
        return;
      }
      // Someone's amount did not fit: find out whose, each member on its own.
      tccMetrics.groupCommitSplits.inc({ phase });
      await Promise.all(batch.map((m) => settle(m, this.runAlone(m.work))));
      return;
    }
    await Promise.all(
      outcomes.map(async (o, i) => {
        if (!o.ok) return batch[i].reject(o.err);
        await runAfterCommit(o.unit, (err) => this.logger.error({ err }, 'after-commit callback failed'));
        batch[i].resolve(o.value);
      }),
    );
  }
}

/**
 * Runs member `i` inside savepoint m<i> (already set): its failure rolls back its statements
 * only. The next member's savepoint rides in the same round trip as this member's writes.
 */
async function runInSavepoint(
  em: EntityManager,
  i: number,
  count: number,
  work: MemberWork<unknown>,
): Promise<{ ok: true; value: unknown; unit: MemberUnit } | { ok: false; err: unknown }> {
  const unit = new MemberUnit();
  const next = i + 1 < count ? `SAVEPOINT m${i + 1}` : undefined;
  try {
    const value = await work(em, unit);
    await flushWrites(em, unit, next);
    return { ok: true, value, unit };
  } catch (err) {
    // A deadlock rolled the whole transaction back: the batch starts over.
    if (isRetryableTxError(err)) throw err;
    await em.query(next ? `ROLLBACK TO SAVEPOINT m${i}; ${next}` : `ROLLBACK TO SAVEPOINT m${i}`);
    return { ok: false, err };
  }
}

async function settle<T>(member: Member<T>, outcome: Promise<T>): Promise<void> {
  try {
    member.resolve(await outcome);
  } catch (err) {
    member.reject(err);
  }
}
