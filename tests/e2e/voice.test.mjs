// "Calibrate to my voice" in the built page (dist/), headless Chromium: a baseline from uploaded
// recordings equals `ser baseline` and its results equal `ser predict --baseline`; bad
// recordings give the CLI's sentence and set nothing; the baseline survives a reload (only its
// summary is kept, in localStorage) until "Forget my voice"; a saved baseline the model refuses
// is removed and said once; the microphone path; nothing leaves the page.
//   node --test --test-concurrency=1 tests/e2e/voice.test.mjs
// Needs dist/ (scripts/build_web.sh) and target/release/ser. Generated files go to tests/artifacts/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, DIST, ROOT, SER_BIN, TOL, assertSameReport, buildMicWav, exportReport, launch, openApp, serPredict,
  shownProbabilities, startServer, watchNetwork,
} from './helpers.mjs';

const T = { timeout: 120_000 };
const KEY = 'ser.voice-baseline';
const NEUTRAL = [1, 2].map((n) => join(ROOT, `tests/fixtures/baseline/ravdess_01_neutral_${n}.flac`));
const SAD = join(ROOT, 'tests/fixtures/librosa/ravdess_02_sad.flac');
const NOISE = join(ROOT, 'tests/fixtures/librosa/white_noise.flac');
const LINE = /^Compared with your voice \(baseline recorded \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec), \d\d:\d\d\) · Forget my voice$/;
const REMOVED = 'Your saved voice baseline no longer works with this version of the page, so it was removed: '
  + 'calibrate to your voice again to compare with it.';

let srv; let browser; let context; let page; let problems;
const network = [];
const ME = join(ARTIFACTS, 'voice-me.json');

before(async () => {
  srv = await startServer();
  // The fake microphone: one actor reading in their everyday voice (the two neutral clips,
  // short pauses between), so every sentence read through it has that voice's level, wherever
  // in the file the recording starts.
  const mic = join(ARTIFACTS, 'voice-mic.wav');
  await buildMicWav(NEUTRAL.flatMap((clip) => [[clip, 0.6]]), mic);
  browser = await launch(mic);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  watchNetwork(context, network);
  page = await context.newPage();
  problems = await openApp(page, srv.url);
  execFileSync(SER_BIN, ['baseline', ...NEUTRAL, '--out', ME]);
});

after(async () => {
  await browser?.close();
  srv?.server.close();
});

