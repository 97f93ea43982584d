import { hostname } from 'node:os';
import { ulid } from 'ulid';

const INSTANCE = `${hostname()}:${process.pid}`.slice(0, 60);

/** A unique lease token per claim, naming the instance (for operators reading the table). */
export function leaseOwnerId(purpose: string): string {
  return `${INSTANCE}:${purpose}:${ulid()}`;
}
