import { sleep } from '@app/core';
import { RedisStock } from '../../libs/inventory/src/gate/redis-stock';
import { startTestApp, TestApp } from '../helpers/test-app';

/**
 * The Redis scripts one case at a time: each row of the reconciliation table in
 * reconciler.ts, driven deterministically (snapshot, something happens, apply).
 */
describe('Redis stock scripts', () => {
  let t: TestApp;
  let rs: RedisStock;
  let n = 0;
  const row = () => ({ sku: `RS-${++n}`, warehouse: 'main' });
  const available = async (key: { sku: string; warehouse: string }) =>
    Number(await t.redis.hget(`inv:{${key.sku.toLowerCase()}:${key.warehouse}}`, 'available'));

  beforeAll(async () => {
    t = await startTestApp();
    rs = t.app.get(RedisStock);
  });

  afterAll(async () => {
    await t?.close();
  });

  async function rowWith(avail: number, reservations: Array<[string, number]>) {
    const key = row();
    await t.redis.hset(
      `inv:{${key.sku.toLowerCase()}:main}`,
      'available',
      avail + reservations.reduce((s, [, q]) => s + q, 0),
    );
    for (const [id, qty] of reservations) expect((await rs.reserve(key, id, qty)).code).toBe('RESERVED');
    expect(await available(key)).toBe(avail);
    return key;
  }

  it('refuses a reserve while the row is being reset, and accepts it after', async () => {
    const key = await rowWith(10, []);
    const entries = await rs.snapshot(key, 'tok', 5000);
    expect(entries).toEqual([]);
    expect((await rs.reserve(key, 'f1', 1)).code).toBe('BUSY');
    expect(await rs.snapshot(key, 'other', 5000)).toBeNull();
    await rs.apply(key, 'tok', 10, []);
    expect((await rs.reserve(key, 'f1', 1)).code).toBe('RESERVED');
  });

  it('subtracts a reservation whose MySQL try has not committed (absent in the snapshot)', async () => {
    const key = await rowWith(5, [['f1', 2]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    expect(entries).toMatchObject([{ freezeId: 'f1', qty: 2 }]);
    // MySQL says 7 available (the try of f1 is not in it yet).
    expect(await rs.apply(key, 'tok', 7, [{ ...entries[0], mysqlState: 'A' }])).toEqual({
      previous: 5,
      next: 5,
      releasing: 0,
      adopted: 0,
    });
    // Its cancel comes later and gives the 2 back exactly once.
    expect(await rs.release(key, 'f1')).toBe(2);
    expect(await rs.release(key, 'f1')).toBe(0);
    expect(await available(key)).toBe(7);
  });

  it('does not subtract a reservation MySQL already counts (FROZEN)', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    expect(await rs.apply(key, 'tok', 3, [{ ...entries[0], mysqlState: 'F' }])).toEqual({
      previous: 3,
      next: 3,
      releasing: 0,
      adopted: 0,
    });
  });

  it('adds back a FROZEN reservation released between snapshot and apply (the cancel committed after the snapshot)', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    expect(await rs.release(key, 'f1')).toBe(4);
    // The snapshot said 3 available with f1 FROZEN; the release after it must still count.
    expect(await rs.apply(key, 'tok', 3, [{ ...entries[0], mysqlState: 'F' }])).toEqual({
      previous: 7,
      next: 7,
      releasing: 0,
      adopted: 0,
    });
  });

  it('marks a reservation MySQL already released as released, so its late release gives nothing twice', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    expect(await rs.apply(key, 'tok', 7, [{ ...entries[0], mysqlState: 'R' }])).toEqual({
      previous: 3,
      next: 7,
      releasing: 4,
      adopted: 0,
    });
    expect(await rs.release(key, 'f1')).toBe(0);
    expect(await available(key)).toBe(7);
    expect((await rs.reserve(key, 'f1', 4)).code).toBe('RELEASED');
  });

  it('forgets a reservation MySQL confirmed, and keeps available as MySQL says', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    expect(await rs.apply(key, 'tok', 3, [{ ...entries[0], mysqlState: 'C' }])).toEqual({
      previous: 3,
      next: 3,
      releasing: 0,
      adopted: 0,
    });
    expect(await t.redis.hlen(`inv:{${key.sku.toLowerCase()}:main}:r`)).toBe(0);
    expect(await rs.release(key, 'f1')).toBe(0);
  });

  it('subtracts a reservation tried and confirmed after the snapshot (absent then, committed now)', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    await rs.markCommitted(key, 'f1');
    expect(await rs.apply(key, 'tok', 7, [{ ...entries[0], mysqlState: 'A' }])).toEqual({
      previous: 3,
      next: 3,
      releasing: 0,
      adopted: 0,
    });
  });

  it('drops a reservation that can never be frozen (D) without subtracting it', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    expect(await rs.apply(key, 'tok', 7, [{ ...entries[0], mysqlState: 'D' }])).toEqual({
      previous: 3,
      next: 7,
      releasing: 0,
      adopted: 0,
    });
    expect(await rs.release(key, 'f1')).toBe(0);
    expect(await available(key)).toBe(7);
  });

  it('adopts a freeze MySQL holds but Redis never saw, so its later release gives the units back once', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 5000))!;
    // m1 (5 units) was frozen through MySQL alone: M = 3 counts both as reserved
    expect(await rs.apply(key, 'tok', 3, [{ ...entries[0], mysqlState: 'F' }], [{ freezeId: 'm1', qty: 5 }])).toEqual({
      previous: 3,
      next: 3,
      releasing: 0,
      adopted: 5,
    });
    expect(await rs.reserve(key, 'm1', 5)).toEqual({ code: 'RESERVED', available: 0 }); // idempotent, held
    expect(await rs.release(key, 'm1')).toBe(5);
    expect(await rs.release(key, 'm1')).toBe(0);
    expect(await available(key)).toBe(8);
  });

  it('adds back an adopted freeze released between snapshot and apply, and leaves one committed meanwhile alone', async () => {
    const key = await rowWith(3, []);
    expect(await rs.snapshot(key, 'tok', 5000)).toEqual([]);
    expect(await rs.release(key, 'm1')).toBe(0); // its cancel committed after the snapshot; Redis held nothing
    await rs.markCommitted(key, 'm2');
    const adopt = [
      { freezeId: 'm1', qty: 5 },
      { freezeId: 'm2', qty: 2 },
    ];
    expect(await rs.apply(key, 'tok', 3, [], adopt)).toEqual({ previous: 3, next: 8, releasing: 0, adopted: 0 });
    expect(await t.redis.hlen(`inv:{${key.sku.toLowerCase()}:main}:r`)).toBe(0);
    expect(await rs.release(key, 'm2')).toBe(0);
  });

  it('changes nothing when its lock expired before the apply', async () => {
    const key = await rowWith(3, [['f1', 4]]);
    const entries = (await rs.snapshot(key, 'tok', 20))!;
    await sleep(50);
    expect(await rs.apply(key, 'tok', 100, [{ ...entries[0], mysqlState: 'F' }])).toBeNull();
    expect(await available(key)).toBe(3);
  });

  it('reports a missing row as missing and refuses more than available', async () => {
    const key = row();
    expect((await rs.reserve(key, 'f1', 1)).code).toBe('MISSING');
    await t.redis.hset(`inv:{${key.sku.toLowerCase()}:main}`, 'available', 2);
    expect(await rs.reserve(key, 'f2', 3)).toEqual({ code: 'INSUFFICIENT', available: 2 });
    expect(await rs.reserve(key, 'f3', 2)).toEqual({ code: 'RESERVED', available: 0 });
    expect(await rs.reserve(key, 'f3', 2)).toEqual({ code: 'RESERVED', available: 0 });
    expect(await available(key)).toBe(0);
  });
});
