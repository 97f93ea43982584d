export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Asks `check` every `intervalMs` until it answers true. Resolves true then, or false once
 * `timeoutMs` has passed without it (the caller decides whether that is an error).
 */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(options.intervalMs ?? 20);
  }
}
