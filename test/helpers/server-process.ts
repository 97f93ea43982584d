// The built-server helpers live under scripts/ so the soak script shares them.
export { BUILT_MAIN, freePort, startBuiltServer } from '../../scripts/server-process';
export type { ServerProcess, StartOptions } from '../../scripts/server-process';
