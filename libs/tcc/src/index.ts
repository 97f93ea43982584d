import { Tcc1700000002000 } from './migrations/1700000002000-tcc';

// Public API of the TCC library. Domain modules import from '@app/tcc' only.
export { TccModule } from './tcc.module';
export { TccCoordinator } from './coordinator/tcc.coordinator';
export { TccConflictError } from './tcc-conflict.error';
export { TccRecoveryJob } from './recovery/tcc-recovery.job';
export { FenceCleanupJob } from './recovery/fence-cleanup.job';
export { FencedBranchRunner, FenceRefusedError } from './fence/fenced-branch.runner';
export { TccNotices, type TxFlagged } from './tcc-notices';
export {
  TccParticipant,
  TCC_PARTICIPANT,
  type TccPayloads,
  type ParticipantName,
  type PayloadOf,
  type BranchSpec,
  type TccParticipantHandler,
  type BranchContext,
  type CancelReason,
} from './participant';
export {
  TX_STATUSES,
  isTerminal,
  isCommitDecided,
  isRollbackDecided,
  type TxStatus,
  type TxOutcome,
  type TxView,
  type BranchView,
  type BranchStatus,
  type BeginOptions,
  type TryBranchOptions,
} from './tcc.types';
export { branchIdOf, txIdOfBranch } from './branch-id';
export type { CommitOptions } from './coordinator/tcc.coordinator';
export {
  type LocalUnit,
  type ApplySum,
  addToSumOrApply,
  afterLocalCommit,
  countRefusal,
  expectOrRun,
  writeOrRun,
} from './local/local-unit';

export const TCC_MIGRATIONS = [Tcc1700000002000];
