import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/core';
import { PaymentCallbackDto, PaymentCallbackResultDto } from './dto/payment-callback.dto';
import { PaymentSignatureGuard } from './payment-signature.guard';
import { ApplyPaymentCallbackUseCase } from './usecases/apply-payment-callback/apply-payment-callback.usecase';

@ApiTags('payments: gateway callback')
@Controller('v1/payments')
export class PaymentCallbackController {
  constructor(private readonly applyCallback: ApplyPaymentCallbackUseCase) {}

  @Post('callback')
  @Public()
  @UseGuards(PaymentSignatureGuard)
  @HttpCode(200)
  @ApiHeader({ name: 'X-Signature', required: true, description: 'sha256=<hex HMAC-SHA256 of the raw body with PAYMENT_WEBHOOK_SECRET>' })
  @ApiOperation({ summary: 'Gateway payment result: CAPTURED, FAILED, or REFUNDED (late); idempotent per paymentId' })
  @ApiOkResponse({ type: PaymentCallbackResultDto })
  callback(@Body() dto: PaymentCallbackDto): Promise<PaymentCallbackResultDto> {
    return this.applyCallback.execute(dto);
  }
}
