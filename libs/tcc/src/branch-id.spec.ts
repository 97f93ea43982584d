import { branchIdOf, txIdOfBranch } from './branch-id';

describe('branch ids', () => {
  it('names the tx, the participant and the key, and gives the tx back', () => {
    expect(branchIdOf('01TX', 'inventory')).toBe('01TX:inventory');
    expect(branchIdOf('01TX', 'inventory', 'line-2')).toBe('01TX:inventory:line-2');
    expect(txIdOfBranch(branchIdOf('01TX', 'inventory', 'line-2'))).toBe('01TX');
    expect(txIdOfBranch('01TX')).toBe('01TX');
  });

  it('refuses a key that could not be read back', () => {
    expect(() => branchIdOf('01TX', 'inventory', 'a:b')).toThrow("Invalid branch key 'a:b'");
  });
});
