import type { CouponDto, UserCouponDto } from './dto/coupon.dto';
import type { CouponEntity } from './entities/coupon.entity';
import type { UserCouponRow } from './repositories/coupon.repository';

type Terms = Pick<CouponEntity, 'code' | 'type' | 'value' | 'minOrderCents' | 'validFrom' | 'validTo'>;

/** What a coupon offers, as both the admin and the storefront answers show it. */
function termsOf(c: Terms): Omit<CouponDto, 'createdAt'> {
  return {
    code: c.code,
    type: c.type,
    value: c.value,
    minOrderCents: c.minOrderCents,
    validFrom: c.validFrom?.toISOString() ?? null,
    validTo: c.validTo?.toISOString() ?? null,
  };
}

export function toCouponDto(c: CouponEntity): CouponDto {
  return { ...termsOf(c), createdAt: c.createdAt.toISOString() };
}

export function toUserCouponDto(r: UserCouponRow): UserCouponDto {
  return { ...termsOf(r), state: r.state };
}
