import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  DomainError,
  ErrorCode,
  IdempotencyClaim,
  newId,
  patternMessage,
  RowMoved,
  USER_ID_PATTERN,
  writeRowLast,
} from '@app/core';
import { MAX_CREDIT_CENTS, WalletDto } from '../dto/wallet.dto';
import { WalletEntity } from '../entities/wallet.entity';
import { walletCredits } from '../payment.metrics';
import { WalletRepository } from '../repositories/wallet.repository';

export type Wallet = WalletDto;

@Injectable()
export class WalletService {
  constructor(
    private readonly wallets: WalletRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** The user's wallet; a user who never had money gets zeros (no row is created). */
  async getWallet(userId: string): Promise<Wallet> {
    return toWallet(userId, await this.wallets.findWallet(userId));
  }

  /**
   * Adds money to the user's wallet and records the top-up. `ref` names the top-up: a second
   * credit with the same ref changes nothing and returns the wallet (the durable half of the
   * admin route's idempotency); the same ref with another user or amount is refused (422).
   */
  async credit(
    userId: string,
    amountCents: number,
    ref?: string,
    claim: IdempotencyClaim | null = null,
  ): Promise<Wallet> {
    if (!USER_ID_PATTERN.test(userId)) throw DomainError.validation(patternMessage('userId', USER_ID_PATTERN));
    if (!Number.isSafeInteger(amountCents) || amountCents < 1 || amountCents > MAX_CREDIT_CENTS) {
      throw DomainError.validation(`amountCents must be an integer from 1 to ${MAX_CREDIT_CENTS}`, { amountCents });
    }
    const id = newId();
    const creditRef = ref ?? `credit:${id}`;
    // The wallet is written last, as a compare-and-set on what was read (its lock held for that and the COMMIT only).
    return writeRowLast(
      this.dataSource,
      async (em, locked, afterCommit) => {
        const before = await this.wallets.readVersioned(em, userId, locked);
        const applied = await this.wallets.insertCredit(em, {
          id,
          userId,
          amountCents,
          ref: creditRef,
          createdAt: new Date(),
        });
        if (!applied) {
          const earlier = await this.wallets.findCreditByRef(em, creditRef);
          if (earlier && (earlier.userId !== userId || earlier.amountCents !== amountCents)) {
            throw new DomainError(
              ErrorCode.IDEMPOTENCY_KEY_REUSED,
              'This top-up reference was already used for another credit',
            );
          }
        }
        // A replay changes nothing: it answers with the wallet as it is now (the first credit may have committed since the read).
        const now = applied ? before : await this.wallets.readVersioned(em, userId, false);
        const wallet: Wallet = {
          userId,
          balanceCents: now.balanceCents + (applied ? amountCents : 0),
          frozenCents: now.frozenCents,
        };
        await claim?.recordIn(em, wallet);
        if (applied && !(await this.wallets.setBalanceIfUnchanged(em, userId, before, wallet.balanceCents))) {
          throw new RowMoved();
        }
        afterCommit(() => walletCredits.inc({ outcome: applied ? 'applied' : 'replayed' }));
        return wallet;
      },
      () => walletCredits.inc({ outcome: 'retried' }),
    );
  }
}

function toWallet(userId: string, wallet: WalletEntity | null): Wallet {
  return { userId, balanceCents: wallet?.balanceCents ?? 0, frozenCents: wallet?.frozenCents ?? 0 };
}
