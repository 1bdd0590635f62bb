// Hard inputs for the built page (dist/) in headless Chromium: a 10-minute recording (progress,
// responsiveness, same report as `ser predict`), cancelling it, a file over the length limit,
// broken and degenerate files, no microphone, no model.
//   node --test --test-concurrency=1 tests/e2e/hard_inputs.test.mjs
// Needs dist/ (scripts/build_web.sh) and target/release/ser. Generated files go to tests/artifacts/.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, FIXTURE, assertSameReport, exportReport, launch, longTasks, makeSpeechWav, openApp, readWav16,
  recordLongTasks, serError, serPredict, serPredictError, startServer, writeWav, writeWavFloat,
} from './helpers.mjs';

const T = { timeout: 180_000 };
let srv; let browser; let context; let page;

before(async () => {
  srv = await startServer();
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await recordLongTasks(context);
  page = await context.newPage();
  await openApp(page, srv.url);
});

after(async () => {
  await browser?.close();
  srv?.server.close();
});

const prediction = (p = page) => p.locator('[data-testid="prediction"]');
const error = (p = page) => p.locator('[data-testid="error"]');
const progress = (p = page) => p.locator('[data-testid="progress"]');

/** A small deterministic PRNG, so the generated files are the same on every run. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `seconds` of 16 kHz speech: the committed speech clip looped, each take at a slightly
 * different level, 0.5–2.5 s pauses between takes, and faint noise throughout.
 */
function longSpeechWav(path, seconds) {
  const { samples: speech, rate } = readWav16(makeSpeechWav());
  assert.equal(rate, 16000);
  const rnd = random(7);
  const out = new Float32Array(Math.round(seconds * rate));
  let at = Math.round(0.4 * rate);
  while (at < out.length) {
    const gain = 0.7 + 0.5 * rnd();
    for (let i = 0; i < speech.length && at + i < out.length; i++) out[at + i] = gain * speech[i];
    at += speech.length + Math.round((0.5 + 2 * rnd()) * rate);
  }
  for (let i = 0; i < out.length; i++) out[i] += 0.002 * (rnd() - 0.5);
  return writeWav(path, out, rate);
}

let tenMinutes;
const longFile = () => (tenMinutes ??= longSpeechWav(join(ARTIFACTS, 'ten-minutes.wav'), 600));

/** The page's clock round trip, in ms: how long the page takes to answer. */
async function roundTrip(p) {
  const t0 = performance.now();
  await p.evaluate(() => 0);
  return performance.now() - t0;
}

test('a 10-minute recording: the progress bar moves, the page answers, the report equals ser predict', T, async () => {
  const file = longFile();
  const cliStart = performance.now();
  const expected = serPredict(file);
  const cliMs = performance.now() - cliStart;
  assert.ok(expected.timeline.length > 300, `${expected.timeline.length} timeline windows`);

  const pageStart = await page.evaluate(() => performance.now());
  const start = performance.now();
  await page.setInputFiles('[data-testid="file-input"]', file);
  const bar = page.locator('[data-testid="progress"] progress');
  await bar.waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="cancel"]').waitFor();
  const values = [];
  let worst = 0;
  let screenshot = false;
  while (await prediction().count() === 0) {
    worst = Math.max(worst, await roundTrip(page));
    const value = await bar.getAttribute('value', { timeout: 100 }).catch(() => null);
    if (value !== null) values.push(Number(value));
    if (!screenshot && Number(value) > 0.5) {
      screenshot = true;
      await bar.scrollIntoViewIfNeeded();  // below the fold at 800 px
      await page.screenshot({ path: join(ARTIFACTS, 'progress-cancel-1280.png') });
    }
    assert.equal(await error().count(), 0, 'no error while analysing');
    assert.ok(performance.now() - start < 150_000, 'the analysis takes too long');
    await page.waitForTimeout(150);
  }
  const pageMs = performance.now() - start;
  const taskMs = (await longTasks(page, pageStart, Infinity)).map((t) => t.duration);
  const longest = Math.max(0, ...taskMs);
  console.log(`10-minute WAV: page ${(pageMs / 1000).toFixed(1)} s to the result, ser predict ${(cliMs / 1000).toFixed(1)} s; `
    + `worst evaluate round trip ${worst.toFixed(0)} ms; long tasks: ${taskMs.length}, longest ${longest.toFixed(0)} ms; `
    + `${values.length} progress samples`);
  writeFileSync(join(ARTIFACTS, 'ten-minutes-timing.json'), JSON.stringify({ pageMs, cliMs, worst, longTasks: taskMs, values }, null, 1));

  const distinct = values.filter((v, i) => i === 0 || v > values[i - 1]);
  assert.ok(distinct.length >= 4, `the progress bar should move: ${values.join(' ')}`);
  assert.ok(values.every((v, i) => i === 0 || v >= values[i - 1]), `progress never goes back: ${values.join(' ')}`);
  assert.ok(worst < 2000, `the page stopped answering for ${worst.toFixed(0)} ms`);

  assert.equal((await prediction().textContent()).trim(), expected.unsure ? 'Not sure' : expected.emotion);
  assert.equal(await page.locator('[data-testid="timeline"] .band').count(), expected.timeline.length);
  assertSameReport(await exportReport(page), expected);
});

