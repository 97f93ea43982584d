import { StockRepository } from '../../libs/inventory/src/repositories/stock.repository';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * The reconciliation walks every stock row in pages, every interval. Each page must seek to
 * where the last one ended: a page that scans from the first row makes a pass quadratic in the
 * number of rows (MariaDB does not turn `(sku, warehouse) > (?, ?)` into an index range).
 */
describe('reconciliation key scan', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    await t.db.query(
      `INSERT INTO stock (sku, warehouse, on_hand, reserved, low_stock_threshold, version, created_at, updated_at)
       SELECT CONCAT('SCAN-', LPAD(seq, 5, '0')), 'main', 1, 0, 0, 0, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3) FROM seq_1_to_3000`,
    );
    await t.db.query('ANALYZE TABLE stock');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('reads only the rows of the page it returns, however far into the table the page is', async () => {
    const repo = t.app.get(StockRepository);
    const issued: Array<{ sql: string; params: unknown[] }> = [];
    const original = t.db.query.bind(t.db);
    const spy = jest.spyOn(t.db, 'query').mockImplementation(((sql: string, params?: unknown[]) => {
      issued.push({ sql, params: params ?? [] });
      return original(sql, params);
    }) as never);
    let page: Array<{ sku: string; warehouse: string }>;
    try {
      page = await repo.findAllKeys({ sku: 'SCAN-02800', warehouse: 'main' }, 100);
    } finally {
      spy.mockRestore();
    }
    expect(page.map((k) => k.sku)).toEqual(
      Array.from({ length: 100 }, (_, i) => `SCAN-${String(2801 + i).padStart(5, '0')}`),
    );

    expect(issued).toHaveLength(1);
    const [plan] = await t.db.query(`ANALYZE FORMAT=JSON ${issued[0].sql}`, issued[0].params);
    const rowsRead = JSON.stringify(JSON.parse(Object.values(plan as Record<string, string>)[0]))
      .match(/"r_rows":\s*([\d.]+)/g)!
      .map((m) => Number(m.split(':')[1]));
    expect(Math.max(...rowsRead)).toBeLessThanOrEqual(101);
  });
});
