// End-to-end tests of the built page (dist/) in headless Chromium:
//   node --test --test-concurrency=1 tests/e2e/
// Needs dist/ (scripts/build_web.sh) and target/release/ser (cargo build --release).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, FIXTURE, ROOT, TOL, assertSameReport, exportReport, launch, makeSpeechWav, openApp, serPredict,
  serPredictError, shownProbabilities, startServer, watchNetwork, writeWav,
} from './helpers.mjs';

const T = { timeout: 120_000 };
let srv; let browser; let context; let page; let problems;
const network = [];
const speech = makeSpeechWav();

before(async () => {
  srv = await startServer();
  browser = await launch(speech);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  watchNetwork(context, network);
  page = await context.newPage();
  problems = await openApp(page, srv.url);
});

after(async () => {
  await browser?.close();
  srv?.server.close();
});

const prediction = () => page.locator('[data-testid="prediction"]');

/** The page's prediction equals the CLI's: same emotion, probabilities within TOL. */
async function assertMatchesCli(expected) {
  await prediction().waitFor({ timeout: 60_000 });
  assert.equal((await prediction().textContent()).trim(), expected.unsure ? 'Not sure' : expected.emotion);
  const labels = Object.keys(expected.probabilities);
  assert.equal(labels.length, 8);
  const shown = await shownProbabilities(page, labels);
  for (const label of labels) {
    assert.ok(Math.abs(shown[label] - expected.probabilities[label]) <= TOL,
      `${label}: page ${shown[label]} vs ser predict ${expected.probabilities[label]}`);
  }
}

const exportJson = () => exportReport(page);

test('uploading a clip gives the same emotion and probabilities as ser predict', T, async () => {
  const expected = serPredict(FIXTURE);
  await page.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await assertMatchesCli(expected);
  const exported = await exportJson();
  assert.equal(exported.file, 'ravdess_01_angry.flac');
  assertSameReport(exported, expected);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-csv"]')]);
  const text = readFileSync(await csv.path(), 'utf8');
  assert.match(text.split('\n')[0], /^file,scope,start_s,end_s,emotion,confidence,p_/);
  assert.match(text.split('\n')[1], new RegExp(`^"ravdess_01_angry.flac",clip,.*,${expected.emotion},`));
});

test('a long clip gets the same emotion timeline as ser predict', T, async () => {
  const expected = serPredict(speech);
  assert.ok(expected.timeline?.length >= 2, 'the long fixture should have a timeline');
  await page.setInputFiles('[data-testid="file-input"]', speech);
  await assertMatchesCli(expected);
  const bands = page.locator('[data-testid="timeline"] .band');
  assert.equal(await bands.count(), expected.timeline.length);
  await bands.nth(1).hover();
  await page.locator('.timeline-detail figcaption').waitFor();
  assert.match(await page.locator('.timeline-detail figcaption').textContent(), /^Window /);
  assertSameReport(await exportJson(), expected);
  await page.screenshot({ path: join(ARTIFACTS, 'timeline-1280.png'), fullPage: true });
});

test('recording through the (fake) microphone draws a result', T, async () => {
  await page.getByRole('button', { name: /Record from the microphone/ }).click();
  const stop = page.getByRole('button', { name: /Stop and analyse/ });
  await stop.waitFor({ timeout: 20_000 });
  // Sample the meter while recording: the clip has pauses, so one reading may be 0.
  let level = 0;
  for (let i = 0; i < 18; i++) {
    await page.waitForTimeout(250);
    level = Math.max(level, Number(await page.locator('meter').getAttribute('value')));
  }
  assert.ok(level > 0.3, `the level meter should move with speech (max ${level})`);
  assert.match(await page.locator('.elapsed').textContent(), /^0:0[3-9] \/ 1:00$/);
  await stop.click();
  // This recording's result, not the upload's still on show until the analysis starts.
  await page.locator('.result .eyebrow .file-name', { hasText: 'microphone recording' }).waitFor({ timeout: 60_000 });
  await prediction().waitFor({ timeout: 60_000 });
  const labels = ['neutral', 'calm', 'happy', 'sad', 'angry', 'fearful', 'disgust', 'surprised'];
  const shown = await shownProbabilities(page, labels);
  const sum = Object.values(shown).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 0.01, `probabilities sum to ${sum}`);
  // A clear answer names one emotion; below the calibrated threshold it says "Not sure" and
  // names the two likeliest.
  const said = (await prediction().textContent()).trim();
  if (said === 'Not sure') {
    const two = (await page.locator('[data-testid="confidence"]').textContent()).toLowerCase().match(/^(\w+) or (\w+)\?/);
    assert.ok(two && labels.includes(two[1]) && labels.includes(two[2]), `not sure between two emotions: ${two}`);
  } else {
    assert.ok(labels.includes(said), said);
  }
  // The plots' hint comes a task after the answer (the view is made in two steps): wait for it
  // by its text, not for the first hint on show.
  const hint = await page.locator('.result .hint', { hasText: / s recorded, / }).first().textContent();
  const seconds = Number(hint.match(/^([\d.]+) s recorded/)[1]);
  assert.ok(seconds > 3, `recorded ${seconds} s`);
});

