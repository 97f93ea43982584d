import { Injectable } from '@nestjs/common';
import { Page, pageOf } from '@app/core';
import type { ListOrdersQueryDto, OrderDto } from '../dto/order.dto';
import { toOrderDto } from '../order.mapper';
import { OrderRepository } from '../repositories/order.repository';

/** The user's orders, newest first, optionally of one status. */
@Injectable()
export class ListOrdersUseCase {
  constructor(private readonly orders: OrderRepository) {}

  async execute(userId: string, query: ListOrdersQueryDto): Promise<Page<OrderDto>> {
    const [orders, total] = await this.orders.findPage(userId, query.status, query);
    return pageOf(orders.map(toOrderDto), total, query);
  }
}
