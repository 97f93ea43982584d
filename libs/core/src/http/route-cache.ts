import type { ExecutionContext } from '@nestjs/common';

/**
 * What a guard or interceptor derives from a route's decorators, computed on the route's
 * first request and kept: decorator metadata never changes at run time, and reading it
 * through the Reflector on every request was measurable on the checkout hot path.
 * Keyed by class, then handler: one method inherited by two controllers may carry different
 * class-level metadata.
 */
export class RouteCache<T> {
  private readonly byClass = new WeakMap<object, WeakMap<object, { value: T }>>();

  constructor(private readonly compute: (context: ExecutionContext) => T) {}

  get(context: ExecutionContext): T {
    const cls = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byClass.get(cls);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.byClass.set(cls, byHandler);
    }
    let entry = byHandler.get(handler);
    if (!entry) {
      entry = { value: this.compute(context) };
      byHandler.set(handler, entry);
    }
    return entry.value;
  }
}
