import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { metricsRegistry } from './metrics';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  @Get()
  @Public()
  @Header('Content-Type', metricsRegistry.contentType)
  @ApiOperation({ summary: 'Prometheus metrics' })
  async metrics(): Promise<string> {
    return metricsRegistry.metrics();
  }
}
