import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiUserHeader, RequireScope, UserId } from '@app/core';
import { WalletDto } from '../dto/wallet.dto';
import { WalletService } from '../usecases/wallet.service';

@ApiTags('storefront: wallet')
@RequireScope('storefront')
@Controller('v1/wallet')
export class WalletStorefrontController {
  constructor(private readonly wallets: WalletService) {}

  @Get()
  @ApiUserHeader()
  @ApiOperation({ summary: "The caller's wallet (zeros if it never had money)" })
  @ApiOkResponse({ type: WalletDto })
  get(@UserId() userId: string): Promise<WalletDto> {
    return this.wallets.getWallet(userId);
  }
}
