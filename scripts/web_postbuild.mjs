// Finishes dist/ after `trunk build` (called by scripts/build_web.sh):
// 1. puts the sha256 of Trunk's inline loader script into the Content-Security-Policy, so the
//    policy can stay strict (script-src 'self' without 'unsafe-inline');
// 2. writes the service worker's precache list and a content version, so every file of the
//    app is cached on the first visit and a new build replaces the old cache.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const dist = process.argv[2] || 'dist';
const fail = (msg) => { console.error(`web_postbuild: ${msg}`); process.exit(1); };

const indexPath = join(dist, 'index.html');
let html = readFileSync(indexPath, 'utf8');
if (!html.includes('SER_INLINE_SCRIPT_HASHES')) fail('index.html has no SER_INLINE_SCRIPT_HASHES placeholder (built twice?)');
const hashes = [];
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
  if (/\bsrc\s*=/.test(m[1])) continue;
  hashes.push(`'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`);
}
html = html.replaceAll('SER_INLINE_SCRIPT_HASHES', hashes.join(' '));
writeFileSync(indexPath, html);

const walk = (dir) => readdirSync(dir).flatMap((name) => {
  const p = join(dir, name);
  return statSync(p).isDirectory() ? walk(p) : [p];
});
const files = walk(dist)
  .map((p) => relative(dist, p).split(sep).join('/'))
  .filter((f) => f !== 'sw.js')
  .sort();
const version = createHash('sha256');
for (const f of files) version.update(f).update(readFileSync(join(dist, f)));
const manifest = { version: version.digest('hex').slice(0, 16), files: ['./', ...files] };

const swPath = join(dist, 'sw.js');
const sw = readFileSync(swPath, 'utf8');
const line = /^const MANIFEST = .*;$/m;
if (!line.test(sw)) fail('sw.js has no `const MANIFEST = …;` line');
writeFileSync(swPath, sw.replace(line, `const MANIFEST = ${JSON.stringify(manifest)};`));

console.log(`web_postbuild: CSP pins ${hashes.length} inline script(s); service worker precaches ${files.length + 1} entries (version ${manifest.version})`);
