import { Coupon1700000004000 } from './migrations/1700000004000-coupon';

export { CouponModule } from './coupon.module';
export { CouponService, type CouponQuote } from './usecases/coupon.service';
export { CouponParticipant, COUPON_PARTICIPANT } from './branches/coupon.participant';
export type { CouponBranchPayload, CouponUsePayload, CouponReturnPayload } from './branches/coupon-branch.payload';
export type { CouponType } from './entities/coupon.entity';
export type { UserCouponState } from './entities/user-coupon.entity';

export const COUPON_MIGRATIONS = [Coupon1700000004000];
