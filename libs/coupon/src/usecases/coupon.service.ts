import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode, Page, paged } from '@app/core';
import { discountCents, unusableReason } from '../coupon-rules';
import { toCouponDto, toUserCouponDto } from '../coupon.mapper';
import { CouponDto, CreateCouponDto, UserCouponDto, UserCouponQueryDto } from '../dto/coupon.dto';
import { CouponEntity } from '../entities/coupon.entity';
import { CouponRepository, type UserCouponRow } from '../repositories/coupon.repository';

export interface CouponQuote {
  discountCents: number;
}

/** Admin create/issue, the storefront list, and the checkout quote. Coupon state moves only in the participant. */
@Injectable()
export class CouponService {
  constructor(private readonly repository: CouponRepository) {}

  async createCoupon(dto: CreateCouponDto): Promise<CouponDto> {
    if (dto.type === 'PERCENT' && dto.value > 100) {
      throw DomainError.validation('value of a PERCENT coupon must be 1-100', { value: dto.value });
    }
    // null is "none", as the API answers it (validFrom: null = valid from the start).
    const validFrom = dto.validFrom != null ? parseUtc('validFrom', dto.validFrom) : null;
    const validTo = dto.validTo != null ? parseUtc('validTo', dto.validTo) : null;
    if (validFrom && validTo && validFrom >= validTo) {
      throw DomainError.validation('validFrom must be before validTo', {
        validFrom: dto.validFrom,
        validTo: dto.validTo,
      });
    }
    const coupon = Object.assign(new CouponEntity(), {
      code: dto.code,
      type: dto.type,
      value: dto.value,
      minOrderCents: dto.minOrderCents ?? 0,
      validFrom,
      validTo,
      createdAt: new Date(),
    });
    if (!(await this.repository.insertCoupon(coupon))) {
      throw DomainError.conflict(`Coupon ${dto.code} already exists`, { code: dto.code });
    }
    return toCouponDto(coupon);
  }

  /** Issues the coupon to each user once; users who already hold it (in any state) are skipped. */
  async issueCoupon(code: string, userIds: string[]): Promise<{ issued: number }> {
    if (!(await this.repository.couponExists(code))) throw DomainError.notFound(`Coupon ${code}`, { code });
    return { issued: await this.repository.issueToUsers(code, [...new Set(userIds)]) };
  }

  listUserCoupons(userId: string, query: UserCouponQueryDto): Promise<Page<UserCouponDto>> {
    return paged(
      query,
      (limit, offset) => this.repository.findUserCouponPage(userId, query.state, limit, offset),
      toUserCouponDto,
    );
  }

  /**
   * The discount `code` gives this user on `subtotalCents` at time `at`, or
   * COUPON_UNAVAILABLE (not issued to the user, not AVAILABLE, outside its validity, below
   * the minimum). A read only: the checkout's `coupon` branch is what claims the coupon.
   */
  async quote(userId: string, code: string, subtotalCents: number, at: Date): Promise<CouponQuote> {
    const coupon = code.length <= 64 ? await this.repository.findUserCoupon(userId, code) : null;
    if (!coupon) {
      throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, `Coupon ${code} is not available to this user`, {
        code,
        reason: 'NOT_ISSUED',
      });
    }
    const reason = unusableReason(coupon, coupon.state, subtotalCents, at);
    if (reason) {
      throw new DomainError(ErrorCode.COUPON_UNAVAILABLE, unavailableMessage(code, reason, coupon), { code, reason });
    }
    return { discountCents: discountCents(coupon, subtotalCents) };
  }
}

function unavailableMessage(code: string, reason: string, coupon: UserCouponRow): string {
  switch (reason) {
    case 'BELOW_MINIMUM':
      return `Coupon ${code} needs an order of at least ${coupon.minOrderCents} cents`;
    case 'NOT_YET_VALID':
      return `Coupon ${code} is not valid yet`;
    case 'EXPIRED':
      return `Coupon ${code} has expired`;
    default:
      return `Coupon ${code} is ${coupon.state.toLowerCase()}`;
  }
}

/** ISO 8601 to a Date; a date-time without a zone is taken as UTC (the API's times are UTC). */
function parseUtc(field: string, value: string): Date {
  const hasZone = /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value);
  const date = new Date(value.includes('T') && !hasZone ? `${value}Z` : value);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1970 || year > 9999) {
    throw DomainError.validation(`${field} must be an ISO 8601 time between 1970 and 9999`, { [field]: value });
  }
  return date;
}
