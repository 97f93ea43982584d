import type { ParticipantName } from './participant';

/** Ids we generate or accept from callers: they end up in keys, logs and URLs. */
export const TX_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const PART_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The branch id is the freeze id: deterministic, so a retried try hits the same fence row. */
export function branchIdOf(txId: string, participant: ParticipantName, key?: string): string {
  if (!PART_PATTERN.test(participant)) throw new Error(`Invalid participant name '${participant}'`);
  if (key !== undefined && !PART_PATTERN.test(key)) throw new Error(`Invalid branch key '${key}'`);
  return key === undefined ? `${txId}:${participant}` : `${txId}:${participant}:${key}`;
}

/** The tx a branch id (see branchIdOf) belongs to: tx ids never contain ':'. */
export function txIdOfBranch(branchId: string): string {
  const end = branchId.indexOf(':');
  return end === -1 ? branchId : branchId.slice(0, end);
}
