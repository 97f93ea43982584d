import { hostname } from 'node:os';
import { newId } from '@app/core';

const INSTANCE = `${hostname()}:${process.pid}`.slice(0, 60);

/** A unique lease token per claim, naming the instance (for operators reading the table). */
export function leaseOwnerId(purpose: string): string {
  return `${INSTANCE}:${purpose}:${newId()}`;
}
