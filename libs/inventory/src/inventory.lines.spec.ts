import { validLines } from './inventory.lines';
import { sortedLines } from './inventory.types';

describe('freeze payload lines', () => {
  it('accepts distinct skus with positive integer quantities', () => {
    expect(
      validLines([
        { sku: 'B', qty: 1 },
        { sku: 'A', qty: 3 },
      ]),
    ).toHaveLength(2);
  });

  it.each([
    ['an empty list', []],
    ['a non-list', { sku: 'A', qty: 1 }],
    ['a zero qty', [{ sku: 'A', qty: 0 }]],
    ['a fractional qty', [{ sku: 'A', qty: 1.5 }]],
    ['a missing sku', [{ qty: 1 }]],
    ['a sku that would break a Redis hash tag', [{ sku: 'A}{B', qty: 1 }]],
    ['a negative qty', [{ sku: 'A', qty: -3 }]],
    [
      'a duplicate sku',
      [
        { sku: 'A', qty: 1 },
        { sku: 'A', qty: 2 },
      ],
    ],
    [
      'the same sku in another letter case (one stock row)',
      [
        { sku: 'A-1', qty: 1 },
        { sku: 'a-1', qty: 2 },
      ],
    ],
  ])('refuses %s with VALIDATION_FAILED', (_, lines) => {
    expect(() => validLines(lines)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('sorts lines by sku, the order every multi-row lock is taken in', () => {
    expect(sortedLines([{ sku: 'b' }, { sku: 'B' }, { sku: 'a' }]).map((l) => l.sku)).toEqual(['B', 'a', 'b']);
  });
});
