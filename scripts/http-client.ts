import { createHmac, randomUUID } from 'crypto';

/** A tiny client for the running service, shared by the demo and the benchmark scripts. */
export interface Reply {
  status: number;
  body: any;
}

export interface CallOptions {
  as?: 'admin' | 'storefront';
  user?: string;
  body?: unknown;
  /** true: a fresh Idempotency-Key; a string: that key. */
  idempotent?: boolean | string;
  headers?: Record<string, string>;
  raw?: string;
}

export const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');
export const ADMIN_KEY = process.env.ADMIN_KEY ?? 'dev-admin-key';
export const STOREFRONT_KEY = process.env.STOREFRONT_KEY ?? 'dev-storefront-key';

export const WEBHOOK_SECRET = process.env.PAYMENT_WEBHOOK_SECRET ?? 'dev-webhook-secret';

let target = BASE_URL;
/** Points `call` at another service (the soak starts its own, on a free port). */
export function setBaseUrl(url: string): void {
  target = url.replace(/\/$/, '');
}

export async function call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.as) headers.authorization = `Bearer ${opts.as === 'admin' ? ADMIN_KEY : STOREFRONT_KEY}`;
  if (opts.user) headers['x-user-id'] = opts.user;
  if (opts.idempotent)
    headers['idempotency-key'] = typeof opts.idempotent === 'string' ? opts.idempotent : randomUUID();
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (payload !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${target}${path}`, { method, headers, body: payload });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body };
}

export async function must(what: string, reply: Promise<Reply>, ok = [200, 201]): Promise<any> {
  const r = await reply;
  if (!ok.includes(r.status)) throw new Error(`${what} failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export function positiveEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** The X-Signature of a payment callback: HMAC-SHA256 over "<unix seconds>.<raw body>". */
export function callbackSignature(raw: string, secret = WEBHOOK_SECRET): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')}`;
}

/** Runs `work` over `items` with at most `limit` in flight (seeding politely). */
export async function inBatches<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += limit) await Promise.all(items.slice(i, i + limit).map(work));
}
