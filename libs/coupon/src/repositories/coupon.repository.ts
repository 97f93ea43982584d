import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows, isDuplicateKeyError, selectPage, Where } from '@app/core';
import { CouponEntity } from '../entities/coupon.entity';
import { UserCouponState } from '../entities/user-coupon.entity';

/** A user's coupon with its definition (one row of the storefront list, and what quote needs). */
export interface UserCouponRow {
  userId: string;
  code: string;
  state: UserCouponState;
  type: CouponEntity['type'];
  value: number;
  minOrderCents: number;
  validFrom: Date | null;
  validTo: Date | null;
}

interface RawUserCoupon {
  user_id: string;
  code: string;
  state: UserCouponState;
  type: CouponEntity['type'];
  value: string | number;
  min_order_cents: string | number;
  valid_from: Date | null;
  valid_to: Date | null;
}

const USER_COUPON_COLUMNS = `uc.user_id, uc.code, uc.state, c.type, c.value, c.min_order_cents, c.valid_from, c.valid_to`;

/**
 * The only class that touches the `coupon` and `user_coupon` tables. State changes are
 * single conditional UPDATEs; the caller reads "changed or not" from the affected-row count
 * (every condition includes the old state, so matched rows = changed rows).
 */
@Injectable()
export class CouponRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Inserts; returns false when the code exists. */
  async insertCoupon(coupon: CouponEntity): Promise<boolean> {
    try {
      await this.dataSource.getRepository(CouponEntity).insert(coupon);
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }

  async couponExists(code: string): Promise<boolean> {
    return (await this.dataSource.getRepository(CouponEntity).countBy({ code })) > 0;
  }

  /** Issues to every listed user who does not hold the coupon yet; returns how many got it now. */
  async issueToUsers(code: string, userIds: string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    const values = userIds.map(() => `(?, ?, 'AVAILABLE', NULL, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))`).join(', ');
    const params = userIds.flatMap((userId) => [userId, code]);
    return affectedRows(
      await this.dataSource.query(
        `INSERT IGNORE INTO user_coupon (user_id, code, state, tx_id, created_at, updated_at) VALUES ${values}`,
        params,
      ),
    );
  }

  async findUserCoupon(userId: string, code: string): Promise<UserCouponRow | null> {
    const rows: RawUserCoupon[] = await this.dataSource.query(
      `SELECT ${USER_COUPON_COLUMNS} FROM user_coupon uc JOIN coupon c ON c.code = uc.code
        WHERE uc.user_id = ? AND uc.code = ?`,
      [userId, code],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  async findUserCouponPage(
    userId: string,
    state: UserCouponState | undefined,
    limit: number,
    offset: number,
  ): Promise<[UserCouponRow[], number]> {
    const [rows, total] = await selectPage<RawUserCoupon>(
      this.dataSource,
      {
        columns: USER_COUPON_COLUMNS,
        from: 'user_coupon uc JOIN coupon c ON c.code = uc.code',
        countFrom: 'user_coupon uc',
        where: new Where().equals('uc.user_id', userId).equals('uc.state', state),
        orderBy: 'uc.created_at DESC, uc.code ASC',
      },
      limit,
      offset,
    );
    return [rows.map(toRow), total];
  }

  /** The state of a user's coupon (null when not issued), read in the caller's transaction. */
  async stateOf(em: EntityManager, userId: string, code: string): Promise<UserCouponState | null> {
    const rows: Array<{ state: UserCouponState }> = await em.query(
      `SELECT state FROM user_coupon WHERE user_id = ? AND code = ?`,
      [userId, code],
    );
    return rows[0]?.state ?? null;
  }

  /** Checkout try: AVAILABLE → FROZEN, only while the coupon is inside its validity window. */
  async freeze(em: EntityManager, userId: string, code: string, txId: string): Promise<boolean> {
    const result: unknown = await em.query(
      `UPDATE user_coupon uc SET uc.state = 'FROZEN', uc.tx_id = ?, uc.updated_at = UTC_TIMESTAMP(3)
        WHERE uc.user_id = ? AND uc.code = ? AND uc.state = 'AVAILABLE'
          AND EXISTS (SELECT 1 FROM coupon c WHERE c.code = uc.code
                        AND (c.valid_from IS NULL OR c.valid_from <= UTC_TIMESTAMP(3))
                        AND (c.valid_to IS NULL OR c.valid_to > UTC_TIMESTAMP(3)))`,
      [txId, userId, code],
    );
    return affectedRows(result) === 1;
  }

  /** Moves a coupon from one state to another; `onlyTx` also requires it to be held by that transaction. */
  async transition(
    em: EntityManager,
    change: {
      userId: string;
      code: string;
      from: UserCouponState;
      to: UserCouponState;
      txId: string | null;
      onlyTx?: string;
    },
  ): Promise<boolean> {
    const txCondition = change.onlyTx !== undefined ? ' AND tx_id = ?' : '';
    const result: unknown = await em.query(
      `UPDATE user_coupon SET state = ?, tx_id = ?, updated_at = UTC_TIMESTAMP(3)
        WHERE user_id = ? AND code = ? AND state = ?${txCondition}`,
      [
        change.to,
        change.txId,
        change.userId,
        change.code,
        change.from,
        ...(change.onlyTx !== undefined ? [change.onlyTx] : []),
      ],
    );
    return affectedRows(result) === 1;
  }

  /** For the audit: coupons held FROZEN, with the transaction holding them. */
  async findFrozen(limit: number): Promise<Array<{ userId: string; code: string; txId: string | null }>> {
    const rows: Array<{ user_id: string; code: string; tx_id: string | null }> = await this.dataSource.query(
      `SELECT user_id, code, tx_id FROM user_coupon WHERE state = 'FROZEN' ORDER BY updated_at LIMIT ?`,
      [limit],
    );
    return rows.map((r) => ({ userId: r.user_id, code: r.code, txId: r.tx_id }));
  }
}

function toRow(r: RawUserCoupon): UserCouponRow {
  return {
    userId: r.user_id,
    code: r.code,
    state: r.state,
    type: r.type,
    value: Number(r.value),
    minOrderCents: Number(r.min_order_cents),
    validFrom: r.valid_from,
    validTo: r.valid_to,
  };
}
