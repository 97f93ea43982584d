import { Injectable } from '@nestjs/common';

export interface AuditViolation {
  /** Number of the invariant violated: 1-6 of docs/invariants.md (`#i1-no-oversell` ...). */
  invariant: number;
  sku?: string | null;
  warehouse?: string | null;
  detail: string;
}

/** One SQL-backed check a module contributes to `GET /v1/admin/audit`. */
export interface AuditCheck {
  readonly name: string;
  run(): Promise<AuditViolation[]>;
}

/**
 * Each module registers the checks over its own tables (no module reads another's
 * tables); the audit endpoint runs them all.
 */
@Injectable()
export class AuditRegistry {
  private readonly checks: AuditCheck[] = [];

  register(check: AuditCheck): void {
    this.checks.push(check);
  }

  async runAll(): Promise<{ ok: boolean; violations: AuditViolation[] }> {
    const results = await Promise.all(this.checks.map((c) => c.run()));
    const violations = results.flat();
    return { ok: violations.length === 0, violations };
  }
}