/** The CLI's sentence for recordings `ser baseline` refuses. */
function serBaselineError(files) {
  try {
    execFileSync(SER_BIN, ['baseline', ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return String(e.stderr).trim().split('\n').pop();
  }
  throw new Error(`ser baseline accepted ${files.join(' ')}`);
}

const line = (p = page) => p.locator('[data-testid="voice-baseline"]');
const stored = (p = page) => p.evaluate((key) => localStorage.getItem(key), KEY);

/** The result on show has the CLI's emotion and probabilities. */
async function assertShown(p, expected) {
  const prediction = p.locator('[data-testid="prediction"]');
  await prediction.waitFor({ timeout: 60_000 });
  assert.equal((await prediction.textContent()).trim(), expected.unsure ? 'Not sure' : expected.emotion);
  const shown = await shownProbabilities(p, Object.keys(expected.probabilities));
  for (const [label, want] of Object.entries(expected.probabilities)) {
    assert.ok(Math.abs(shown[label] - want) <= TOL, `${label}: page ${shown[label]} vs ser predict ${want}`);
  }
}

/** Analyses `file` and checks the page against the CLI's `expected` report. */
async function analyseLikeCli(p, file, expected) {
  // The result on show may be of the same file: wait for a new one.
  await p.evaluate(() => document.querySelector('[data-testid="result"]')?.setAttribute('data-old', ''));
  await p.setInputFiles('[data-testid="file-input"]', file);
  await p.locator('[data-testid="result"]:not([data-old]) [data-testid="prediction"]').waitFor({ timeout: 60_000 });
  await assertShown(p, expected);
  const exported = await exportReport(p);
  assertSameReport(exported, expected);
  assert.equal(exported.voice_baseline, expected.voice_baseline, 'voice_baseline in the export');
  const note = await p.locator('[data-testid="relative-to-voice"]').count();
  assert.equal(note, expected.voice_baseline ? 1 : 0, 'the result says whether it is relative to the voice');
}

test('a baseline from two uploaded recordings equals ser baseline, and results equal ser predict --baseline', T, async () => {
  const expected = serPredict(SAD, '--baseline', ME);
  assert.equal(expected.voice_baseline, true);
  const cold = serPredict(SAD);
  assert.notDeepEqual(expected.probabilities, cold.probabilities, 'the baseline should change the answer');

  assert.equal(await line().count(), 0);
  await page.locator('[data-testid="voice-panel"]').screenshot({ path: join(ARTIFACTS, 'voice-panel-1280.png') });
  await page.setInputFiles('[data-testid="voice-file-input"]', NEUTRAL);
  await line().waitFor({ timeout: 60_000 });
  assert.match((await line().innerText()).replace(/\s+/g, ' ').trim(), LINE);
  assert.equal(await page.locator('[data-testid="voice-error"]').count(), 0);

  // Kept in this browser: the summary and when it was made, equal to the CLI's summary.
  const kept = JSON.parse(await stored());
  assert.deepEqual(Object.keys(kept).sort(), ['made_ms', 'summary']);
  assert.ok(Math.abs(kept.made_ms - Date.now()) < 120_000, 'made just now');
  const cli = JSON.parse(readFileSync(ME, 'utf8'));
  assert.deepEqual(Object.keys(kept.summary).sort(), Object.keys(cli).sort());
  for (const [k, v] of Object.entries(cli)) {
    if (Array.isArray(v)) v.forEach((x, i) => assert.ok(Math.abs(kept.summary[k][i] - x) <= TOL, `${k}[${i}]`));
    else if (typeof v === 'number') assert.ok(Math.abs(kept.summary[k] - v) <= TOL, k);
    else assert.deepEqual(kept.summary[k], v, k);
  }

  await analyseLikeCli(page, SAD, expected);
  await page.screenshot({ path: join(ARTIFACTS, 'voice-result-1280.png'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 800 });
  await page.waitForTimeout(500); // resize redraw is debounced
  // A phone: the line at the top, the panel, and the result as one sees them, a screen each.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(ARTIFACTS, 'voice-top-360.png') });
  await page.locator('[data-testid="voice-panel"]').screenshot({ path: join(ARTIFACTS, 'voice-panel-set-360.png') });
  await page.locator('.summary').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'voice-result-360.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(ARTIFACTS, 'voice-result-360-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('the baseline survives a reload; "Forget my voice" removes it and results are for voices in general again', T, async () => {
  const text = await line().innerText();
  await page.reload();
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  await line().waitFor({ timeout: 30_000 });
  assert.equal(await line().innerText(), text, 'the same baseline, made at the same time');
  await analyseLikeCli(page, SAD, serPredict(SAD, '--baseline', ME));

  await page.click('[data-testid="forget-voice"]');
  await line().waitFor({ state: 'detached' });
  assert.equal(await stored(), null, 'the stored summary is gone');
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), []);
  const cold = serPredict(SAD);
  assert.equal(cold.voice_baseline, false);
  // The result on show is judged again, for voices in general.
  await page.locator('[data-testid="relative-to-voice"]').waitFor({ state: 'detached', timeout: 60_000 });
  await assertShown(page, cold);
  await analyseLikeCli(page, SAD, cold);
  await page.reload();
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  assert.equal(await line().count(), 0, 'still forgotten after a reload');
});

test('bad recordings give the CLI sentence and set nothing', T, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  watchNetwork(ctx, network);
  const p = await ctx.newPage();
  await openApp(p, srv.url);
  const error = p.locator('[data-testid="voice-error"]');
  const short = serBaselineError([NEUTRAL[0]]);
  assert.match(short, /^The baseline needs at least 2 s of speech; these recordings have 1\.4 s\./);
  for (const [files, sentence] of [[[NEUTRAL[0]], short], [[NEUTRAL[0], NOISE], serBaselineError([NEUTRAL[0], NOISE])]]) {
    await p.setInputFiles('[data-testid="voice-file-input"]', files);
    await error.waitFor({ timeout: 60_000 });
    assert.equal((await error.textContent()).trim(), sentence);
    assert.equal(await line(p).count(), 0, 'no baseline is set');
    assert.equal(await stored(p), null, 'nothing is stored');
    if (files.length === 1) {
      await p.locator('[data-testid="voice-panel"]').screenshot({ path: join(ARTIFACTS, 'voice-error-1280.png') });
    }
  }
  // Among several files, the sentence names the one that is not audio.
  const text = join(ARTIFACTS, 'not-audio.txt');
  writeFileSync(text, 'This is a shopping list, not a recording.\n');
  await p.setInputFiles('[data-testid="voice-file-input"]', [NEUTRAL[0], text]);
  await p.waitForFunction(() => document.querySelector('[data-testid="voice-error"]')?.textContent.startsWith('not-audio.txt: '));
  assert.match(await error.textContent(), /^not-audio\.txt: This is not an audio file[^.]*\.$/);
  assert.equal(await stored(p), null, 'nothing is stored');
  // The page still analyses, for voices in general.
  await analyseLikeCli(p, SAD, serPredict(SAD));
  // A good baseline then works (the result on show is judged again), and a bad one after it
  // leaves it in use.
  await p.setInputFiles('[data-testid="voice-file-input"]', NEUTRAL);
  await line(p).waitFor({ timeout: 60_000 });
  await p.locator('[data-testid="relative-to-voice"]').waitFor({ timeout: 60_000 });
  await assertShown(p, serPredict(SAD, '--baseline', ME));
  assert.equal(await error.count(), 0);
  const kept = await stored(p);
  await p.setInputFiles('[data-testid="voice-file-input"]', NOISE);
  await error.waitFor({ timeout: 60_000 });
  assert.equal((await error.textContent()).trim(), serBaselineError([...NEUTRAL, NOISE]));
  assert.equal(await stored(p), kept, 'the baseline in use is unchanged');
  await analyseLikeCli(p, SAD, serPredict(SAD, '--baseline', ME));
  await ctx.close();
});

test('a saved baseline the model refuses is removed, and the page says so once', T, async () => {
  const cli = JSON.parse(readFileSync(ME, 'utf8'));
  const spoilt = [
    { made_ms: Date.now(), summary: { ...cli, format: 'ser-baseline/1' } },
    { made_ms: Date.now(), summary: { ...cli, model_version: '0.9.0' } },
    'not json',
  ];
  const ctx = await browser.newContext({ viewport: { width: 360, height: 800 } });
  watchNetwork(ctx, network);
  const p = await ctx.newPage();
  await openApp(p, srv.url);
  const notice = p.locator('[data-testid="voice-notice"]');
  for (const value of spoilt) {
    await p.evaluate(([key, v]) => localStorage.setItem(key, v), [KEY, typeof value === 'string' ? value : JSON.stringify(value)]);
    await p.reload();
    await notice.waitFor({ timeout: 60_000 });
    assert.equal((await notice.textContent()).trim(), REMOVED);
    assert.equal(await stored(p), null);
    assert.equal(await line(p).count(), 0);
  }
  await p.locator('[data-testid="voice-panel"]').screenshot({ path: join(ARTIFACTS, 'voice-removed-360.png') });
  await p.reload();
  await p.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  await p.waitForTimeout(500);
  assert.equal(await notice.count(), 0, 'said once');
  await ctx.close();
});

/** Reads the sentence on show through the fake microphone; the stop button waits for 4 s. */
async function readSentence(screenshot) {
  const stop = page.locator('[data-testid="voice-stop"]');
  await page.click('[data-testid="voice-record"]');
  await stop.waitFor({ timeout: 20_000 });
  const sentence = await page.locator('[data-testid="voice-sentence"]').textContent();
  await page.waitForTimeout(1_000);
  assert.ok(await stop.isDisabled(), 'too early to stop: the sentence takes a few seconds');
  assert.equal(await page.getByRole('button', { name: /Record from the microphone/ }).isDisabled(), true);
  if (screenshot) await page.locator('[data-testid="voice-panel"]').screenshot({ path: join(ARTIFACTS, screenshot) });
  await page.waitForFunction(() => !document.querySelector('[data-testid="voice-stop"]')?.disabled, null, { timeout: 10_000 });
  await page.waitForTimeout(1_000);
  await stop.click();
  // The recording ends and its check begins in one step; then wait for the check.
  await stop.waitFor({ state: 'detached', timeout: 20_000 });
  await page.locator('[data-testid="voice-making"]').waitFor({ state: 'detached', timeout: 60_000 });
  const error = page.locator('[data-testid="voice-error"]');
  assert.equal(await error.count(), 0, `the recording was refused: ${await error.allTextContents()}`);
  return sentence;
}

test('reading sentences through the (fake) microphone makes a baseline of them all', T, async () => {
  const intro = page.locator('[data-testid="voice-intro"]');
  const first = await readSentence('voice-recording-1280.png');
  await line().waitFor();
  assert.match(await intro.textContent(), /\(1 recording, [\d.]+ s of speech\)\. Reading one more sentence makes the baseline steadier\./);
  assert.equal(await page.locator('[data-testid="voice-sentence"]').count(), 0, 'the panel steps back');
  assert.match(await page.locator('[data-testid="voice-record"]').textContent(), /Read a second sentence/);
  const kept = await stored();
  assert.ok(kept, 'kept');
  const second = await readSentence();
  assert.notEqual(second, first, 'a second sentence to read');
  assert.match(await intro.textContent(), /\(2 recordings, [\d.]+ s of speech\)/);
  assert.notEqual(await stored(), kept, 'the baseline now summarises both');
  assert.equal(JSON.parse(await stored()).summary.clips, 2);
  // Made from recordings, not analysed as one: no result appeared.
  assert.equal(await page.locator('[data-testid="result"]').count(), 0);
  await page.click('[data-testid="forget-voice"]');
  assert.equal(await stored(), null);
});

test('with a baseline in use, no request carries audio, features, the baseline or a result', T, async () => {
  assert.ok(network.length > 5, 'the network log should have the page\'s own requests');
  const origin = new URL(srv.url).origin;
  for (const r of network) {
    const u = new URL(r.url);
    if (['blob:', 'data:'].includes(u.protocol)) continue;
    assert.equal(u.origin, origin, `request to another origin: ${r.url}`);
    assert.ok(['GET', 'HEAD'].includes(r.method), `${r.method} ${r.url}`);
    assert.ok(!['ping', 'beacon', 'websocket', 'eventsource'].includes(r.type), `${r.type} ${r.url}`);
    // Only the page's own files, by plain path: nothing rides in a query or a made-up path.
    assert.equal(u.search, '', `a query string: ${r.url}`);
    const file = decodeURIComponent(u.pathname) === '/' ? 'index.html' : decodeURIComponent(u.pathname).slice(1);
    assert.ok(existsSync(join(DIST, file)), `not one of the page's files: ${r.url}`);
  }
  for (const r of srv.log) assert.ok(['GET', 'HEAD'].includes(r.method), `server saw ${r.method} ${r.url}`);
  assert.deepEqual(problems.filter((p) => p.startsWith('pageerror')), [], 'uncaught errors in the page');
});
