import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AppConfig, InFlightWork, inTransaction, isRetryableTxError } from '@app/core';
import { tccMetrics } from '../tcc.metrics';
import { coalesceInserts } from './coalesce-inserts';
import {
  applySums,
  checkExpectations,
  flushWrites,
  LocalUnit,
  MemberUnit,
  QueuedWrite,
  runAfterCommit,
  runAfterRefusal,
} from './local-unit';

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

/** A summed update refused (or a queued write failed): the group is re-run one member per local transaction. */
class SplitBatch extends Error {
  constructor(readonly refusal: unknown) {
    super('the batch must be split');
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
  /** Commits wait on several answers per member, one after another: more batches in flight pay off. */
  private readonly maxCommitsInFlight: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
    private readonly inFlight: InFlightWork,
  ) {
    ({
      maxBatch: this.maxBatch,
      lingerMs: this.lingerMs,
      inFlight: this.maxInFlight,
      commitInFlight: this.maxCommitsInFlight,
    } = config.tcc.groupCommit);
  }

  /** Runs `work` in a local transaction shared with other work of `key`; resolves after the commit and its callbacks. */
  run<T>(phase: string, key: string | null, work: MemberWork<T>): Promise<T> {
    if (key === null || this.maxBatch <= 1) return this.runAlone(work);
    return new Promise<T>((resolve, reject) => {
      const laneKey = `${phase}:${key}`;
      let lane = this.lanes.get(laneKey);
      if (!lane) this.lanes.set(laneKey, (lane = { waiting: [], inFlight: 0 }));
      lane.waiting.push({ work, resolve, reject } as Member);
      if (lane.inFlight < this.inFlightOf(phase) && lane.waiting.length === 1) {
        // Let work arriving in the same tick (or within the linger) join this batch.
        if (this.lingerMs > 0) setTimeout(() => this.startBatches(phase, laneKey), this.lingerMs);
        else setImmediate(() => this.startBatches(phase, laneKey));
      }
    });
  }

  /** One member, one local transaction: its sums applied, its callbacks run after the commit. */
  async runAlone<T>(work: MemberWork<T>): Promise<T> {
    let unit = new MemberUnit();
    let value: T;
    try {
      value = await inTransaction(this.dataSource, async (em) => {
        unit = new MemberUnit(); // a deadlock retry starts over
        const result = await work(em, unit);
        await flushWrites(em, unit);
        await applySums(em, [unit]);
        return result;
      });
    } catch (err) {
      runAfterRefusal(unit); // the last attempt's refusal is the final one
      throw err;
    }
    await runAfterCommit(unit, (err) => this.logger.error({ err }, 'after-commit callback failed'));
    return value;
  }

  private inFlightOf(phase: string): number {
    return phase === 'commit' ? this.maxCommitsInFlight : this.maxInFlight;
  }

  private startBatches(phase: string, laneKey: string): void {
    const lane = this.lanes.get(laneKey);
    if (!lane) return;
    while (lane.inFlight < this.inFlightOf(phase) && lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0, this.maxBatch);
      lane.inFlight++;
      // a batch (its COMMIT and after-commit work) is in flight until done: shutdown waits for it
      void this.inFlight.track(this.runBatch(phase, batch)).finally(() => {
        lane.inFlight--;
        if (lane.waiting.length > 0) this.startBatches(phase, laneKey);
        else if (lane.inFlight === 0) this.lanes.delete(laneKey);
      });
    }
  }

  private async runBatch(phase: string, batch: Member[]): Promise<void> {
    tccMetrics.groupCommitBatch.observe({ phase }, batch.length);
    if (batch.length === 1) return settle(batch[0], this.runAlone(batch[0].work));
    let outcomes: MemberOutcome[] = [];
    try {
      outcomes = await inTransaction(this.dataSource, async (em) => {
        const pending = new PendingWrites(em);
        const results: MemberOutcome[] = [];
        for (let i = 0; i < batch.length; i++) results.push(await runMember(em, pending, i, batch[i].work));
        try {
          await pending.flush();
        } catch (err) {
          if (isRetryableTxError(err)) throw err;
          throw new SplitBatch(err); // some member's write failed; which one, MySQL does not say
        }
        const committed = results.flatMap((r) => (r.ok ? [r.unit] : []));
        try {
          await applySums(em, committed);
        } catch (err) {
          if (isRetryableTxError(err)) throw err;
          throw new SplitBatch(err);
        }
        return results;
      });
    } catch (err) {
      if (!(err instanceof SplitBatch)) {
        batch.forEach((m) => m.reject(err));
        return;
      }
      // Someone's amount did not fit (or write failed): find out whose, each member on its own.
      tccMetrics.groupCommitSplits.inc({ phase });
      await Promise.all(batch.map((m) => settle(m, this.runAlone(m.work))));
      return;
    }
    await Promise.all(
      outcomes.map(async (o, i) => {
        if (!o.ok) {
          runAfterRefusal(o.unit);
          return batch[i].reject(o.err);
        }
        await runAfterCommit(o.unit, (err) => this.logger.error({ err }, 'after-commit callback failed'));
        batch[i].resolve(o.value);
      }),
    );
  }
}

