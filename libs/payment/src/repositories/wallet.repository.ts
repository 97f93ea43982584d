import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows, isDuplicateKeyError } from '@app/core';
import { expectOrRun, type LocalUnit } from '@app/tcc';
import { WalletCreditEntity } from '../entities/wallet-credit.entity';
import { WalletEntity } from '../entities/wallet.entity';

/** Name of a wallet's deferred top-up in a local unit (one upsert per wallet per local transaction, last). */
export function walletCreditSum(userId: string): string {
  return `wallet-credit|${userId}`;
}

export interface VersionedWallet {
  balanceCents: number;
  frozenCents: number;
  version: number | null;
}

/**
 * The only class that touches `wallet` and `wallet_credit`. Every balance change is one
 * conditional UPDATE (or an upsert that only adds), so balances can never go negative
 * under concurrency; the table's CHECK constraints are the second line of defence.
 */
@Injectable()
export class WalletRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findWallet(userId: string, em: EntityManager = this.dataSource.manager): Promise<WalletEntity | null> {
    return em.getRepository(WalletEntity).findOneBy({ userId });
  }

  /** Records a top-up; false when one with this ref exists already (the top-up was applied before). */
  async insertCredit(em: EntityManager, credit: WalletCreditEntity): Promise<boolean> {
    const result: unknown = await em.query(
      `INSERT IGNORE INTO wallet_credit (id, user_id, amount_cents, ref, created_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(3))`,
      [credit.id, credit.userId, credit.amountCents, credit.ref],
    );
    return affectedRows(result) === 1;
  }

  findCreditByRef(em: EntityManager, ref: string): Promise<WalletCreditEntity | null> {
    return em.getRepository(WalletCreditEntity).findOneBy({ ref });
  }

  /** The wallet's balances and the version a compare-and-set must find (null: no wallet yet; it reads as empty). */
  async readVersioned(em: EntityManager, userId: string, locked: boolean): Promise<VersionedWallet> {
    const [row]: Array<{ balance_cents: string; frozen_cents: string; version: string }> = await em.query(
      `SELECT balance_cents, frozen_cents, version FROM wallet WHERE user_id = ?${locked ? ' FOR UPDATE' : ''}`,
      [userId],
    );
    if (!row) return { balanceCents: 0, frozenCents: 0, version: null };
    return {
      balanceCents: Number(row.balance_cents),
      frozenCents: Number(row.frozen_cents),
      version: Number(row.version),
    };
  }

  /**
   * Sets the balance if the wallet is still at the version `before` read (creates it if there
   * was none): one statement. false = the wallet moved meanwhile; read it again.
   */
  async setBalanceIfUnchanged(
    em: EntityManager,
    userId: string,
    before: VersionedWallet,
    balanceCents: number,
  ): Promise<boolean> {
    if (before.version === null) {
      try {
        await em.query(
          `INSERT INTO wallet (user_id, balance_cents, frozen_cents, version, created_at, updated_at)
           VALUES (?, ?, 0, 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`,
          [userId, balanceCents],
        );
        return true;
      } catch (err) {
        if (isDuplicateKeyError(err)) return false; // created meanwhile
        throw err;
      }
    }
    const result: unknown = await em.query(
      `UPDATE wallet SET balance_cents = ?, version = version + 1, updated_at = UTC_TIMESTAMP(3)
        WHERE user_id = ? AND version = ?`,
      [balanceCents, userId, before.version],
    );
    return affectedRows(result) === 1;
  }

  /** balance += n, creating the wallet on first use. */
  async addToBalance(em: EntityManager, userId: string, amountCents: number): Promise<void> {
    await em.query(
      `INSERT INTO wallet (user_id, balance_cents, frozen_cents, version, created_at, updated_at)
       VALUES (?, ?, 0, 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))
       ON DUPLICATE KEY UPDATE balance_cents = balance_cents + ?, version = version + 1, updated_at = UTC_TIMESTAMP(3)`,
      [userId, amountCents, amountCents],
    );
  }

  /** Payment try: balance → frozen, only if the balance covers it. False = insufficient (or no wallet). */
  /**
   * Payment try: balance → frozen if the balance covers it, else `refusal()`. Queued in the local
   * unit (decided with the transaction's other writes, the wallet row locked only from there to COMMIT).
   */
  async freeze(
    em: EntityManager,
    local: LocalUnit | undefined,
    userId: string,
    amountCents: number,
    refusal: () => Error,
  ): Promise<void> {
    await expectOrRun(
      em,
      local,
      `UPDATE wallet SET balance_cents = balance_cents - ?, frozen_cents = frozen_cents + ?, version = version + 1,
              updated_at = UTC_TIMESTAMP(3)
        WHERE user_id = ? AND balance_cents >= ?`,
      [amountCents, amountCents, userId, amountCents],
      1,
      refusal,
    );
  }

  /** Payment confirm: the frozen money leaves the wallet (it is now captured by the payment). */
  async captureFrozen(
    em: EntityManager,
    local: LocalUnit | undefined,
    userId: string,
    amountCents: number,
    mismatch: () => Error,
  ): Promise<void> {
    await expectOrRun(
      em,
      local,
      `UPDATE wallet SET frozen_cents = frozen_cents - ?, version = version + 1, updated_at = UTC_TIMESTAMP(3)
        WHERE user_id = ? AND frozen_cents >= ?`,
      [amountCents, userId, amountCents],
      1,
      mismatch,
    );
  }

  /** Payment cancel: frozen → balance. */
  async releaseFrozen(em: EntityManager, userId: string, amountCents: number): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE wallet SET frozen_cents = frozen_cents - ?, balance_cents = balance_cents + ?, version = version + 1,
              updated_at = UTC_TIMESTAMP(3)
        WHERE user_id = ? AND frozen_cents >= ?`,
      [amountCents, amountCents, userId, amountCents],
    );
    return affectedRows(result) === 1;
  }

  /** For the audit: Σ top-ups and Σ of what the wallets hold. */
  async totals(em: EntityManager): Promise<{ creditedCents: bigint; balanceCents: bigint; frozenCents: bigint }> {
    const [row]: Array<Record<string, string | number>> = await em.query(
      `SELECT (SELECT COALESCE(SUM(amount_cents), 0) FROM wallet_credit) AS credited,
              COALESCE(SUM(balance_cents), 0) AS balances, COALESCE(SUM(frozen_cents), 0) AS frozen
         FROM wallet`,
    );
    return { creditedCents: BigInt(row.credited), balanceCents: BigInt(row.balances), frozenCents: BigInt(row.frozen) };
  }

  /** For the audit: every wallet's frozen_cents (compared with its FROZEN payments). */
  async frozenByUser(em: EntityManager): Promise<Map<string, bigint>> {
    const rows: Array<{ user_id: string; frozen_cents: string | number }> = await em.query(
      `SELECT user_id, frozen_cents FROM wallet WHERE frozen_cents <> 0`,
    );
    return new Map(rows.map((r) => [r.user_id, BigInt(r.frozen_cents)]));
  }
}
