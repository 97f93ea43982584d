import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TccModule } from '@app/tcc';
import { CouponReturnBranch } from './branches/coupon-return.branch';
import { CouponUseBranch } from './branches/coupon-use.branch';
import { CouponParticipant } from './branches/coupon.participant';
import { CouponAdminController } from './controllers/coupon.admin.controller';
import { CouponStorefrontController } from './controllers/coupon.storefront.controller';
import { CouponAuditCheck } from './coupon.audit';
import { CouponEntity } from './entities/coupon.entity';
import { UserCouponEntity } from './entities/user-coupon.entity';
import { CouponRepository } from './repositories/coupon.repository';
import { CouponService } from './usecases/coupon.service';

@Module({
  imports: [TypeOrmModule.forFeature([CouponEntity, UserCouponEntity]), TccModule],
  controllers: [CouponStorefrontController, CouponAdminController],
  providers: [
    CouponRepository,
    CouponService,
    CouponUseBranch,
    CouponReturnBranch,
    CouponParticipant,
    CouponAuditCheck,
  ],
  exports: [CouponService],
})
export class CouponModule {}
