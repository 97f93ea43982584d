import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CouponModule } from '@app/coupon';
import { InventoryModule } from '@app/inventory';
import { PaymentModule } from '@app/payment';
import { ProductModule } from '@app/product';
import { TccModule } from '@app/tcc';
import { OrderPlaceBranch } from './branches/order-place.branch';
import { OrderRefundBranch } from './branches/order-refund.branch';
import { OrderParticipant } from './branches/order.participant';
import { OrderStorefrontController } from './controllers/order.storefront.controller';
import { PaymentCallbackController } from './controllers/payment-callback.controller';
import { PaymentSignatureGuard } from './controllers/payment-signature.guard';
import { OrderItemEntity } from './entities/order-item.entity';
import { OrderEntity } from './entities/order.entity';
import { OrderAuditCheck } from './order.audit';
import { OrderRepository } from './repositories/order.repository';
import { ApplyPaymentCallbackUseCase } from './usecases/apply-payment-callback.usecase';
import { CancelOrderUseCase } from './usecases/cancel-order.usecase';
import { CheckoutTransaction } from './usecases/checkout-transaction';
import { GetOrderUseCase } from './usecases/get-order.usecase';
import { ListOrdersUseCase } from './usecases/list-orders.usecase';
import { OrderPaymentLock } from './usecases/order-payment-lock';
import { PayOrderUseCase } from './usecases/pay-order.usecase';
import { CheckoutEarlyRefusal } from './usecases/place-order/checkout-early-refusal';
import { CheckoutKeys } from './usecases/place-order/checkout-keys';
import { PlaceOrderUseCase } from './usecases/place-order/place-order.usecase';
import { RefundOrderUseCase } from './usecases/refund-order.usecase';

/** Orders: checkout, pay (wallet or gateway callback), cancel/refund, and the `order` TCC participant. */
@Module({
  imports: [
    TypeOrmModule.forFeature([OrderEntity, OrderItemEntity]),
    TccModule,
    ProductModule,
    InventoryModule,
    CouponModule,
    PaymentModule,
  ],
  controllers: [OrderStorefrontController, PaymentCallbackController],
  providers: [
    OrderRepository,
    CheckoutKeys,
    OrderPlaceBranch,
    OrderRefundBranch,
    OrderParticipant,
    OrderAuditCheck,
    OrderPaymentLock,
    CheckoutTransaction,
    CheckoutEarlyRefusal,
    PaymentSignatureGuard,
    PlaceOrderUseCase,
    PayOrderUseCase,
    CancelOrderUseCase,
    RefundOrderUseCase,
    ApplyPaymentCallbackUseCase,
    GetOrderUseCase,
    ListOrdersUseCase,
  ],
})
export class OrderModule {}