test('a corrupt file and a silent file show their error; a good file still works', T, async () => {
  const corrupt = join(ARTIFACTS, 'corrupt.wav');
  writeFileSync(corrupt, Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), randomBytes(3000)]));
  const silent = writeWav(join(ARTIFACTS, 'silent.wav'), new Array(32000).fill(0), 16000);
  const error = page.locator('[data-testid="error"]');
  for (const file of [corrupt, silent]) {
    const sentence = serPredictError(file);
    await page.setInputFiles('[data-testid="file-input"]', file);
    await error.waitFor({ timeout: 30_000 });
    assert.equal((await error.textContent()).trim(), sentence);
    assert.equal(await prediction().count(), 0, 'no stale result beside an error');
  }
  assert.equal(serPredictError(silent), 'The recording is silent: no speech found.');
  await page.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await assertMatchesCli(serPredict(FIXTURE));
  assert.equal(await error.count(), 0);
});

test('screenshots of the result view at 1280 px and 360 px, light and dark', T, async () => {
  await page.getByRole('button', { name: /sample clip: Angry/ }).click();
  await prediction().waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(ARTIFACTS, 'result-1280.png'), fullPage: true });
  await page.setViewportSize({ width: 360, height: 800 });
  await page.waitForTimeout(500); // resize redraw is debounced
  await page.screenshot({ path: join(ARTIFACTS, 'result-360.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(ARTIFACTS, 'result-360-dark.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(ARTIFACTS, 'result-1280-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
});

test('clicking the waveplot seeks; playing moves the cursor', T, async () => {
  await page.getByRole('button', { name: /sample clip: Angry/ }).click();
  await prediction().waitFor();
  // The player's audio is made after the result is drawn (it is not on the way to the answer).
  await page.locator('audio.player').waitFor({ state: 'attached' });
  const cursor = page.locator('.wave-plot .cursor');
  assert.match(await cursor.getAttribute('class'), /idle/);
  const box = await page.locator('.wave-canvas').boundingBox();
  await page.locator('.wave-canvas').click({ position: { x: 58 + (box.width - 74) * 0.5, y: box.height / 2 } });
  await page.waitForFunction(() => !document.querySelector('.wave-plot .cursor').classList.contains('idle'));
  const seeked = await page.evaluate(() => document.querySelector('audio.player').currentTime);
  assert.ok(seeked > 1.5 && seeked < 2.9, `seeked to ${seeked} s of 4.4 s`);
  const before = await cursor.getAttribute('style');
  await page.evaluate(() => document.querySelector('audio.player').play());
  await page.waitForTimeout(700);
  await page.evaluate(() => document.querySelector('audio.player').pause());
  assert.notEqual(await cursor.getAttribute('style'), before, 'the cursor follows playback');
});

test('the page is keyboard operable: Tab to a sample, Enter analyses it', T, async () => {
  await page.reload();
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  let focused = '';
  for (let i = 0; i < 12 && !focused.includes('Sad'); i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent || '');
  }
  assert.match(focused, /sample clip: Sad/);
  await page.keyboard.press('Enter');
  await prediction().waitFor({ timeout: 60_000 });
  // Every button and the file input have an accessible name.
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('button, input, audio, canvas')]
    .filter((el) => !(el.getAttribute('aria-label') || el.textContent.trim() || el.labels?.length))
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unnamed, []);
});

test('a model that fails to load is a message, not a broken page', T, async () => {
  const ctx = await browser.newContext({ serviceWorkers: 'block' });
  watchNetwork(ctx, network);
  const p = await ctx.newPage();
  await p.route('**/ser_cnn.nnef.tar', (route) => route.fulfill({ status: 200, body: 'not a model' }));
  await p.goto(srv.url);
  await p.locator('[data-testid="model-status"][data-state="failed"]').waitFor({ timeout: 60_000 });
  const error = p.locator('[data-testid="error"]');
  assert.match(await error.textContent(), /^The model does not match|^The emotion model could not be loaded/);
  await p.getByRole('button', { name: 'Dismiss this message' }).click();
  await p.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await error.waitFor();
  assert.match(await error.textContent(), /model/);
  await ctx.close();
});