test('Cancel stops a long analysis, says so, brings back the previous result; a new file then works', T, async () => {
  const expected = serPredict(FIXTURE);
  await page.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await prediction().waitFor({ timeout: 60_000 });
  assert.equal((await prediction().textContent()).trim(), expected.emotion);

  await page.setInputFiles('[data-testid="file-input"]', longFile());
  const cancel = page.getByRole('button', { name: /^Cancel the analysis of ten-minutes\.wav$/ });
  await cancel.waitFor({ timeout: 10_000 });
  assert.equal(await cancel.getAttribute('data-testid'), 'cancel');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="progress"] progress')?.value) > 0.15);
  // By keyboard: focus the button and press Enter.
  await cancel.focus();
  const t0 = performance.now();
  await page.keyboard.press('Enter');
  await progress().waitFor({ state: 'detached', timeout: 2_000 });
  const cancelMs = performance.now() - t0;
  const notice = page.locator('[data-testid="notice"]');
  assert.equal((await notice.textContent()).trim(), 'Analysis cancelled.');
  assert.equal(await notice.getAttribute('role'), 'status');
  assert.equal(await error().count(), 0, 'no error banner after cancelling');
  // The result on show before is back, and stays: the cancelled job delivers nothing later.
  assert.equal((await prediction().textContent()).trim(), expected.emotion);
  assert.match(await page.locator('.result').textContent(), /ravdess_01_angry\.flac/);
  await page.waitForTimeout(3_000);
  assert.match(await page.locator('.result').textContent(), /ravdess_01_angry\.flac/);
  assert.equal(await progress().count(), 0);
  console.log(`cancel: progress gone ${cancelMs.toFixed(0)} ms after Enter`);

  const speech = makeSpeechWav();
  const want = serPredict(speech);
  await page.setInputFiles('[data-testid="file-input"]', speech);
  await page.waitForFunction(() => document.querySelector('.result')?.textContent.includes('speech_long.wav'), null, { timeout: 60_000 });
  assert.equal((await notice.textContent()).trim(), '', 'the notice goes with the next analysis');
  assertSameReport(await exportReport(page), want);
});

test('a recording over the length limit says so at once; the hint says the limit', T, async () => {
  assert.match(await page.locator('[data-testid="file-hint"]').textContent(), /Recordings up to 20 minutes \(files up to 500 MB\) are analysed\./);
  // 21 minutes of 8 kHz mono: 20 MB, quick to upload.
  const rnd = random(3);
  const samples = new Float32Array(21 * 60 * 8000);
  for (let i = 0; i < samples.length; i++) samples[i] = 0.1 * (rnd() - 0.5);
  const file = writeWav(join(ARTIFACTS, 'twenty-one-minutes.wav'), samples, 8000);
  // `ser predict` streams such files from disk; `ser features` keeps the in-memory limit,
  // the page's, and says it in the core's sentence.
  const sentence = serError('features', file);
  assert.equal(sentence, 'The recording is too long: 1260 s, the limit is 1200 s.');
  const t0 = performance.now();
  await page.setInputFiles('[data-testid="file-input"]', file);
  await error().waitFor({ timeout: 20_000 });
  const ms = performance.now() - t0;
  assert.equal((await error().textContent()).trim(), sentence);
  assert.equal(await prediction().count(), 0, 'no stale result beside the error');
  console.log(`21-minute WAV refused ${ms.toFixed(0)} ms after choosing it`);
  await page.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await prediction().waitFor({ timeout: 60_000 });
  assert.equal((await prediction().textContent()).trim(), serPredict(FIXTURE).emotion);
  assert.equal(await error().count(), 0);
});

