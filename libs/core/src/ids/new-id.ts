import { randomFillSync } from 'crypto';

/** Crockford base 32, as ULID spells it (no I, L, O, U). */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

/**
 * Random bytes drawn from the OS 4 KB at a time: one byte per random character (its low 5
 * bits; 256 is a multiple of 32, so every character is equally likely). The `ulid` package
 * asks crypto.getRandomValues once per character instead, which cost a sixth of the CPU of a
 * checkout refusal.
 */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;

/** The time part changes once per millisecond; ids made within one ms share it. */
let prefixMs = -1;
let prefix = '';

function encodeTime(ms: number): string {
  let rest = ms;
  let out = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

function timePrefix(ms: number): string {
  if (ms !== prefixMs) {
    prefixMs = ms;
    prefix = encodeTime(ms);
  }
  return prefix;
}

/** The smallest id that `newId` can make at or after `ms`: ids made since then sort at or above it. */
export function idFloorAt(ms: number): string {
  return encodeTime(Math.max(0, Math.floor(ms))) + '0'.repeat(RANDOM_CHARS);
}

/**
 * A new id: 26 characters, ULID-compatible (48-bit millisecond time, then 80 random bits, in
 * Crockford base 32), so ids sort by creation time across milliseconds, as `ulid()` ones do.
 * Within one millisecond their order is random, also as with `ulid()`.
 */
export function newId(now: number = Date.now()): string {
  if (!(now >= 0 && now <= MAX_TIME)) throw new RangeError(`newId: time ${now} is outside the 48 bits of a ULID`);
  if (poolAt + RANDOM_CHARS > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  let id = timePrefix(Math.floor(now));
  for (let i = 0; i < RANDOM_CHARS; i++) id += ALPHABET[pool[poolAt++] & 31];
  return id;
}

let lastMonotonicMs = -1;
let lastMonotonic = '';

/**
 * Like `newId`, but each id sorts after the one before it in this process, also within one
 * millisecond (and if the clock steps back): the random part of the previous id plus one, as
 * the `ulid` package's monotonic factory does, without its per-character random calls.
 */
export function newMonotonicId(now: number = Date.now()): string {
  const ms = Math.floor(now);
  if (ms > lastMonotonicMs || !lastMonotonic) {
    lastMonotonicMs = ms;
    lastMonotonic = newId(ms);
  } else {
    lastMonotonic = incrementBase32(lastMonotonic);
  }
  return lastMonotonic;
}

/** The next id in Crockford base 32 order; the time part never changes (80 random bits do not run out). */
function incrementBase32(id: string): string {
  for (let i = id.length - 1; i >= TIME_CHARS; i--) {
    const digit = ALPHABET.indexOf(id[i]);
    if (digit < 31) return id.slice(0, i) + ALPHABET[digit + 1] + '0'.repeat(id.length - i - 1);
  }
  throw new RangeError(`newMonotonicId: the random part of ${id} is exhausted`);
}
