import { Injectable } from '@nestjs/common';
import { Page, paged } from '@app/core';
import type { ListOrdersQueryDto, OrderDto } from '../dto/order.dto';
import { toOrderDto } from '../order.mapper';
import { OrderRepository } from '../repositories/order.repository';

/** The user's orders, newest first, optionally of one status. */
@Injectable()
export class ListOrdersUseCase {
  constructor(private readonly orders: OrderRepository) {}

  execute(userId: string, query: ListOrdersQueryDto): Promise<Page<OrderDto>> {
    return paged(query, (limit, offset) => this.orders.findPage(userId, query.status, limit, offset), toOrderDto);
  }
}
