import { Payment1700000005000 } from './migrations/1700000005000-payment';

export { PaymentModule } from './payment.module';
export { PaymentService, type PaymentView } from './usecases/payment.service';
export { WalletService, type Wallet } from './usecases/wallet.service';
export { PaymentParticipant, PAYMENT_PARTICIPANT } from './branches/payment.participant';
export type {
  PaymentBranchPayload,
  WalletPaymentPayload,
  ExternalPaymentPayload,
  RefundPaymentPayload,
} from './branches/payment-branch.payload';
export { signWebhookBody, type WebhookSignatureCheck } from './webhook-signature';
export type { PaymentMethod, PaymentStatus } from './entities/payment.entity';

export const PAYMENT_MIGRATIONS = [Payment1700000005000];
