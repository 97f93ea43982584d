import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '@app/core';
import { CouponDto, CreateCouponDto, IssueCouponDto, IssuedDto } from '../dto/coupon.dto';
import { CouponService } from '../usecases/coupon.service';

@ApiTags('admin: coupons')
@RequireScope('admin')
@Controller('v1/admin/coupons')
export class CouponAdminController {
  constructor(private readonly coupons: CouponService) {}

  @Post()
  @ApiOperation({ summary: 'Create a coupon (409 CONFLICT on a duplicate code)' })
  @ApiCreatedResponse({ type: CouponDto })
  create(@Body() dto: CreateCouponDto): Promise<CouponDto> {
    return this.coupons.createCoupon(dto);
  }

  @Post(':code/issue')
  @HttpCode(200)
  @ApiOperation({ summary: 'Give the coupon to users (each user holds it at most once; 404 unknown code)' })
  @ApiOkResponse({ type: IssuedDto })
  issue(@Param('code') code: string, @Body() dto: IssueCouponDto): Promise<IssuedDto> {
    return this.coupons.issueCoupon(code, dto.userIds);
  }
}
