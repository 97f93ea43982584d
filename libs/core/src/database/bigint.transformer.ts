/** mysql2 returns BIGINT as a number when safe, else a string; money stays below 2^53 cents. */
export const bigintToNumber = { to: (v: number) => v, from: (v: string | number) => Number(v) };