test('a file too large to hold in the page is refused before it is read', T, async () => {
  // 600 MB of zeros made in the page and handed to the file input as a real File.
  await page.evaluate(() => {
    const file = new File([new ArrayBuffer(600e6)], 'huge.wav', { type: 'audio/wav' });
    const input = document.querySelector('[data-testid="file-input"]');
    const dt = new DataTransfer();
    dt.items.add(file);
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await error().waitFor({ timeout: 20_000 });
  assert.equal((await error().textContent()).trim(),
    'The file is too large to open here: 600 MB, the limit is 500 MB; the ser command-line tool reads longer recordings.');
  await page.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await prediction().waitFor({ timeout: 60_000 });
  assert.equal(await error().count(), 0);
});

test('broken and degenerate files show the same sentence as ser predict; a good file still works', T, async () => {
  const { samples: speech } = readWav16(makeSpeechWav());
  const loudest = speech.reduce((best, v, i) => (Math.abs(v) > Math.abs(speech[best]) ? i : best), 0);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36, 4); header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24); header.writeUInt32LE(32000, 28); header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34); header.write('data', 36); header.writeUInt32LE(0, 40);
  const rnd = random(11);
  const nan = new Float32Array(16000).map((_, i) => (i % 997 === 500 ? NaN : 0.3 * Math.sin(i / 9)));
  const files = {
    'empty.wav': (p) => writeFileSync(p, Buffer.alloc(0)),
    'header-only.wav': (p) => writeFileSync(p, header),
    'random.bin': (p) => writeFileSync(p, Buffer.from(Array.from({ length: 4096 }, () => Math.floor(rnd() * 256)))),
    'text.mp3': (p) => writeFileSync(p, 'This is a text file, not an MP3.\n'.repeat(40)),
    'nan-float.wav': (p) => writeWavFloat(p, nan, 16000),
    'zeros.wav': (p) => writeWav(p, new Float32Array(32000), 16000),
    'dc-offset.wav': (p) => writeWav(p, new Float32Array(32000).fill(0.25), 16000),
    'speech-50ms.wav': (p) => writeWav(p, speech.slice(Math.max(0, loudest - 400), loudest + 400), 16000),
  };
  const seen = {};
  for (const [name, make] of Object.entries(files)) {
    const file = join(ARTIFACTS, name);
    make(file);
    const sentence = serPredictError(file);
    await page.setInputFiles('[data-testid="file-input"]', file);
    await error().waitFor({ timeout: 30_000 });
    assert.equal((await error().textContent()).trim(), sentence, name);
    assert.equal(await prediction().count(), 0, `${name}: no stale result beside an error`);
    assert.equal(await progress().count(), 0, `${name}: no progress bar left behind`);
    seen[name] = sentence;
    await page.getByRole('button', { name: 'Dismiss this message' }).click();
  }
  console.log(JSON.stringify(seen, null, 1));
  assert.equal(seen['empty.wav'], 'The file is empty.');
  assert.equal(seen['nan-float.wav'], 'The audio contains invalid samples (NaN or infinity).');
  assert.equal(seen['zeros.wav'], 'The recording is silent: no speech found.');
  assert.equal(seen['dc-offset.wav'], 'The recording is silent: no speech found.');
  assert.match(seen['speech-50ms.wav'], /^The recording is too short: 0\.05 s/);
  await page.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await prediction().waitFor({ timeout: 60_000 });
  assertSameReport(await exportReport(page), serPredict(FIXTURE));
});

/** A fresh page whose getUserMedia rejects with a DOMException of this name. */
async function pageWithoutMic(errorName) {
  const ctx = await browser.newContext();
  await ctx.addInitScript((name) => {
    if (!navigator.mediaDevices) return;
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused by the test', name));
  }, errorName);
  const p = await ctx.newPage();
  await openApp(p, srv.url);
  return { ctx, p };
}

for (const [errorName, sentence] of [
  ['NotAllowedError', 'Microphone access was denied. Allow the microphone for this page in the browser\'s site settings, or upload a file or try a sample clip instead.'],
  ['NotFoundError', 'No microphone was found. Connect one, or upload a file or try a sample clip instead.'],
]) {
  test(`microphone ${errorName}: a clear message, and a sample clip still analyses`, T, async () => {
    const { ctx, p } = await pageWithoutMic(errorName);
    try {
      await p.getByRole('button', { name: /Record from the microphone/ }).click();
      await error(p).waitFor({ timeout: 10_000 });
      assert.equal((await error(p).textContent()).trim(), sentence);
      await p.getByRole('button', { name: /Record from the microphone/ }).waitFor();
      await p.getByRole('button', { name: /sample clip: Happy/ }).click();
      await prediction(p).waitFor({ timeout: 60_000 });
      assert.equal(await error(p).count(), 0);
    } finally {
      await ctx.close();
    }
  });
}

test('a missing model (404) is a message naming the model, not a spinner', T, async () => {
  const ctx = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const p = await ctx.newPage();
    await p.route('**/ser_cnn.nnef.tar', (route) => route.fulfill({ status: 404, body: 'not found' }));
    const t0 = performance.now();
    await p.goto(srv.url);
    await p.locator('[data-testid="model-status"][data-state="failed"]').waitFor({ timeout: 15_000 });
    console.log(`missing model reported ${(performance.now() - t0).toFixed(0)} ms after loading the page`);
    assert.equal((await error(p).textContent()).trim(),
      'The emotion model could not be loaded: ser_cnn.nnef.tar could not be downloaded (HTTP 404).');
    await p.setInputFiles('[data-testid="file-input"]', FIXTURE);
    await error(p).waitFor();
    assert.match(await error(p).textContent(), /model/);
    assert.equal(await progress(p).count(), 0, 'no progress bar without a model');
  } finally {
    await ctx.close();
  }
});
