import { sleep } from '@app/core';
import { ProbeModule } from '../helpers/probe.module';
import { startTestApp, TestApp } from '../helpers/test-app';

/** Idempotency-Key per docs/api.md#idempotency-key, on probe routes that insert one probe_write row per execution. */
describe('Idempotency-Key', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ extraModules: [ProbeModule] });
  });
  afterAll(() => t.close());

  const rowsLabelled = async (label: string) =>
    Number((await t.db.query('SELECT COUNT(*) AS n FROM probe_write WHERE label = ?', [label]))[0].n);

  it('is required on idempotent routes', async () => {
    const res = await t.request('POST', '/__probe/write', { as: 'admin', body: { label: 'no-key', delayMs: 0 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('VALIDATION_FAILED');
    const tooLong = await t.request('POST', '/__probe/write', {
      as: 'admin',
      body: { label: 'x', delayMs: 0 },
      idempotencyKey: 'k'.repeat(129),
    });
    expect(tooLong.status).toBe(400);
  });

  it('replays the first response for the same key and body, and executes once', async () => {
    const first = await t.request('POST', '/__probe/write', {
      as: 'admin',
      body: { label: 'replay', delayMs: 0 },
      idempotencyKey: 'key-1',
    });
    const second = await t.request('POST', '/__probe/write', {
      as: 'admin',
      body: { delayMs: 0, label: 'replay' },
      idempotencyKey: 'key-1',
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await rowsLabelled('replay')).toBe(1);
  });

  it('answers 422 for the same key with a different body, changing nothing', async () => {
    await t.request('POST', '/__probe/write', {
      as: 'admin',
      body: { label: 'mismatch', delayMs: 0 },
      idempotencyKey: 'key-2',
    });
    const res = await t.request('POST', '/__probe/write', {
      as: 'admin',
      body: { label: 'mismatch-2', delayMs: 0 },
      idempotencyKey: 'key-2',
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await rowsLabelled('mismatch-2')).toBe(0);
  });

  it('evaluates a refused request again on retry (a 4xx changed nothing)', async () => {
    const refused = await t.request('POST', '/__probe/write', {
      as: 'admin',
      body: { label: 'refuse', delayMs: 0 },
      idempotencyKey: 'key-3',
    });
    expect(refused.status).toBe(409);
    const again = await t.request('POST', '/__probe/write', {
      as: 'admin',
      body: { label: 'refuse', delayMs: 0 },
      idempotencyKey: 'key-3',
    });
    expect(again.status).toBe(409);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
  });

  it('gives 20 concurrent duplicates one effect and the same answer', async () => {
    const body = { label: 'concurrent', delayMs: 150 };
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-4' }),
      ),
    );
    expect(await rowsLabelled('concurrent')).toBe(1);
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length + results.filter((r) => r.status === 409).length).toBe(20);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body.id)).size).toBe(1);
  });

  it('scopes keys per storefront user', async () => {
    const body = { label: 'per-user', delayMs: 0 };
    const a = await t.request('POST', '/__probe/user-write', { body, user: 'alice', idempotencyKey: 'shared' });
    const b = await t.request('POST', '/__probe/user-write', { body, user: 'bob', idempotencyKey: 'shared' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.id).not.toBe(b.body.id);
    expect(await rowsLabelled('per-user')).toBe(2);
  });

  it('still answers a committed change when its durable record cannot be written, and replays it from Redis', async () => {
    const body = { label: 'record-lost', delayMs: 0 };
    // Only the final write fails: the look-up still works, the DONE record is refused.
    await t.db.query(
      `CREATE TRIGGER probe_refuse_done BEFORE INSERT ON idempotency_record FOR EACH ROW
       IF NEW.state = 'DONE' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'; END IF`,
    );
    try {
      const first = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-6' });
      expect(first.status).toBe(200);
      const replay = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-6' });
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
    } finally {
      await t.db.query('DROP TRIGGER probe_refuse_done');
    }
    expect(await rowsLabelled('record-lost')).toBe(1);
  });

  it('executes once when Redis loses the in-flight marker while the first request is still running', async () => {
    const body = { label: 'lost-in-flight', delayMs: 600 };
    const first = t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-7' });
    await sleep(200);
    const keys = await t.redis.keys(`${t.testEnv.redisPrefix}idem:*key-7`);
    expect(keys).toHaveLength(1);
    await t.redis.del(...keys.map((k) => k.slice(t.testEnv.redisPrefix.length)));
    const second = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-7' });
    const done = await first;
    expect(done.status).toBe(200);
    // The duplicate waited for the first and got its answer (or 409 while it ran): never a second run.
    if (second.status === 200) expect(second.body).toEqual(done.body);
    else expect(second.body.error).toBe('CONFLICT');
    expect(await rowsLabelled('lost-in-flight')).toBe(1);
  });

  it('leaves no in-flight marker behind when the durable look-up fails, so a retry runs at once', async () => {
    const body = { label: 'lookup-failed', delayMs: 0 };
    await t.db.query(
      `CREATE TRIGGER probe_refuse_in_flight BEFORE INSERT ON idempotency_record FOR EACH ROW
       IF NEW.state = 'IN_FLIGHT' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by test'; END IF`,
    );
    try {
      const failed = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-8' });
      expect(failed.status).toBeGreaterThanOrEqual(500);
    } finally {
      await t.db.query('DROP TRIGGER probe_refuse_in_flight');
    }
    const started = Date.now();
    const retry = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-8' });
    expect(retry.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await rowsLabelled('lookup-failed')).toBe(1);
  });

  it('keeps a durable copy: a replay still works after Redis lost the record', async () => {
    const body = { label: 'durable', delayMs: 0 };
    const first = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-5' });
    const keys = await t.redis.keys(`${t.testEnv.redisPrefix}idem:*`);
    expect(keys.length).toBeGreaterThan(0);
    await t.redis.del(...keys.map((k) => k.slice(t.testEnv.redisPrefix.length)));
    const replay = await t.request('POST', '/__probe/write', { as: 'admin', body, idempotencyKey: 'key-5' });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(await rowsLabelled('durable')).toBe(1);
  });
});
