import type { StockDto } from './dto/stock.dto';
import type { StockRow } from './inventory.types';

export function toStockDto(row: StockRow): StockDto {
  const available = row.onHand - row.reserved;
  return {
    sku: row.sku,
    warehouse: row.warehouse,
    onHand: row.onHand,
    reserved: row.reserved,
    available,
    threshold: row.threshold,
    low: available < row.threshold,
  };
}
