import { decodeTime, encodeTime, isValid } from 'ulid';
import { newId, newMonotonicId } from './new-id';

const CROCKFORD_26 = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('newId', () => {
  it('is 26 characters of Crockford base 32 that the ulid package accepts as a ULID', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newId();
      expect(id).toMatch(CROCKFORD_26);
      expect(isValid(id)).toBe(true);
    }
  });

  it('carries its millisecond time as a ULID does', () => {
    const now = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
    const id = newId(now);
    expect(decodeTime(id)).toBe(now);
    expect(id.slice(0, 10)).toBe(encodeTime(now, 10));
    expect(newId(0).slice(0, 10)).toBe('0000000000');
    expect(newId(2 ** 48 - 1).slice(0, 10)).toBe('7ZZZZZZZZZ');
    expect(() => newId(2 ** 48)).toThrow(RangeError);
    expect(() => newId(-1)).toThrow(RangeError);
  });

  it('sorts by creation time across milliseconds', () => {
    const start = Date.UTC(2026, 5, 1);
    const ids = Array.from({ length: 2000 }, (_, i) => newId(start + Math.floor(i / 7)));
    const sorted = [...ids].sort();
    expect(sorted.map(decodeTime)).toEqual(ids.map(decodeTime));
    // Every id of a later millisecond sorts after every id of an earlier one.
    for (let i = 7; i < ids.length; i += 7) expect(ids[i - 1] < ids[i]).toBe(true);
    expect(newId(start + 1) > newId(start)).toBe(true);
    expect(newId(start + 32) > newId(start + 31)).toBe(true);
  });

  it('never repeats within one millisecond, across many refills of its random pool', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 100_000 }, () => newId(now)));
    expect(ids.size).toBe(100_000);
  });

  it('uses every character of the alphabet in the random part, about equally often', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) for (const c of newId().slice(10)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const expected = (20_000 * 16) / 32;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.1);
  });
});

describe('newMonotonicId', () => {
  it('sorts every id after the one before it, within one millisecond and when the clock steps back', () => {
    const now = Date.UTC(2031, 1, 2);
    const times = [now, now, now, now + 1, now + 1, now - 5, now - 5, now + 2];
    const ids = Array.from({ length: 5000 }, (_, i) => newMonotonicId(times[i % times.length] + Math.floor(i / 8) * 3));
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
    for (const id of ids) expect(isValid(id)).toBe(true);
  });

  it("counts up from its first id, keeping that id's millisecond", () => {
    const later = Date.UTC(2032, 0, 1);
    const first = newMonotonicId(later);
    let id = first;
    for (let i = 0; i < 40; i++) {
      const next = newMonotonicId(later);
      expect(next > id).toBe(true);
      expect(next.slice(0, 10)).toBe(first.slice(0, 10));
      id = next;
    }
    expect(decodeTime(id)).toBe(later);
  });
});
