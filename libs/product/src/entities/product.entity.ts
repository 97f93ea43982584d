import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';

export type ProductStatus = 'ACTIVE' | 'INACTIVE';

@Entity('product')
export class ProductEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) sku: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 100 }) category: string;
  @Column({ name: 'price_cents', type: 'bigint', transformer: bigintToNumber })
  priceCents: number;
  @Column({ type: 'enum', enum: ['ACTIVE', 'INACTIVE'] }) status: ProductStatus;
  @Column({ name: 'max_per_user', type: 'int', nullable: true }) maxPerUser: number | null;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'datetime', precision: 3 }) updatedAt: Date;
}
