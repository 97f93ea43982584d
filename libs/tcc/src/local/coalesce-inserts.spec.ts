import { coalesceInserts } from './coalesce-inserts';
import type { QueuedWrite } from './local-unit';

const mismatch = () => new Error('mismatch');

describe('coalesceInserts', () => {
  it('merges the plain INSERTs of one table into one multi-row INSERT, in the place of the first', () => {
    const writes: QueuedWrite[] = [
      { sql: `INSERT INTO a (x, y) VALUES (?, 'k'); INSERT INTO b (z) VALUES (?), (?)`, params: [1, 2, 3] },
      { sql: `INSERT INTO a (x,  y)\n VALUES (?, 'k')`, params: [4] },
      { sql: 'INSERT INTO b (z) VALUES (?)', params: [5] },
    ];
    expect(coalesceInserts(writes)).toEqual([
      { sql: `INSERT INTO a (x, y) VALUES (?, 'k'), (?, 'k')`, params: [1, 4] },
      { sql: 'INSERT INTO b (z) VALUES (?), (?), (?)', params: [2, 3, 5] },
    ]);
  });

  it('never moves a row past a statement that is not a plain INSERT, nor merges an expected-count write', () => {
    const expected: QueuedWrite = {
      sql: 'UPDATE a SET y = ? WHERE x = ?',
      params: ['v', 1],
      expect: { rows: 1, mismatch },
    };
    const writes: QueuedWrite[] = [
      { sql: 'INSERT INTO a (x) VALUES (?)', params: [1] },
      expected,
      { sql: 'INSERT INTO a (x) VALUES (?)', params: [2] },
      { sql: 'SAVEPOINT m1', params: [] },
      { sql: 'INSERT INTO a (x) VALUES (?)', params: [3] },
      { sql: 'INSERT INTO a (x) VALUES (?) ON DUPLICATE KEY UPDATE x = x', params: [4] },
      { sql: 'INSERT INTO a (x) VALUES (?)', params: [5] },
    ];
    // Every INSERT is alone in its run (or not plain): nothing changes.
    expect(coalesceInserts(writes)).toEqual(writes);
  });

  it('keeps tables with another column list apart', () => {
    const writes: QueuedWrite[] = [
      { sql: 'INSERT INTO a (x) VALUES (?)', params: [1] },
      { sql: 'INSERT INTO a (x, y) VALUES (?, ?)', params: [2, 3] },
      { sql: 'INSERT INTO a (x) VALUES (?)', params: [4] },
    ];
    expect(coalesceInserts(writes)).toEqual([
      { sql: 'INSERT INTO a (x) VALUES (?), (?)', params: [1, 4] },
      { sql: 'INSERT INTO a (x, y) VALUES (?, ?)', params: [2, 3] },
    ]);
  });
});
