import { Injectable } from '@nestjs/common';
import type { OrderDto } from '../dto/order.dto';
import { orderNotFound } from '../order.errors';
import { toOrderDto } from '../order.mapper';
import { OrderRepository } from '../repositories/order.repository';

/** One of the user's orders; another user's order is 404, exactly like a missing one. */
@Injectable()
export class GetOrderUseCase {
  constructor(private readonly orders: OrderRepository) {}

  async execute(userId: string, orderId: string): Promise<OrderDto> {
    const order = await this.orders.findOwn(userId, orderId);
    if (!order) throw orderNotFound(orderId);
    return toOrderDto(order);
  }
}
