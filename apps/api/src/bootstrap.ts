import { EnvironmentVariables, validateEnvironment } from '@config/environment';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import {
  AppConfig,
  EarlyRefusalHook,
  fastifyServerOptions,
  registerHttpMetrics,
  registerRequestHooks,
} from '@app/core';
import { AppModule, AppModuleOptions } from './app.module';

export interface CreateAppOptions extends AppModuleOptions {
  /** Keep Nest's own boot logs quiet (tests). */
  quiet?: boolean;
  /** Let Nest close the app on process signals (main.ts handles them itself). */
  shutdownHooks?: boolean;
}

/** Builds the HTTP application (used by main.ts and by the tests, so both run the same app). */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const env = serverEnv(options.env);
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    // A slow or stalled client cannot hold a socket: the whole request must arrive within this.
    requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
    connectionTimeout: env.HTTP_CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    trustProxy: true,
    return503OnClosing: true,
    // By the time the server closes, the work in flight is done (InFlightWork): a connection still
    // open is idle or its client gave up; waiting for it would only run out the shutdown grace.
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 256 },
    // Request ids and access logs come from pino-http (nestjs-pino).
    logger: false,
    ...fastifyServerOptions,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(options), adapter, {
    bufferLogs: true,
    rawBody: true,
    abortOnError: false,
  });
  app.useLogger(options.quiet ? false : app.get(Logger));
  registerRequestHooks(app.getHttpAdapter().getInstance());
  registerHttpMetrics(app.getHttpAdapter().getInstance());
  app.get(EarlyRefusalHook).install(app.getHttpAdapter().getInstance());
  if (options.shutdownHooks) app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Oversell-proof inventory')
      .setDescription(
        'Storefront, admin and operations API (docs/api.md in the repository). Errors: {statusCode, error, message, details}.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/**
 * The settings Fastify needs before Nest (and its config validation) exists. An invalid
 * environment falls back to the defaults here; CoreModule's validation then refuses to start.
 */
function serverEnv(overrides: Record<string, string> | undefined): EnvironmentVariables {
  try {
    return validateEnvironment({ ...process.env, ...overrides });
  } catch {
    return new EnvironmentVariables();
  }
}

export async function listen(app: NestFastifyApplication): Promise<void> {
  const config = app.get(AppConfig);
  await app.listen(config.http.port, config.http.host);
}
