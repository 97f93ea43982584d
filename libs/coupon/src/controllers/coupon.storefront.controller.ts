import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiUserHeader, Page, RequireScope, UserId } from '@app/core';
import { UserCouponDto, UserCouponQueryDto } from '../dto/coupon.dto';
import { CouponService } from '../usecases/coupon.service';

@ApiTags('storefront: coupons')
@RequireScope('storefront')
@Controller('v1/coupons')
export class CouponStorefrontController {
  constructor(private readonly coupons: CouponService) {}

  @Get()
  @ApiUserHeader()
  @ApiOperation({ summary: "The caller's coupons, newest first, optionally by state" })
  list(@UserId() userId: string, @Query() query: UserCouponQueryDto): Promise<Page<UserCouponDto>> {
    return this.coupons.listUserCoupons(userId, query);
  }
}
