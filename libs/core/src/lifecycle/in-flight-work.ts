import type { ServerResponse } from 'http';
import {
  BeforeApplicationShutdown,
  CallHandler,
  ExecutionContext,
  Injectable,
  Logger,
  NestInterceptor,
} from '@nestjs/common';
import { defer, finalize, Observable, throwError } from 'rxjs';
import { DomainError } from '../errors/domain-error';
import { ErrorCode } from '../errors/error-code';

/**
 * Work that must finish before the pools close: request handlers (from the moment they run until
 * their work is done, whether or not the client is still connected: the HTTP server only waits for
 * open connections) and anything a module hands over (group-commit batches, after-commit work).
 * On shutdown Nest first stops taking requests (503), then these shutdown hooks run while MySQL
 * and Redis are still open; this one waits until nothing is in flight. From then on a handler
 * that had not started yet (its request was accepted just before) is answered 503 without
 * running, so nothing starts after the wait and the server may close every connection.
 */
@Injectable()
export class InFlightWork implements BeforeApplicationShutdown {
  private readonly logger = new Logger(InFlightWork.name);
  private count = 0;
  private idle: Array<() => void> = [];
  private stopping = false;
  private closed = false;

  /** Counts `work` as in flight until it settles; returns it unchanged. */
  track<T>(work: Promise<T>): Promise<T> {
    const done = this.begin();
    work.then(done, done);
    return work;
  }

  /** Counts one piece of work; call the returned function (once) when it is over. */
  begin(): () => void {
    this.count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.count > 0) return;
      // synchronously with the last piece of work ending, so nothing can start in between
      if (this.stopping) this.closed = true;
      this.idle.splice(0).forEach((resolve) => resolve());
    };
  }

  /** True once shutdown waited for everything: new handlers are refused. */
  get isClosed(): boolean {
    return this.closed;
  }

  get inFlight(): number {
    return this.count;
  }

  /** Resolves once nothing is in flight (work started meanwhile is waited for too). */
  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.count === 0) this.closed = true;
    if (this.count > 0) this.logger.log({ inFlight: this.count }, 'shutdown: waiting for work in flight');
    await this.drained();
  }
}

/** Global interceptor: a handler's work counts as in flight until its observable completes or fails. */
@Injectable()
export class InFlightInterceptor implements NestInterceptor {
  constructor(private readonly work: InFlightWork) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Counted from subscription: a request whose client left before its handler started is never run.
    return defer(() => {
      if (this.work.isClosed) {
        return throwError(
          () =>
            new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'The service is shutting down; retry on another instance'),
        );
      }
      const done = this.work.begin();
      const response = context.switchToHttp().getResponse<{ raw?: ServerResponse }>().raw;
      // In flight until Nest has written the answer too (the server may close every connection after
      // the wait). A handler that answered by itself (headers already sent: a stream) is done here:
      // its module ends the stream on shutdown.
      const settled = () =>
        !response || response.headersSent || response.writableFinished || response.destroyed
          ? done()
          : response.once('close', done);
      return next.handle().pipe(finalize(settled));
    });
  }
}
