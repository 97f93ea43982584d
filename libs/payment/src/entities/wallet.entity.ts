import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';

@Entity('wallet')
export class WalletEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 }) userId: string;
  /** Spendable. */
  @Column({ name: 'balance_cents', type: 'bigint', transformer: bigintToNumber }) balanceCents: number;
  /** Held by payments whose transaction is still open (FROZEN wallet payments). */
  @Column({ name: 'frozen_cents', type: 'bigint', transformer: bigintToNumber }) frozenCents: number;
  @Column({ type: 'int' }) version: number;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'datetime', precision: 3 }) updatedAt: Date;
}
