import 'reflect-metadata';
import { AppConfig } from '@app/core';
import { createApp, listen } from './bootstrap';

async function main(): Promise<void> {
  const app = await createApp({ shutdownHooks: false });
  await listen(app);

  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close pools, exit 0.
  const graceMs = app.get(AppConfig).http.shutdownGraceMs;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => {
      console.error(`shutdown took longer than ${graceMs}ms after ${signal}; exiting`);
      process.exit(1);
    }, graceMs);
    force.unref();
    app
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        console.error('error during shutdown', err);
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // Configuration errors name the variable; print them plainly and stop.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
