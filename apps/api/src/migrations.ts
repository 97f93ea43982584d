import { CORE_MIGRATIONS, MigrationClass } from '@app/core';
import { COUPON_MIGRATIONS } from '@app/coupon';
import { INVENTORY_MIGRATIONS } from '@app/inventory';
import { ORDER_MIGRATIONS } from '@app/order';
import { PAYMENT_MIGRATIONS } from '@app/payment';
import { PRODUCT_MIGRATIONS } from '@app/product';
import { TCC_MIGRATIONS } from '@app/tcc';

/** Every module's migrations, in the order they must run. A new module appends its list. */
export const ALL_MIGRATIONS: MigrationClass[] = [
  ...CORE_MIGRATIONS,
  ...PRODUCT_MIGRATIONS,
  ...TCC_MIGRATIONS,
  ...INVENTORY_MIGRATIONS,
  ...COUPON_MIGRATIONS,
  ...PAYMENT_MIGRATIONS,
  ...ORDER_MIGRATIONS,
];
