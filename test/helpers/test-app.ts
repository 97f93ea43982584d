import type { DynamicModule, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { REDIS } from '@app/core';
import { createApp } from '../../apps/api/src/bootstrap';
import { ADMIN_KEY, newTestEnv, STOREFRONT_KEY, TestEnv } from './test-env';

export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Shorthands for the usual headers. */
  as?: 'admin' | 'storefront' | 'none';
  user?: string;
  idempotencyKey?: string;
  rawBody?: string;
}

export interface TestApp {
  app: NestFastifyApplication;
  db: DataSource;
  redis: Redis;
  testEnv: TestEnv;
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<HttpResult<T>>;
  close(): Promise<void>;
}

/**
 * The real application (same bootstrap as main.ts) on its own database and Redis prefix,
 * driven in-process through Fastify's inject (no port needed).
 */
export async function startTestApp(
  options: { env?: Record<string, string>; extraModules?: Array<Type | DynamicModule>; testEnv?: TestEnv } = {},
): Promise<TestApp> {
  const testEnv = options.testEnv ?? newTestEnv(options.env);
  const app = await createApp({ env: testEnv.env, quiet: true, extraModules: options.extraModules });
  const db = app.get<DataSource>(getDataSourceToken());
  const redis = app.get<Redis>(REDIS);

  const request = async <T>(method: string, url: string, o: RequestOptions = {}): Promise<HttpResult<T>> => {
    const headers: Record<string, string> = {};
    const as = o.as ?? (url.startsWith('/v1/admin') ? 'admin' : 'storefront');
    if (as === 'admin') headers.authorization = `Bearer ${ADMIN_KEY}`;
    if (as === 'storefront') headers.authorization = `Bearer ${STOREFRONT_KEY}`;
    if (o.user) headers['x-user-id'] = o.user;
    if (o.idempotencyKey) headers['idempotency-key'] = o.idempotencyKey;
    let payload: string | undefined = o.rawBody;
    if (o.body !== undefined) {
      payload = JSON.stringify(o.body);
      headers['content-type'] = 'application/json';
    }
    Object.assign(headers, o.headers ?? {});
    const res = await app.inject({ method: method as 'GET', url, headers, payload });
    let body: unknown = res.body;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      /* not JSON (metrics) */
    }
    return { status: res.statusCode, body: body as T, headers: res.headers };
  };

  return {
    app,
    db,
    redis,
    testEnv,
    request,
    close: async () => {
      await app.close();
      await testEnv.cleanup();
    },
  };
}

/**
 * Counts the connections the app checks out of its pool: every statement TypeORM runs first
 * checks one out, so a difference of 0 means no MySQL round trip.
 */
export function countPoolCheckouts(t: TestApp): () => number {
  let checkouts = 0;
  const driver = t.db.driver as unknown as { obtainMasterConnection: () => Promise<unknown> };
  const obtain = driver.obtainMasterConnection.bind(driver);
  driver.obtainMasterConnection = () => {
    checkouts++;
    return obtain();
  };
  return () => checkouts;
}

/** Waits until one of the app's connections is running a statement LIKE `pattern` (false after ~5 s). */
export async function statementRunning(t: TestApp, pattern: string): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    const [row] = await t.db.query(
      `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE db = DATABASE() AND info LIKE ?`,
      [pattern],
    );
    if (Number(row.n) > 0) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
