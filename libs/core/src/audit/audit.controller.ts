import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/auth.decorators';
import { AuditRegistry, AuditViolation } from './audit.registry';

@ApiTags('admin: operations')
@RequireScope('admin')
@Controller('v1/admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditRegistry) {}

  @Get()
  @ApiOperation({ summary: 'Check invariants 1-3 and 6 (docs/invariants.md) in SQL and list violations' })
  run(): Promise<{ ok: boolean; violations: AuditViolation[] }> {
    return this.audit.runAll();
  }
}
