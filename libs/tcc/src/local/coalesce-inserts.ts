import type { QueuedWrite } from './local-unit';

/** `INSERT INTO <table> (<columns>) VALUES (...), (...)` and nothing after the rows. */
const PLAIN_INSERT = /^INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)\s*VALUES\s*(\(.*\))$/is;

interface Statement {
  sql: string;
  params: unknown[];
  /** The write it came from, for its `expect` (then it is never merged). */
  from: QueuedWrite;
}

/**
 * The statements of `writes`, with the plain INSERTs into one table (same column list) merged
 * into one multi-row INSERT, so a group commit of n members sends one INSERT per table instead
 * of n. Measured here: MariaDB spends ~28 µs per single-row INSERT and ~12 µs per row of a
 * multi-row one; the client parses one result instead of n.
 *
 * Order: a merged INSERT takes the place of its table's first INSERT, so rows only move
 * earlier, and never past a statement that is not a plain INSERT (a SAVEPOINT, an UPDATE, an
 * `expect`): those end a run, and each run is merged on its own. Nothing in a queued INSERT
 * reads what an earlier one wrote (no foreign keys, no INSERT … SELECT), so moving rows within a
 * run is safe. A failure of any statement fails the local transaction as before; each write's
 * `onError` still sees the error.
 */
export function coalesceInserts(writes: QueuedWrite[]): QueuedWrite[] {
  const out: QueuedWrite[] = [];
  let run = new Map<string, { head: string; rows: string[]; params: unknown[] }>();
  const endRun = () => {
    for (const { head, rows, params } of run.values()) out.push({ sql: `${head} VALUES ${rows.join(', ')}`, params });
    run = new Map();
  };
  for (const s of statementsOf(writes)) {
    const insert = s.from.expect ? null : PLAIN_INSERT.exec(s.sql);
    if (!insert || /\bON\s+DUPLICATE\b/i.test(insert[3])) {
      endRun();
      out.push(s.from.expect ? s.from : { sql: s.sql, params: s.params });
      continue;
    }
    const head = `INSERT INTO ${insert[1]} (${insert[2].replace(/\s+/g, ' ').trim()})`;
    const group = run.get(head.toLowerCase());
    if (group) {
      group.rows.push(insert[3]);
      group.params.push(...s.params);
    } else {
      run.set(head.toLowerCase(), { head, rows: [insert[3]], params: [...s.params] });
    }
  }
  endRun();
  return out;
}

/** Each write's statements (split at `;`) with their own parameters (counted by `?`). */
function statementsOf(writes: QueuedWrite[]): Statement[] {
  const statements: Statement[] = [];
  for (const w of writes) {
    const parts = w.sql.split(';').map((p) => p.trim());
    if (w.expect && parts.length > 1) throw new Error('An expected-count write must be one statement');
    let next = 0;
    for (const sql of parts) {
      const n = (sql.match(/\?/g) ?? []).length;
      statements.push({ sql, params: w.params.slice(next, next + n), from: w });
      next += n;
    }
  }
  return statements;
}
