import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';

export type CouponType = 'FIXED' | 'PERCENT';

@Entity('coupon')
export class CouponEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) code: string;
  @Column({ type: 'enum', enum: ['FIXED', 'PERCENT'] }) type: CouponType;
  /** FIXED: cents off; PERCENT: percent off (1-100). */
  @Column({ type: 'bigint', transformer: bigintToNumber }) value: number;
  @Column({ name: 'min_order_cents', type: 'bigint', transformer: bigintToNumber }) minOrderCents: number;
  @Column({ name: 'valid_from', type: 'datetime', precision: 3, nullable: true }) validFrom: Date | null;
  @Column({ name: 'valid_to', type: 'datetime', precision: 3, nullable: true }) validTo: Date | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
}
