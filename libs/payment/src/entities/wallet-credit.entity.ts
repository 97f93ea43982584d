import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';

/** A top-up: money entering the wallets from outside. `ref` is unique, so a top-up applies once. */
@Entity('wallet_credit')
export class WalletCreditEntity {
  @PrimaryColumn({ type: 'varchar', length: 26 }) id: string;
  @Column({ name: 'user_id', type: 'varchar', length: 64 }) userId: string;
  @Column({ name: 'amount_cents', type: 'bigint', transformer: bigintToNumber }) amountCents: number;
  @Column({ type: 'varchar', length: 255 }) ref: string;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
}
