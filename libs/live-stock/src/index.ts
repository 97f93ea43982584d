// Public API of the live-stock module: only the app imports it.
export { LiveStockModule } from './live-stock.module';
