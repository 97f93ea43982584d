import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiUserHeader, Claim, IdempotencyClaim, Idempotent, Page, RequireScope, UserId } from '@app/core';
import {
  CancelOrderDto,
  ListOrdersQueryDto,
  OrderDto,
  OrderIdParamDto,
  OrderPageDto,
  PayOrderDto,
  PlaceOrderDto,
} from '../dto/order.dto';
import { CancelOrderUseCase } from '../usecases/cancel-order.usecase';
import { GetOrderUseCase } from '../usecases/get-order.usecase';
import { ListOrdersUseCase } from '../usecases/list-orders.usecase';
import { PayOrderUseCase } from '../usecases/pay-order.usecase';
import { CheckoutEarlyRefusal } from '../usecases/place-order/checkout-early-refusal';
import { PlaceOrderUseCase } from '../usecases/place-order/place-order.usecase';

@ApiTags('storefront: orders')
@RequireScope('storefront')
@ApiUserHeader()
@Controller('v1/orders')
export class OrderStorefrontController {
  constructor(
    private readonly placeOrder: PlaceOrderUseCase,
    private readonly payOrder: PayOrderUseCase,
    private readonly cancelOrder: CancelOrderUseCase,
    private readonly getOrder: GetOrderUseCase,
    private readonly listOrders: ListOrdersUseCase,
  ) {}

  @Post()
  // The durable guard is the order's unique (user, Idempotency-Key): the hot path skips the MySQL look-up.
  // A sku sold out on this instance is refused from memory, before the idempotency write.
  @Idempotent({ lookupDurable: false, refuseEarly: CheckoutEarlyRefusal })
  @ApiOperation({
    summary:
      'Place an order (checkout): 201 PENDING_PAYMENT; 404 unknown sku/warehouse; 409 stock/limit/coupon/inactive product',
  })
  @ApiCreatedResponse({ type: OrderDto })
  async place(
    @UserId() userId: string,
    @Headers('idempotency-key') idempotencyKey: string,
    @Body() dto: PlaceOrderDto,
    @Claim() claim: IdempotencyClaim | null,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderDto> {
    const { order, replayed } = await this.placeOrder.execute({
      userId,
      idempotencyKey,
      items: dto.items,
      couponCode: dto.couponCode,
      warehouse: dto.warehouse,
      keyMayHaveOrder: claim?.keyMayBeUsed ?? true,
    });
    // Answered from the durable guard (the order's unique user + key) after Redis lost the record.
    if (replayed) void reply.header('Idempotent-Replayed', 'true');
    return order;
  }

  @Get()
  @ApiOperation({ summary: "The user's orders, newest first" })
  @ApiOkResponse({ type: OrderPageDto })
  list(@UserId() userId: string, @Query() query: ListOrdersQueryDto): Promise<Page<OrderDto>> {
    return this.listOrders.execute(userId, query);
  }

  @Get(':orderId')
  @ApiOperation({ summary: "One of the user's orders (404 for another user's)" })
  @ApiOkResponse({ type: OrderDto })
  get(@UserId() userId: string, @Param() params: OrderIdParamDto): Promise<OrderDto> {
    return this.getOrder.execute(userId, params.orderId);
  }

  @Post(':orderId/pay')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Pay from the wallet: 200 PAID (also when already paid); 402 INSUFFICIENT_BALANCE; 409 ORDER_STATE_CONFLICT',
  })
  @ApiOkResponse({ type: OrderDto })
  pay(@UserId() userId: string, @Param() params: OrderIdParamDto, @Body() _dto: PayOrderDto): Promise<OrderDto> {
    return this.payOrder.execute(userId, params.orderId);
  }

  @Post(':orderId/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel: PENDING_PAYMENT → CANCELLED, PAID → REFUNDED; repeat → 200; 409 ORDER_STATE_CONFLICT',
  })
  @ApiOkResponse({ type: OrderDto })
  cancel(@UserId() userId: string, @Param() params: OrderIdParamDto, @Body() dto: CancelOrderDto): Promise<OrderDto> {
    return this.cancelOrder.execute(userId, params.orderId, dto?.note);
  }
}
