// What plain `trunk build --release` leaves in dist/ (scripts/build_web.sh only wraps it):
// Trunk.toml's post_build hook must have pinned every inline script in the CSP and written the
// service worker's list of every file, or the page would not start or not work offline. The
// browser tests then run against this same dist/.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';

import { DIST } from './helpers.mjs';

const html = readFileSync(join(DIST, 'index.html'), 'utf8');

test('the CSP pins the hash of every inline script Trunk wrote', () => {
  assert.ok(!html.includes('SER_INLINE_SCRIPT_HASHES'), 'the placeholder is still there: the hook did not run');
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]*)"/)?.[1];
  assert.ok(csp, 'no Content-Security-Policy');
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, 'scripts stay pinned, never unsafe-inline');
  const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter((m) => !/\bsrc\s*=/.test(m[1]));
  assert.ok(inline.length >= 1, 'Trunk writes an inline loader script');
  for (const m of inline) {
    const hash = `'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`;
    assert.ok(csp.includes(hash), `inline script not pinned: ${m[2].slice(0, 60)}…`);
  }
});

test('the service worker precaches every file of the build', () => {
  const sw = readFileSync(join(DIST, 'sw.js'), 'utf8');
  const manifest = JSON.parse(sw.match(/^const MANIFEST = (.*);$/m)[1]);
  assert.notEqual(manifest.version, 'dev', 'the hook did not write the manifest');
  const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
  const files = walk(DIST).map((p) => relative(DIST, p).split(sep).join('/')).filter((f) => f !== 'sw.js');
  for (const f of files) assert.ok(manifest.files.includes(f), `${f} is not precached`);
  for (const name of ['index.html', 'ser_cnn.nnef.tar', 'ser_cnn.json']) assert.ok(manifest.files.includes(name), name);
  assert.ok(manifest.files.some((f) => f.endsWith('.wasm')), 'the wasm is precached');
});