test('below the calibrated threshold the page says "not sure" and names the two likeliest, as ser predict does', T, async () => {
  // The shipped sidecar with a threshold no clip reaches: every result is "not sure".
  const dir = join(ARTIFACTS, 'unsure-model');
  mkdirSync(dir, { recursive: true });
  const sidecar = JSON.parse(readFileSync(join(ROOT, 'models/ser_cnn.json'), 'utf8'));
  sidecar.calibration = { temperature: sidecar.calibration?.temperature ?? 1.0, unsure_below: 0.999 };
  writeFileSync(join(dir, 'ser_cnn.json'), JSON.stringify(sidecar));
  copyFileSync(join(ROOT, 'models/ser_cnn.onnx'), join(dir, 'ser_cnn.onnx'));
  const expected = serPredict(FIXTURE, '--model', join(dir, 'ser_cnn.onnx'));
  assert.equal(expected.unsure, true);
  const second = Object.entries(expected.probabilities).sort((a, b) => b[1] - a[1])[1][0];
  assert.equal(expected.verdict, `not sure: ${expected.emotion} or ${second}`);

  const ctx = await browser.newContext({ serviceWorkers: 'block', acceptDownloads: true });
  watchNetwork(ctx, network);
  const p = await ctx.newPage();
  await p.route('**/ser_cnn.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(sidecar) }));
  await openApp(p, srv.url);
  await p.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await p.locator('[data-testid="unsure"]').waitFor({ timeout: 60_000 });
  assert.equal((await p.locator('[data-testid="prediction"]').textContent()).trim(), 'Not sure');
  const said = await p.locator('[data-testid="confidence"]').textContent();
  assert.match(said.toLowerCase(), new RegExp(`^${expected.emotion} or ${second}\\?`));
  assertSameReport(await exportReport(p), expected);
  await p.locator('[data-testid="unsure"]').scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(ARTIFACTS, 'unsure-1280.png') });
  await p.setViewportSize({ width: 360, height: 740 });
  await p.locator('[data-testid="unsure"]').scrollIntoViewIfNeeded();
  await p.screenshot({ path: join(ARTIFACTS, 'unsure-360.png') });
  await ctx.close();
});

test('after one visit the page works offline', T, async () => {
  const offline = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  watchNetwork(offline, network);
  const p = await offline.newPage();
  await openApp(p, srv.url);
  await p.evaluate(async () => { await navigator.serviceWorker.ready; });
  await offline.setOffline(true);
  await p.reload();
  await p.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  assert.ok(await p.evaluate(() => !!navigator.serviceWorker.controller), 'served by the service worker');
  // The compute worker's script came from the offline cache too: the worker runs.
  assert.equal(await p.getAttribute('html', 'data-compute'), 'worker', 'the compute worker runs offline');
  await p.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await p.locator('[data-testid="prediction"]').waitFor({ timeout: 60_000 });
  assert.equal((await p.locator('[data-testid="prediction"]').textContent()).trim(), serPredict(FIXTURE).emotion);
  await offline.close();
});

test('the offline copy is saved once the model has loaded, not while it loads', T, async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  watchNetwork(ctx, network);
  const p = await ctx.newPage();
  // The model's response held back: the page is up, the model still loading.
  let release;
  const held = new Promise((r) => { release = r; });
  await p.route('**/ser_cnn.nnef.tar', async (route) => { await held; await route.continue(); });
  await p.goto(srv.url);
  await p.locator('[data-testid="model-status"][data-state="loading"]').waitFor({ timeout: 30_000 });
  await p.waitForFunction(() => performance.getEntriesByName('ser:app-shown').length > 0);
  await p.waitForTimeout(500);
  const registered = () => p.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length);
  assert.equal(await registered(), 0, 'no service worker (and no second download of every file) while the model loads');
  release();
  await p.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 30_000 });
  await p.evaluate(async () => { await navigator.serviceWorker.ready; });
  assert.equal(await registered(), 1, 'the service worker once the model is ready');
  await ctx.close();
});

test('the whole session made no request to another origin and sent nothing', T, async () => {
  assert.ok(network.length > 5, 'the network log should have the page\'s own requests');
  const origin = new URL(srv.url).origin;
  for (const r of network) {
    const u = new URL(r.url);
    assert.ok(u.origin === origin || ['blob:', 'data:'].includes(u.protocol), `request to another origin: ${r.url}`);
    assert.ok(['GET', 'HEAD'].includes(r.method), `${r.method} ${r.url}`);
    assert.ok(!['ping', 'beacon', 'websocket', 'eventsource'].includes(r.type), `${r.type} ${r.url}`);
  }
  for (const r of srv.log) assert.ok(['GET', 'HEAD'].includes(r.method), `server saw ${r.method} ${r.url}`);
  writeFileSync(join(ARTIFACTS, 'network-log.json'), JSON.stringify({ browser: network, server: srv.log }, null, 1));
  assert.deepEqual(problems.filter((p) => p.startsWith('pageerror')), [], 'uncaught errors in the page');
});
