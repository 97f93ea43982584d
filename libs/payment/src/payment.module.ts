import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TccModule } from '@app/tcc';
import { ExternalPaymentBranch } from './branches/external-payment.branch';
import { PaymentParticipant } from './branches/payment.participant';
import { RefundPaymentBranch } from './branches/refund-payment.branch';
import { WalletPaymentBranch } from './branches/wallet-payment.branch';
import { PaymentRefundEntity } from './entities/payment-refund.entity';
import { PaymentEntity } from './entities/payment.entity';
import { WalletCreditEntity } from './entities/wallet-credit.entity';
import { WalletEntity } from './entities/wallet.entity';
import { PaymentAudit } from './payment.audit';
import { PaymentRepository } from './payment.repository';
import { PaymentService } from './payment.service';
import { WalletAdminController } from './wallet.admin.controller';
import { WalletRepository } from './wallet.repository';
import { WalletService } from './wallet.service';
import { WalletStorefrontController } from './wallet.storefront.controller';

@Module({
  imports: [TypeOrmModule.forFeature([WalletEntity, WalletCreditEntity, PaymentEntity, PaymentRefundEntity]), TccModule],
  controllers: [WalletStorefrontController, WalletAdminController],
  providers: [
    WalletRepository,
    PaymentRepository,
    WalletService,
    PaymentService,
    WalletPaymentBranch,
    ExternalPaymentBranch,
    RefundPaymentBranch,
    PaymentParticipant,
    PaymentAudit,
  ],
  exports: [WalletService, PaymentService],
})
export class PaymentModule {}
