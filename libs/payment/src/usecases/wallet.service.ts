import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  DomainError,
  ErrorCode,
  IdempotencyClaim,
  inTransaction,
  newId,
  patternMessage,
  USER_ID_PATTERN,
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
    return inTransaction(this.dataSource, async (em, afterCommit) => {
      const applied = await this.wallets.insertCredit(em, {
        id,
        userId,
        amountCents,
        ref: creditRef,
        createdAt: new Date(),
      });
      if (applied) {
        await this.wallets.addToBalance(em, userId, amountCents);
      } else {
        const earlier = await this.wallets.findCreditByRef(em, creditRef);
        if (earlier && (earlier.userId !== userId || earlier.amountCents !== amountCents)) {
          throw new DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            'This top-up reference was already used for another credit',
          );
        }
      }
      afterCommit(() => walletCredits.inc({ outcome: applied ? 'applied' : 'replayed' }));
      const wallet = toWallet(userId, await this.wallets.findWallet(userId, em));
      await claim?.recordIn(em, wallet);
      return wallet;
    });
  }
}

function toWallet(userId: string, wallet: WalletEntity | null): Wallet {
  return { userId, balanceCents: wallet?.balanceCents ?? 0, frozenCents: wallet?.frozenCents ?? 0 };
}
