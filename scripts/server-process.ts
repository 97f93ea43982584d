import { ChildProcess, spawn, StdioOptions } from 'child_process';
import { existsSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import { dirname, join } from 'path';

/**
 * Starts the compiled server as a child process, as `npm run start:prod` runs it. Shared by the
 * tests (through test/helpers/server-process.ts) and the soak script, which runs from scripts/
 * under jest and from dist/scripts/ once compiled: paths are found from the project root.
 */

/** The nearest folder above this file with a package.json (dist/ has none). */
export const PROJECT_ROOT = ((): string => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** The compiled server (npm test and npm run build build it). */
export const BUILT_MAIN = join(PROJECT_ROOT, 'dist/apps/api/src/main.js');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export interface StartOptions {
  timeoutMs?: number;
  /** Node flags before the script (e.g. --expose-gc, --require a probe). */
  nodeArgs?: string[];
  /** Open an IPC channel to the child (process.send in the child). */
  ipc?: boolean;
}

/** Starts the built server with these environment overrides and waits until /health answers. */
export async function startBuiltServer(
  env: Record<string, string>,
  options: number | StartOptions = {},
): Promise<ServerProcess> {
  const {
    timeoutMs = 30000,
    nodeArgs = [],
    ipc = false,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const port = env.PORT ?? String(await freePort());
  const stdio: StdioOptions = ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn(process.execPath, [...nodeArgs, BUILT_MAIN], {
    env: { ...process.env, ...env, PORT: port },
    stdio,
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited early:\n${output}`);
    try {
      await fetch(`${baseUrl}/health`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`server did not answer within ${timeoutMs}ms:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return { child, baseUrl, output: () => output, exited };
}
