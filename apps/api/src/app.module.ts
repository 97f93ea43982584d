import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import {
  ApiKeyGuard,
  CoreModule,
  createValidationPipe,
  HttpExceptionFilter,
  IdempotencyInterceptor,
  UserRateLimitGuard,
} from '@app/core';
import { CouponModule } from '@app/coupon';
import { InventoryModule } from '@app/inventory';
import { LiveStockModule } from '@app/live-stock';
import { OrderModule } from '@app/order';
import { PaymentModule } from '@app/payment';
import { ProductModule } from '@app/product';
import { TccModule } from '@app/tcc';
import { ALL_MIGRATIONS } from './migrations';

export interface AppModuleOptions {
  /** Overrides of environment variables (tests use these for their own database and Redis prefix). */
  env?: Record<string, string>;
  /** Extra modules mounted beside the domain modules (tests add probe controllers). */
  extraModules?: Array<Type | DynamicModule>;
}

/**
 * The root module: every domain module, and all global providers in one visible place
 * (exception filter, validation pipe, auth guard, idempotency).
 */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot({ migrations: ALL_MIGRATIONS, env: options.env }),
        ProductModule,
        TccModule,
        InventoryModule,
        CouponModule,
        PaymentModule,
        OrderModule,
        LiveStockModule,
        ...(options.extraModules ?? []),
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_GUARD, useExisting: ApiKeyGuard },
        // After auth, so an unknown key is a 401 rather than a count against a user.
        { provide: APP_GUARD, useExisting: UserRateLimitGuard },
        { provide: APP_INTERCEPTOR, useExisting: IdempotencyInterceptor },
      ],
    };
  }
}
