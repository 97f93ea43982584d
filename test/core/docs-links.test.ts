import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, relative, resolve } from 'path';

/**
 * The documentation travels with the repository: every relative link of the markdown files
 * resolves to a file that exists (and to a heading of it, for a link with an anchor), and no
 * file points outside the repository to the spec it was first built from.
 */
const ROOT = resolve(__dirname, '../..');
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);
const INVARIANTS = join(ROOT, 'docs/invariants.md');
// Built from parts, so this file does not contain what it looks for.
const OUTSIDE_SPEC = ['..', 'shared'].join('/');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIPPED_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const repoFiles = walk(ROOT);
const markdownFiles = repoFiles.filter((f) => {
  const rel = relative(ROOT, f);
  return (
    rel === 'README.md' || (rel.startsWith('docs/') && rel.endsWith('.md')) || /^libs\/[^/]+\/README\.md$/.test(rel)
  );
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8');
  const anchors = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+)$/gm)) anchors.add(slug(m[1]));
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

/** Relative link targets of a markdown file, outside code blocks and code spans. */
function linksOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, '');
  const targets: string[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

function brokenLink(from: string, target: string): string | null {
  const [pathPart, anchor] = target.split('#', 2);
  const file = pathPart === '' ? from : resolve(dirname(from), decodeURIComponent(pathPart));
  if (!file.startsWith(ROOT + '/') && file !== ROOT) return 'leaves the repository';
  if (!existsSync(file)) return 'no such file';
  if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(anchor)) return `no anchor #${anchor}`;
  return null;
}

describe('documentation inside the repository', () => {
  it('finds the documents it checks', () => {
    const rel = markdownFiles.map((f) => relative(ROOT, f));
    expect(rel).toEqual(
      expect.arrayContaining([
        'README.md',
        'docs/architecture.md',
        'docs/tcc.md',
        'docs/stock-gate.md',
        'docs/invariants.md',
        'docs/api.md',
        'libs/tcc/README.md',
        'libs/order/README.md',
        'libs/payment/README.md',
      ]),
    );
  });

  it('resolves every relative link (and its anchor) of README.md, docs/ and the libs READMEs', () => {
    const broken: string[] = [];
    for (const file of markdownFiles) {
      for (const target of linksOf(file)) {
        const why = brokenLink(file, target);
        if (why) broken.push(`${relative(ROOT, file)}: ${target} (${why})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('resolves every docs/invariants.md anchor that a source file cites', () => {
    const anchors = existsSync(INVARIANTS) ? anchorsOf(INVARIANTS) : new Set<string>();
    const broken: string[] = [];
    for (const file of repoFiles.filter((f) => /\.(ts|mjs|cjs|js)$/.test(f))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/docs\/invariants\.md#([\w-]+)/g)) {
        if (!anchors.has(m[1])) broken.push(`${relative(ROOT, file)}: #${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('mentions no spec outside the repository', () => {
    const offenders = repoFiles
      .filter((f) => !readFileSync(f).includes(0))
      .filter((f) => {
        const text = readFileSync(f, 'utf8');
        return text.includes(OUTSIDE_SPEC) || /\bDESIGN(\.md|\s*§)|\bAPI\.md\b/.test(text);
      })
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});
