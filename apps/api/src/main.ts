import 'reflect-metadata';
import { createApp, listen } from './bootstrap';

async function main(): Promise<void> {
  const app = await createApp();
  await listen(app);
}

main().catch((err: unknown) => {
  // Configuration errors name the variable; print them plainly and stop.
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
