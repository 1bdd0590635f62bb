// Trunk's post_build hook (Trunk.toml): finishes the page in Trunk's staging folder
// (TRUNK_STAGING_DIR), before Trunk moves it into dist/, on every `trunk build` and on every
// rebuild of `trunk serve`:
// 1. puts the sha256 of every inline script (Trunk's loader; under `trunk serve` also its
//    autoreload client) into the Content-Security-Policy, so the policy can stay strict
//    (script-src 'self' without 'unsafe-inline');
// 2. writes the service worker's precache list and a content version, so every file of the
//    app is cached on the first visit and a new build replaces the old cache.
// By hand, on a folder Trunk built without the hook: node scripts/web_postbuild.mjs [dir]
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const dist = process.env.TRUNK_STAGING_DIR || process.argv[2] || 'dist';
const fail = (msg) => { console.error(`web_postbuild: ${msg}`); process.exit(1); };

const indexPath = join(dist, 'index.html');
let html = readFileSync(indexPath, 'utf8');
if (!html.includes('SER_INLINE_SCRIPT_HASHES')) fail(`${indexPath} has no SER_INLINE_SCRIPT_HASHES placeholder (already finished?)`);
// `trunk serve`'s server fills the autoreload client's host and websocket path into every
// response it serves (the host from the request's Host header), after this hook: the script
// the browser gets would no longer match its hash. Filling them here with what the page can
// read from its own URL leaves the server nothing to change. public_url is "./", so Trunk
// serves the websocket from the page's own folder.
html = html
  .replace(/(['`])\{\{__TRUNK_ADDRESS__\}\}\1/g, 'window.location.host')
  .replace(/(['`])\{\{__TRUNK_WS_BASE__\}\}\1/g, () => "window.location.pathname.replace(/[^/]*$/, '')");
if (html.includes('{{__TRUNK_')) fail('index.html has a Trunk placeholder this hook does not fill: its script\'s hash would not match what the server sends');
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
