import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('warehouse')
export class WarehouseEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 }) code: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ name: 'created_at', type: 'datetime', precision: 3 }) createdAt: Date;
}
