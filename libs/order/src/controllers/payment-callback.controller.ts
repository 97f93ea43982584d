import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/core';
import { PaymentCallbackDto, PaymentCallbackResultDto } from '../dto/payment-callback.dto';
import { ApplyPaymentCallbackUseCase } from '../usecases/apply-payment-callback.usecase';
import { PaymentSignatureGuard } from './payment-signature.guard';

@ApiTags('payments: gateway callback')
@Controller('v1/payments')
export class PaymentCallbackController {
  constructor(private readonly applyCallback: ApplyPaymentCallbackUseCase) {}

  @Post('callback')
  @Public()
  @UseGuards(PaymentSignatureGuard)
  @HttpCode(200)
  @ApiHeader({
    name: 'X-Signature',
    required: true,
    description:
      't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with PAYMENT_WEBHOOK_SECRET>, e.g. ' +
      '`t=1767225600,v1=5f0c…` (64 hex digits). A timestamp more than PAYMENT_WEBHOOK_TOLERANCE_SEC (default 300) ' +
      "from the server's clock, a missing part or any other form → 401 UNAUTHORIZED.",
  })
  @ApiOperation({ summary: 'Gateway payment result: CAPTURED, FAILED, or REFUNDED (late); idempotent per paymentId' })
  @ApiOkResponse({ type: PaymentCallbackResultDto })
  callback(@Body() dto: PaymentCallbackDto): Promise<PaymentCallbackResultDto> {
    return this.applyCallback.execute(dto);
  }
}
