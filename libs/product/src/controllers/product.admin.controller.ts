import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Page, RequireScope } from '@app/core';
import {
  AdminProductQueryDto,
  CreateProductDto,
  CreateWarehouseDto,
  ProductDto,
  UpdateProductDto,
  WarehouseDto,
} from '../dto/product.dto';
import { ProductService } from '../usecases/product.service';

@ApiTags('admin: catalogue')
@RequireScope('admin')
@Controller('v1/admin')
export class ProductAdminController {
  constructor(private readonly products: ProductService) {}

  @Post('products')
  @ApiOperation({ summary: 'Create a product (409 CONFLICT on a duplicate sku)' })
  @ApiCreatedResponse({ type: ProductDto })
  create(@Body() dto: CreateProductDto): Promise<ProductDto> {
    return this.products.createProduct(dto);
  }

  @Get('products')
  @ApiOperation({ summary: 'All products, optionally by status' })
  list(@Query() query: AdminProductQueryDto): Promise<Page<ProductDto>> {
    return this.products.listProducts({ status: query.status }, query);
  }

  @Patch('products/:sku')
  @ApiOperation({ summary: 'Change name, category, price, purchase limit or status' })
  @ApiOkResponse({ type: ProductDto })
  update(@Param('sku') sku: string, @Body() dto: UpdateProductDto): Promise<ProductDto> {
    return this.products.updateProduct(sku, dto);
  }

  @Post('warehouses')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a warehouse (409 CONFLICT on a duplicate code)' })
  @ApiCreatedResponse({ type: WarehouseDto })
  createWarehouse(@Body() dto: CreateWarehouseDto): Promise<WarehouseDto> {
    return this.products.createWarehouse(dto);
  }

  @Get('warehouses')
  @ApiOperation({ summary: 'All warehouses' })
  @ApiOkResponse({ type: [WarehouseDto] })
  listWarehouses(): Promise<WarehouseDto[]> {
    return this.products.listWarehouses();
  }
}
