#!/usr/bin/env node
// Top self-time entries of a V8 .cpuprofile (from `node --cpu-prof`), aggregated by function + url.
//
//   node scripts/cpu-top.mjs /tmp/prof/CPU.*.cpuprofile [--top 25] [--by file|package] [--skip 5] [--callers name]
//
// Self time of a node = its share of samples (timeDeltas). The same function reached through
// different call paths is summed. `--by file` sums per script url, `--by package` per
// node_modules package (or "app" / "node:internal"), to see which dependency costs most.
// `--skip S` ignores the first S seconds of the profile (start-up: module loading, migrations),
// so only the load you drove is counted. `--callers name` also prints who calls the functions
// whose name contains `name`, by the self time spent under them (e.g. --callers randomFillSync).
// Paths are shortened (node_modules/<pkg>/..., dist/...) so tables stay readable.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const top = Number(opt('--top', 20));
const by = opt('--by', 'function');
const skipUs = Number(opt('--skip', 0)) * 1e6;
const callersOf = opt('--callers', undefined);
if (args.length === 0) {
  console.error(
    'usage: node scripts/cpu-top.mjs <file.cpuprofile> [--top N] [--by function|file|package] [--skip S] [--callers name]',
  );
  process.exit(1);
}

function shortUrl(url) {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) return clean.slice(nm + 'node_modules/'.length);
  const dist = clean.indexOf('/dist/');
  if (dist >= 0) return clean.slice(dist + 1);
  return clean;
}

function packageOf(url) {
  if (!url) return '(native / vm)';
  if (url.startsWith('node:')) return 'node:internal';
  if (!url.includes('node_modules/')) return 'app';
  const parts = shortUrl(url).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

function frameName(frame) {
  const name = frame.functionName || '(anonymous)';
  return frame.url ? `${name}  ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : name;
}

function keyOf(frame) {
  if (by === 'file') return shortUrl(frame.url) || '(native / vm)';
  if (by === 'package') return packageOf(frame.url);
  return frameName(frame);
}

for (const file of args) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < skipUs) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totals = new Map();
  let all = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id).callFrame;
    all += us;
    if (frame.functionName === '(idle)') idle += us;
    const key = keyOf(frame);
    totals.set(key, (totals.get(key) ?? 0) + us);
  }
  const busy = all - idle;
  console.log(`${file}\n  ${(all / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy (not idle)\n`);
  console.log('   self ms   % busy  ' + (by === 'function' ? 'function  location' : by));
  const rows = [...totals]
    .filter(([k]) => !k.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [key, us] of rows) {
    console.log(`${(us / 1000).toFixed(0).padStart(10)} ${((100 * us) / busy).toFixed(1).padStart(7)}%  ${key}`);
  }
  console.log('');
  if (callersOf) printCallers(byId, selfUs, busy);
}

/** Self time of the matching functions, summed per calling chain of up to three frames. */
function printCallers(byId, selfUs, busy) {
  const parent = new Map();
  for (const n of byId.values()) for (const c of n.children ?? []) parent.set(c, n.id);
  const chains = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node.callFrame.functionName.includes(callersOf)) continue;
    const chain = [];
    for (let p = parent.get(id); p !== undefined && chain.length < 3; p = parent.get(p)) {
      const f = byId.get(p).callFrame;
      if (f.functionName === '(root)') break;
      chain.push(frameName(f));
    }
    const key = chain.join('\n            <- ');
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  console.log(`callers of *${callersOf}*:`);
  for (const [chain, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${(us / 1000).toFixed(0).padStart(10)} ${((100 * us) / busy).toFixed(1).padStart(7)}%  <- ${chain}`);
  }
  console.log('');
}
