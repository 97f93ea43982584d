import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TccModule } from '@app/tcc';
import { ExternalPaymentBranch } from './branches/external-payment.branch';
import { PaymentParticipant } from './branches/payment.participant';
import { RefundPaymentBranch } from './branches/refund-payment.branch';
import { WalletPaymentBranch } from './branches/wallet-payment.branch';
import { WalletAdminController } from './controllers/wallet.admin.controller';
import { WalletStorefrontController } from './controllers/wallet.storefront.controller';
import { PaymentRefundEntity } from './entities/payment-refund.entity';
import { PaymentEntity } from './entities/payment.entity';
import { WalletCreditEntity } from './entities/wallet-credit.entity';
import { WalletEntity } from './entities/wallet.entity';
import { PaymentAuditCheck } from './payment.audit';
import { PaymentRepository } from './repositories/payment.repository';
import { WalletRepository } from './repositories/wallet.repository';
import { PaymentService } from './usecases/payment.service';
import { WalletService } from './usecases/wallet.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([WalletEntity, WalletCreditEntity, PaymentEntity, PaymentRefundEntity]),
    TccModule,
  ],
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
    PaymentAuditCheck,
  ],
  exports: [WalletService, PaymentService],
})
export class PaymentModule {}
