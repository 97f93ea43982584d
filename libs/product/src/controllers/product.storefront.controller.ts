import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Page, RequireScope } from '@app/core';
import { ProductDto, StorefrontProductQueryDto } from '../dto/product.dto';
import { ProductService } from '../usecases/product.service';

@ApiTags('storefront: catalogue')
@RequireScope('storefront')
@Controller('v1/products')
export class ProductStorefrontController {
  constructor(private readonly products: ProductService) {}

  @Get()
  @ApiOperation({ summary: 'Active products, optionally of one category' })
  list(@Query() query: StorefrontProductQueryDto): Promise<Page<ProductDto>> {
    return this.products.listProducts({ status: 'ACTIVE', category: query.category }, query);
  }

  @Get(':sku')
  @ApiOperation({ summary: 'One product' })
  @ApiOkResponse({ type: ProductDto })
  get(@Param('sku') sku: string): Promise<ProductDto> {
    return this.products.getProduct(sku);
  }
}
