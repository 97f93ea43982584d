// Installs dependencies with `npm ci` only when they are missing or older than package-lock.json.
// Plain Node with no dependencies: it runs before node_modules exists.
//
// "Installed at" is the newer of node_modules/.deps-stamp (touched here after a successful
// `npm ci`) and node_modules/.package-lock.json (written by npm on every install). When
// package-lock.json is newer than that (a pull, a branch switch, an edit), `npm ci` runs again.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockfile = join(root, 'package-lock.json');
const modules = join(root, 'node_modules');
const stamp = join(modules, '.deps-stamp');
const npmMarker = join(modules, '.package-lock.json');

const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : -Infinity);

function reasonToInstall() {
  if (!existsSync(modules)) return 'node_modules is missing';
  const installedAt = Math.max(mtime(stamp), mtime(npmMarker));
  if (installedAt === -Infinity) return 'node_modules has no record of an install';
  if (mtime(lockfile) > installedAt) return 'package-lock.json is newer than node_modules';
  return null;
}

const reason = reasonToInstall();
if (!reason) {
  console.log('dependencies up to date (npm ci skipped)');
  process.exit(0);
}

console.log(`${reason}: running npm ci`);
// Under `npm test` / `npm start`, npm_execpath is the npm that runs us: use the same one.
const execpath = process.env.npm_execpath;
const [cmd, args] =
  execpath && /\.c?js$/.test(execpath)
    ? [process.execPath, [execpath]]
    : [process.platform === 'win32' ? 'npm.cmd' : 'npm', []];
const result = spawnSync(cmd, [...args, 'ci', '--no-audit', '--no-fund'], {
  cwd: root,
  stdio: 'inherit',
  shell: process.platform === 'win32' && cmd === 'npm.cmd',
});
if (result.error) {
  console.error(`could not run npm ci: ${result.error.message}`);
  process.exit(1);
}
if (result.status !== 0) process.exit(result.status ?? 1);

// Record the install: newer than package-lock.json, so the next run skips it.
const now = new Date();
closeSync(openSync(stamp, 'a'));
utimesSync(stamp, now, now);
