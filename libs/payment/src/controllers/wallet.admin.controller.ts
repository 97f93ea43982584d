import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthedRequest, Claim, IdempotencyClaim, Idempotent, RequireScope } from '@app/core';
import { CreditWalletDto, WalletDto, WalletUserParams } from '../dto/wallet.dto';
import { WalletService } from '../usecases/wallet.service';

@ApiTags('admin: wallets')
@RequireScope('admin')
@Controller('v1/admin/wallets')
export class WalletAdminController {
  constructor(private readonly wallets: WalletService) {}

  @Post(':userId/credit')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: "Top up a user's wallet (Idempotency-Key required; a replay credits once)" })
  @ApiOkResponse({ type: WalletDto })
  credit(
    @Param() params: WalletUserParams,
    @Body() dto: CreditWalletDto,
    @Req() request: AuthedRequest,
    @Claim() claim: IdempotencyClaim | null,
  ): Promise<WalletDto> {
    // The idempotency key also names the top-up in the ledger, and the response is recorded in
    // the credit's own transaction: a retry after a crash credits once and replays the answer.
    const key = String(request.headers['idempotency-key']);
    return this.wallets.credit(
      params.userId,
      dto.amountCents,
      `admin:${request.principal?.keyId ?? 'unknown'}:${key}`,
      claim,
    );
  }
}
