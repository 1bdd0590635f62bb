// Shared set-up for the e2e tests: the static server, headless Debian chromium through
// playwright-core, fixtures made at run time, and the native `ser predict` for reference.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { serve } from '../../scripts/serve_static.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = join(ROOT, 'tests/artifacts');
export const DIST = process.env.SER_DIST || join(ROOT, 'dist');
export const SER_BIN = process.env.SER_BIN || join(ROOT, 'target/release/ser');
export const FIXTURE = join(ROOT, 'tests/fixtures/librosa/ravdess_01_angry.flac');
mkdirSync(ARTIFACTS, { recursive: true });

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-first-run', '--disable-default-apps', '--disable-extensions', '--mute-audio',
];

export async function startServer() {
  if (!existsSync(join(DIST, 'index.html'))) throw new Error(`${DIST}/index.html missing: run scripts/build_web.sh`);
  return serve(DIST, 0);
}

/** Chromium with a fake microphone that plays `micWav` (looped). */
export async function launch(micWav) {
  const args = [...CHROMIUM_ARGS];
  if (micWav) {
    args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${micWav}`);
  }
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args });
}

/** Records every request a browser context makes (pages and service workers). */
export function watchNetwork(context, log) {
  context.on('request', (r) => log.push({ url: r.url(), method: r.method(), type: r.resourceType() }));
}

/** Asserts that every request in `log` (see watchNetwork) went to the page's own origin (or a
 * blob:/data: URL) and only read (GET or HEAD). */
export function assertOwnReadsOnly(log, url) {
  const origin = new URL(url).origin;
  for (const r of log) {
    const u = new URL(r.url);
    assert.ok(u.origin === origin || ['blob:', 'data:'].includes(u.protocol), `request to another origin: ${r.url}`);
    assert.ok(['GET', 'HEAD'].includes(r.method), `${r.method} ${r.url}`);
  }
}

/** Records every main-thread long task of the context's pages, from their first script on
 * (`longTasks` reads them). */
export async function recordLongTasks(context) {
  await context.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** The long tasks (see recordLongTasks) that overlap [from, to], page time in ms. */
export function longTasks(page, from, to) {
  return page.evaluate(([a, b]) => window.__longTasks.filter((t) => t.start + t.duration > a && t.start < b), [from, to]);
}

/** The page's own work in each long task. A long task's wall time counts whatever else the
 * machine ran meanwhile: on the shared 2-core CI machine tasks of 5-16 ms of the page's work
 * have taken 50-85 ms while other jobs held the cores. Chromium's trace of the page's main
 * thread gives the thread's own time as well, so a budget can be judged on the page's work.
 * Call before the tasks to judge; the function it returns ends the trace and gives `judge`,
 * which returns the long tasks over [from, to] (as `longTasks` does) with `cpu`, the main
 * thread's own time over each (its whole duration where the trace has nothing there). */
export async function traceTasks(page) {
  const browser = page.context().browser();
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing'] });
  return async function stop() {
    // A mark dates the trace's clock against the page's, and names the page's main thread.
    await page.evaluate(() => performance.mark('test:clock'));
    const events = JSON.parse(String(await browser.stopTracing())).traceEvents;
    const clock = events.find((e) => e.name === 'test:clock');
    const offset = clock.ts / 1000 - clock.args.data.startTime;
    // The thread's outermost events: a task, and the microtasks run after it (a long task
    // counts both), each with its thread time.
    const outer = [];
    for (const e of events.filter((x) => x.pid === clock.pid && x.tid === clock.tid && x.ph === 'X' && x.cat === 'toplevel')
      .sort((a, b) => a.ts - b.ts)) {
      const [start, end] = [e.ts / 1000 - offset, (e.ts + e.dur) / 1000 - offset];
      if (outer.length && start < outer.at(-1).end) continue; // inside the one before
      outer.push({ start, end, cpu: (e.tdur ?? e.dur) / 1000 });
    }
    return async function judge(from, to) {
      return (await longTasks(page, from, to)).map((t) => {
        let [cpu, covered] = [0, 0];
        for (const o of outer) {
          const overlap = Math.min(o.end, t.start + t.duration) - Math.max(o.start, t.start);
          if (overlap <= 0) continue;
          covered += overlap;
          cpu += o.end > o.start ? o.cpu * Math.min(1, overlap / (o.end - o.start)) : 0;
        }
        return { ...t, cpu: covered >= t.duration / 2 ? cpu : t.duration };
      });
    };
  };
}

/** The long tasks (see `traceTasks`) in which the page itself worked over the 50 ms budget. */
export const overBudget = (tasks) => tasks.filter((t) => t.cpu > 50);

/** "85 ms (page 12 ms), 55 ms (page 9 ms)" or "none". */
export const fmtTasks = (tasks) => tasks.map((t) => `${t.duration.toFixed(0)} ms`
  + (t.cpu === undefined ? '' : ` (page ${t.cpu.toFixed(0)} ms)`)).join(', ') || 'none';

/** A headless Chromium on the built page at 1280×800, downloads allowed, model loaded:
 * `{ srv, browser, page, problems }`; `closeSession` ends it. */
export async function openSession() {
  const srv = await startServer();
  const browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = await openApp(page, srv.url);
  return { srv, browser, page, problems };
}

export async function closeSession(session) {
  await session?.browser?.close();
  session?.srv?.server.close();
}

/** Loads the page and waits for the model. */
export async function openApp(page, url) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  await page.goto(url);
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  // Playwright evaluates its own helper script in the page's world the first time a test waits
  // on a function there: a 20-30 ms task that is the harness's, not the page's. Now, before any
  // test counts the page's long tasks.
  await page.waitForFunction(() => true);
  return problems;
}

/** The native CLI's answer for a file: the reference the page must match. */
export function serPredict(file, ...extra) {
  const out = execFileSync(SER_BIN, ['predict', ...extra, file], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** The CLI's error sentence for a file it rejects (stderr is "path: sentence"). */
export function serPredictError(file) {
  try {
    execFileSync(SER_BIN, ['predict', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const line = String(e.stderr).trim().split('\n').pop();
    return line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line;
  }
  throw new Error(`ser predict accepted ${file}`);
}

/** Writes a mono WAV of `data` bytes: format 1 (PCM) or 3 (IEEE float), `bytes` per sample. */
function writeMonoWav(path, data, rate, format, bytes) {
  const head = Buffer.alloc(44);
  head.write('RIFF', 0); head.writeUInt32LE(36 + data.length, 4); head.write('WAVEfmt ', 8);
  head.writeUInt32LE(16, 16); head.writeUInt16LE(format, 20); head.writeUInt16LE(1, 22);
  head.writeUInt32LE(rate, 24); head.writeUInt32LE(rate * bytes, 28); head.writeUInt16LE(bytes, 32);
  head.writeUInt16LE(8 * bytes, 34); head.write('data', 36); head.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([head, data]));
  return path;
}

/** Writes a mono 16-bit PCM WAV. */
export function writeWav(path, samples, rate) {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), i * 2));
  return writeMonoWav(path, data, rate, 1, 2);
}

/**
 * A ~10 s speech WAV (two RAVDESS fixture clips, three takes joined with 0.25 s pauses) for the
 * fake microphone and the timeline. Committed, so the tests need no Python.
 */
/** A fake microphone's recording: `clips` ([FLAC path, seconds of silence after it]) decoded
 * by the browser's own decoder (16 kHz, no resampling) and joined into a 16 kHz WAV at `out`.
 * Returns its length in seconds. */
export async function buildMicWav(clips, out) {
  const b = await launch();
  const p = await b.newPage();
  const parts = [];
  for (const [file, pause] of clips) {
    const samples = await p.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const ctx = new OfflineAudioContext(1, 1, 16000);
      const buffer = await ctx.decodeAudioData(bytes.buffer);
      return Array.from(buffer.getChannelData(0));
    }, readFileSync(file).toString('base64'));
    parts.push(...samples, ...new Array(Math.round(pause * 16000)).fill(0));
  }
  await b.close();
  writeWav(out, parts, 16000);
  return parts.length / 16000;
}

export function makeSpeechWav() {
  return join(ROOT, 'tests/fixtures/e2e/speech_long.wav');
}

/** The probabilities the page shows, by label. */
export async function shownProbabilities(page, labels) {
  const shown = {};
  for (const label of labels) {
    shown[label] = Number(await page.locator(`[data-testid="prob-${label}"]`).innerText());
  }
  return shown;
}

/** How close the page's numbers must be to the CLI's. */
export const TOL = 1e-3;

/** Clicks "Export JSON" and returns the downloaded report. */
export async function exportReport(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-json"]')]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

function assertClose(a, b, what) {
  assert.ok(Math.abs(a - b) <= TOL, `${what}: ${a} vs ${b}`);
}

/** Exported report equals the CLI's JSON (but for the file name). */
export function assertSameReport(got, want) {
  assert.equal(got.emotion, want.emotion);
  assert.equal(got.unsure, want.unsure, 'unsure');
  assert.equal(got.verdict, want.verdict, 'verdict');
  assertClose(got.confidence, want.confidence, 'confidence');
  assertClose(got.duration_s, want.duration_s, 'duration_s');
  assert.equal(got.kept.length, want.kept.length, 'kept intervals');
  got.kept.forEach((k, i) => { assertClose(k[0], want.kept[i][0], 'kept start'); assertClose(k[1], want.kept[i][1], 'kept end'); });
  for (const [label, p] of Object.entries(want.probabilities)) assertClose(got.probabilities[label], p, label);
  assert.equal((got.timeline || []).length, (want.timeline || []).length, 'timeline windows');
  (want.timeline || []).forEach((w, i) => {
    const g = got.timeline[i];
    assertClose(g.start_s, w.start_s, `window ${i} start`);
    assertClose(g.end_s, w.end_s, `window ${i} end`);
    assert.equal(g.emotion, w.emotion, `window ${i} emotion`);
    for (const [label, p] of Object.entries(w.probabilities)) assertClose(g.probabilities[label], p, `window ${i} ${label}`);
  });
}

/** The samples of a mono 16-bit PCM WAV with a plain 44-byte header (like speech_long.wav). */
export function readWav16(path) {
  const bytes = readFileSync(path);
  assert.equal(bytes.toString('latin1', 36, 40), 'data', `${path}: expected a plain 44-byte WAV header`);
  const rate = bytes.readUInt32LE(24);
  const n = bytes.readUInt32LE(40) / 2;
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) samples[i] = bytes.readInt16LE(44 + 2 * i) / 32768;
  return { samples, rate };
}

/** Writes a mono 32-bit float WAV (format 3): NaN and infinity pass through unchanged. */
export function writeWavFloat(path, samples, rate) {
  const data = Buffer.alloc(samples.length * 4);
  samples.forEach((s, i) => data.writeFloatLE(s, i * 4));
  return writeMonoWav(path, data, rate, 3, 4);
}

/** The CLI's error sentence for `ser <command> file` (as serPredictError, any subcommand). */
export function serError(command, file) {
  try {
    execFileSync(SER_BIN, [command, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
  } catch (e) {
    const line = String(e.stderr).trim().split('\n').pop();
    return line.startsWith(`${file}: `) ? line.slice(file.length + 2) : line;
  }
  throw new Error(`ser ${command} accepted ${file}`);
}