type MemberOutcome = { ok: true; value: unknown; unit: MemberUnit } | { ok: false; err: unknown; unit: MemberUnit };

/**
 * The batch's queued statements: the plain writes of the members that succeeded, sent together
 * (the INSERTs into one table merged into one, `coalesceInserts`). A member that needs an answer
 * from MySQL (a conditional UPDATE) first sends what is pending with its own SAVEPOINT, so
 * savepoints always come before the statements they protect.
 */
class PendingWrites {
  private readonly writes: QueuedWrite[] = [];

  constructor(private readonly em: EntityManager) {}

  add(sql: string, params: unknown[] = []): void {
    this.writes.push({ sql, params });
  }

  addAll(unit: MemberUnit): void {
    this.writes.push(...unit.writes.splice(0));
  }

  async flush(): Promise<void> {
    const unit = new MemberUnit();
    unit.writes.push(...this.writes.splice(0));
    await flushWrites(this.em, unit);
  }

  /**
   * Sends what is pending and a member's own query in one round trip; returns the query's
   * result. Any failure splits the batch: MySQL does not say which statement failed.
   */
  async flushWith(sql: string, params: unknown[] = []): Promise<unknown> {
    const writes = coalesceInserts(this.writes.splice(0));
    const own = sql.split(';').length;
    try {
      const results = await this.em.query<unknown[]>([...writes.map((w) => w.sql.trim()), sql].join(';\n'), [
        ...writes.flatMap((w) => w.params),
        ...params,
      ]);
      checkExpectations(writes, results.slice(0, results.length - own));
      const mine = results.slice(results.length - own);
      return own === 1 ? mine[0] : mine;
    } catch (err) {
      throw isRetryableTxError(err) ? err : new SplitBatch(err);
    }
  }
}

/**
 * Runs member `i` within savepoint m<i>: its failure rolls back its statements only. A member
 * that only writes costs no round trip of its own; one that reads or updates conditionally has
 * everything pending and its savepoint sent in the round trip of its first statement, through a
 * wrapper of `em.query` (so members must use `em.query`).
 */
async function runMember(
  em: EntityManager,
  pending: PendingWrites,
  i: number,
  work: MemberWork<unknown>,
): Promise<MemberOutcome> {
  const unit = new MemberUnit();
  let savepointSent = false;
  const query = async (sql: string, params?: unknown[]): Promise<unknown> => {
    if (savepointSent) return em.query(sql, params);
    savepointSent = true;
    pending.add(`SAVEPOINT m${i}`);
    return pending.flushWith(sql, params);
  };
  const memberEm = new Proxy(em, {
    get: (target, prop) => (prop === 'query' ? query : (Reflect.get(target, prop) as unknown)),
  });
  try {
    const value = await work(memberEm, unit);
    // A member that sent nothing needs no savepoint: its writes go out only now that it succeeded.
    pending.addAll(unit);
    return { ok: true, value, unit };
  } catch (err) {
    // A deadlock rolled the whole transaction back: the batch starts over.
    if (isRetryableTxError(err) || err instanceof SplitBatch) throw err;
    if (savepointSent) await em.query(`ROLLBACK TO SAVEPOINT m${i}`);
    return { ok: false, err, unit };
  }
}

async function settle<T>(member: Member<T>, outcome: Promise<T>): Promise<void> {
  try {
    member.resolve(await outcome);
  } catch (err) {
    member.reject(err);
  }
}
