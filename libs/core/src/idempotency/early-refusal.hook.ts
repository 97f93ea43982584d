import { Injectable, OnApplicationBootstrap, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { readUserId } from '../auth/auth.decorators';
import { DomainError } from '../errors/domain-error';
import { toErrorBody } from '../errors/http-exception.filter';
import { UserRateLimitGuard } from '../http/user-rate-limit.guard';
import { userScope } from './idempotency-epoch';
import { IdempotencyStore } from './idempotency.store';
import { EarlyRefusal, IDEMPOTENCY_KEY_PATTERN, IDEMPOTENT_KEY, IdempotentOptions } from './idempotent.decorator';

interface EarlyRoute {
  controller: Type;
  handler: (...args: unknown[]) => unknown;
  early: EarlyRefusal;
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'ALL', 'OPTIONS', 'HEAD', 'SEARCH'];

/**
 * The early refusal of a route (`@Idempotent({ refuseEarly })`, a flash sale's sold-out
 * checkout) taken in a Fastify preHandler, before Nest's guards, interceptors and pipes, whose
 * cost would otherwise be most of a refusal's. The same checks run in the same order: the
 * route's own guards (API key, then the user's rate limit) through a real execution context,
 * the refusal, and the one Redis read that makes sure the key has no response to replay (see
 * IdempotencyStore.isUnused). Whatever it cannot decide goes through Nest unchanged.
 */
@Injectable()
export class EarlyRefusalHook implements OnApplicationBootstrap {
  private readonly routes = new Map<string, EarlyRoute>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    private readonly apiKeys: ApiKeyGuard,
    private readonly rateLimit: UserRateLimitGuard,
    private readonly store: IdempotencyStore,
  ) {}

  /** Adds the preHandler; the routes are found when the app boots (before it listens). */
  install(fastify: FastifyInstance): void {
    fastify.addHook('preHandler', async (request, reply) => {
      if (!this.routes.size) return;
      const route = this.routes.get(`${request.method} ${request.routeOptions.url}`);
      if (route && (await this.refused(route, request, reply))) return reply;
    });
  }

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name] as EarlyRoute['handler'];
        const options =
          typeof handler === 'function'
            ? (Reflect.getMetadata(IDEMPOTENT_KEY, handler) as IdempotentOptions | undefined)
            : undefined;
        if (!options?.refuseEarly) continue;
        const method = HTTP_METHODS[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const url = joinPath(
          Reflect.getMetadata(PATH_METADATA, controller),
          Reflect.getMetadata(PATH_METADATA, handler),
        );
        this.routes.set(`${method} ${url}`, {
          controller,
          handler,
          early: this.moduleRef.get(options.refuseEarly, { strict: false }),
        });
      }
    }
  }

  /** True when it answered the request. Any doubt, or any error, leaves the request to Nest. */
  private async refused(route: EarlyRoute, request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const context = new ExecutionContextHost([request, reply, undefined], route.controller, route.handler);
    try {
      this.apiKeys.canActivate(context);
      const key = request.headers['idempotency-key'];
      if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) return false;
      const refusal = await route.early.refusal(request);
      if (!refusal || !(await this.store.isUnused(userScope(readUserId(request)), key))) return false;
      await this.rateLimit.canActivate(context);
      route.early.refused?.(refusal);
      return this.send(reply, refusal);
    } catch (err) {
      // A rate-limit refusal is this request's answer; anything else Nest answers in full.
      return err instanceof DomainError && err.status === 429 ? this.send(reply, err) : false;
    }
  }

  private send(reply: FastifyReply, error: DomainError): true {
    const body = toErrorBody(error);
    void reply.code(body.statusCode).send(body);
    return true;
  }
}

function joinPath(...parts: unknown[]): string {
  const path = parts
    .flatMap((p) => (Array.isArray(p) ? (p[0] as unknown) : p))
    .map((p) => (typeof p === 'string' ? p : '').replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${path}`;
}
