import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '@app/core';

@Entity('order_item')
export class OrderItemEntity {
  @PrimaryColumn({ name: 'order_id', type: 'varchar', length: 26 }) orderId: string;
  @PrimaryColumn({ type: 'varchar', length: 64 }) sku: string;
  @Column({ type: 'int' }) qty: number;
  @Column({
    name: 'unit_price_cents',
    type: 'bigint',
    transformer: bigintToNumber,
  })
  unitPriceCents: number;
}
