import { Column, Entity, PrimaryColumn } from 'typeorm';

/** AVAILABLE → FROZEN (checkout try) → USED (confirm); FROZEN → AVAILABLE (cancel); USED → AVAILABLE (refund). */
export type UserCouponState = 'AVAILABLE' | 'FROZEN' | 'USED';

@Entity('user_coupon')
export class UserCouponEntity {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 }) userId: string;
  @PrimaryColumn({ type: 'varchar', length: 64 }) code: string;
  @Column({ type: 'enum', enum: ['AVAILABLE', 'FROZEN', 'USED'] }) state: UserCouponState;
  @Column({ name: 'tx_id', type: 'varchar', length: 64, nullable: true }) txId: string | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'datetime', precision: 3 }) updatedAt: Date;
}
