import { backoffDelayMs } from './backoff';

describe('backoffDelayMs', () => {
  it('doubles per attempt between half and all of the nominal delay', () => {
    expect(backoffDelayMs(1, 500, 60000, () => 0)).toBe(250);
    expect(backoffDelayMs(1, 500, 60000, () => 1)).toBe(500);
    expect(backoffDelayMs(3, 500, 60000, () => 0)).toBe(1000);
    expect(backoffDelayMs(3, 500, 60000, () => 1)).toBe(2000);
  });

  it('never exceeds the cap, however many attempts', () => {
    for (const attempt of [10, 50, 1000, Number.MAX_SAFE_INTEGER]) {
      expect(backoffDelayMs(attempt, 500, 60000, () => 1)).toBe(60000);
      expect(backoffDelayMs(attempt, 500, 60000, () => 0)).toBe(30000);
    }
  });

  it('spreads equal attempts apart (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(5, 500, 60000)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
