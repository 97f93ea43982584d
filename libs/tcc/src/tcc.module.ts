import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TccAdminService } from './admin/tcc-admin.service';
import { TccAdminController } from './admin/tcc.admin.controller';
import { BranchRegistration } from './coordinator/branch-registration';
import { LocalPhases } from './coordinator/local-phases';
import { TccCoordinator } from './coordinator/tcc.coordinator';
import { TransactionDriver } from './coordinator/transaction-driver';
import { FenceRepository } from './fence/fence.repository';
import { FencedBranchRunner } from './fence/fenced-branch.runner';
import { GroupCommit } from './local/group-commit';
import { ParticipantRegistry } from './participants/participant.registry';
import { FenceCleanupJob } from './recovery/fence-cleanup.job';
import { TccRecoveryJob } from './recovery/tcc-recovery.job';
import { BranchRepository } from './repositories/branch.repository';
import { TransactionPurgeRepository } from './repositories/transaction-purge.repository';
import { TransactionQueries } from './repositories/transaction-queries';
import { TransactionRepository } from './repositories/transaction.repository';
import { TccNotices } from './tcc-notices';

/**
 * Generic TCC orchestration: knows no domain. Modules mark a provider `@TccParticipant(name)`
 * and inject `TccCoordinator`. Needs CoreModule (config, DataSource) and ScheduleModule.forRoot().
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [TccAdminController],
  providers: [
    ParticipantRegistry,
    TransactionRepository,
    TransactionQueries,
    BranchRepository,
    TransactionPurgeRepository,
    FenceRepository,
    FencedBranchRunner,
    TransactionDriver,
    GroupCommit,
    LocalPhases,
    BranchRegistration,
    TccCoordinator,
    TccRecoveryJob,
    FenceCleanupJob,
    TccAdminService,
    TccNotices,
  ],
  exports: [TccCoordinator, TccRecoveryJob, FenceCleanupJob, TccNotices],
})
export class TccModule {}
