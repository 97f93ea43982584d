import type { DataSource, EntityManager } from 'typeorm';

/** The conditions of a list query: `column = ?` for each filter value given, and fixed conditions. */
export class Where {
  private readonly conditions: string[] = [];
  readonly params: unknown[] = [];

  /** `column = value`, unless the filter leaves the value out (undefined, null or ''). */
  equals(column: string, value: unknown): this {
    if (value !== undefined && value !== null && value !== '') {
      this.conditions.push(`${column} = ?`);
      this.params.push(value);
    }
    return this;
  }

  /** A condition without parameters, added when it is given. */
  holds(condition: string | false | undefined): this {
    if (condition) this.conditions.push(condition);
    return this;
  }

  get clause(): string {
    return this.conditions.length ? `WHERE ${this.conditions.join(' AND ')}` : '';
  }
}

export interface PageSelect {
  columns: string;
  from: string;
  where: Where;
  orderBy: string;
  /** What to count, when the page joins tables the count does not need. */
  countFrom?: string;
}

/** One page of a list and the list's total: the SELECT with LIMIT/OFFSET, then its COUNT(*). */
export async function selectPage<Row>(
  db: DataSource | EntityManager,
  q: PageSelect,
  limit: number,
  offset: number,
): Promise<[Row[], number]> {
  const { clause, params } = q.where;
  const rows: Row[] = await db.query(
    `SELECT ${q.columns} FROM ${q.from} ${clause} ORDER BY ${q.orderBy} LIMIT ? OFFSET ?`,
    [...params, limit, offset],
  );
  const [{ total }]: Array<{ total: number | string }> = await db.query(
    `SELECT COUNT(*) AS total FROM ${q.countFrom ?? q.from} ${clause}`,
    params,
  );
  return [rows, Number(total)];
}
