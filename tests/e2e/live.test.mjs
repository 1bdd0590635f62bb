// End-to-end tests of live mode (issue 14) in headless Chromium with a fake microphone that
// plays a ~21 s WAV built here from clips of four emotions with a long pause: the live readout
// updates at least every 0.5 s and changes, says "listening…" in the pause, the scrolling
// spectrogram draws, no main-thread task runs over 50 ms while recording, nothing recorded is
// dropped (also at the 60 s maximum), and the result equals uploading the same samples.
//   node --test tests/e2e/live.test.mjs   (needs dist/ and target/release/ser)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, ROOT, TOL, buildMicWav, exportReport, assertOwnReadsOnly, fmtTasks as fmt, launch, longTasks, openApp, overBudget,
  recordLongTasks, serPredict, startServer, traceTasks, watchNetwork,
} from './helpers.mjs';

const T = { timeout: 240_000 };
const LIB = join(ROOT, 'tests/fixtures/librosa');
/** The fake microphone's clips, in order (16 kHz FLAC), and the pause after each (s). */
const CLIPS = [
  [join(LIB, 'ravdess_01_angry.flac'), 0.3],
  [join(LIB, 'ravdess_02_sad.flac'), 0.3],
  [join(LIB, 'tess_yaf_happy.flac'), 0.3],
  [join(ROOT, 'tests/fixtures/baseline/ravdess_01_neutral_1.flac'), 4.0], // a pause: "listening…"
  [join(LIB, 'ravdess_01_angry.flac'), 0.3],
  [join(LIB, 'ravdess_02_sad.flac'), 0.3],
  [join(LIB, 'tess_yaf_happy.flac'), 0.5],
];
let srv; let browser; let context; let page; let problems;
const network = [];
const MIC_WAV = join(ARTIFACTS, 'live-mic.wav');


let micSeconds;
before(async () => {
  micSeconds = await buildMicWav(CLIPS, MIC_WAV);
  srv = await startServer();
  browser = await launch(MIC_WAV);
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  watchNetwork(context, network);
  // Before the page's own scripts: every long task, and every live update with its time.
  await recordLongTasks(context);
  await context.addInitScript(() => {
    // Every chunk of samples the recorder worklet posts to the page: when it arrived, and the
    // recording's frames through its end (`record` starts the count again).
    window.__chunks = [];
    const onmessage = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
    Object.defineProperty(MessagePort.prototype, 'onmessage', {
      configurable: true,
      get: onmessage.get,
      set(handler) {
        onmessage.set.call(this, handler && ((e) => {
          if (e.data instanceof Float32Array) {
            window.__chunks.push({ t: performance.now(), through: (window.__chunks.at(-1)?.through ?? 0) + e.data.length });
          }
          return handler(e);
        }));
      },
    });
    window.__updates = [];
    const seen = (el) => {
      if (el?.dataset?.testid !== 'live-emotion' || !el.dataset.updated) return;
      if (window.__updates.at(-1)?.seq === Number(el.dataset.seq)) return;
      window.__updates.push({ t: performance.now(), end: Number(el.dataset.updated), text: el.textContent, modelMs: Number(el.dataset.modelMs),
        seq: Number(el.dataset.seq), namedAt: Number(el.dataset.namedAt) });
    };
    // A reading changes the readout's attributes, or (from "listening…" to an emotion) makes
    // the readout anew, which only a watch on added nodes sees.
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === 'attributes') seen(r.target);
        for (const n of r.addedNodes) {
          if (n.nodeType === Node.ELEMENT_NODE) [n, ...n.querySelectorAll('[data-testid="live-emotion"]')].forEach(seen);
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-updated'] });
  });
  page = await context.newPage();
  problems = await openApp(page, srv.url);
});

after(async () => {
  await browser?.close();
  srv?.server.close();
});

const now = () => page.evaluate(() => performance.now());

/** Asserts a live budget (ms) on every reading but a machine stall's worth. The same build on
 * the same 2-core machine, minutes apart, ran the window's model in a median 22-28 ms with the
 * machine calm and 33-59 ms, single runs 200-235 ms, with it busy from outside: lag at most
 * 157-231 ms against 365-412 ms. So up to 2 % of readings may miss the budget, none by more
 * than as much again; a page whose readings run late as a rule still fails. */
function assertBudget(values, budget, what) {
  const over = values.filter((v) => !(v <= budget));
  const worst = Math.max(...values);
  assert.ok(over.length <= Math.floor(values.length * 0.02) && worst <= 2 * budget,
    `${what} within ${budget} ms: ${over.length} of ${values.length} over (${over.map((v) => v.toFixed(0)).join(', ')}), worst ${worst.toFixed(0)} ms`);
}

/** Waits for the result of the recording (the save button only a recording has). */
async function waitForRecordingResult() {
  await page.locator('[data-testid="save-recording"]').waitFor({ timeout: 120_000 });
  return page.evaluate(() => performance.now());
}

async function record(seconds) {
  await page.evaluate(() => { window.__chunks = []; });
  await page.getByRole('button', { name: /Record from the microphone/ }).click();
  await page.locator('[data-testid="live-view"]').waitFor({ timeout: 20_000 });
  const start = await now();
  await page.waitForTimeout(seconds * 1000);
  return start;
}

test('live mode: the last 3 s every quarter second, the spectrogram scrolls, no long task, then the full result', T, async () => {
  const loaded = await now();
  console.log(`# long tasks while the page loaded (to model ready): ${fmt(await longTasks(page, 0, loaded))}`);

  const stopTrace = await traceTasks(page);
  const start = await record(micSeconds + 0.5);
  // The spectrogram has drawn: some pixels are neither transparent nor black.
  const drawn = await page.evaluate(() => {
    const c = document.querySelector('[data-testid="live-spectrogram"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255 && d[i] + d[i + 1] + d[i + 2] > 120) lit++;
    return { lit, of: d.length / 4 };
  });
  assert.ok(drawn.lit > drawn.of / 20, `the live spectrogram has drawn: ${drawn.lit} of ${drawn.of} pixels lit`);
  const spans = Number(await page.locator('[data-testid="live-timeline"]').getAttribute('data-spans'));
  assert.ok(spans >= 3, `the live band grew: ${spans} stretches`);
  const band = await page.locator('[data-testid="live-timeline"]').boundingBox();
  const last = await page.locator('[data-testid="live-timeline"] .live-span').last().boundingBox();
  assert.ok(last.x + last.width > band.x + band.width * (micSeconds - 2) / 60, 'the band reaches the time recorded');
  const stopAt = await now();
  // When the first microphone chunk reached the page (the page's marks are cleared when the
  // analysis starts).
  const firstChunkAt = await page.evaluate(() => performance.getEntriesByName('ser:mic-first-chunk')[0].startTime);
  await page.getByRole('button', { name: /Stop and analyse/ }).click();
  const resultAt = await waitForRecordingResult();
  const judge = await stopTrace();

  // Updates: at least every 0.5 s, each a new window end, and the label changes. The figures first.
  const updates = await page.evaluate(([a, b]) => window.__updates.filter((u) => u.t >= a && u.t <= b), [start, stopAt]);
  const gaps = updates.slice(1).map((u, i) => u.t - updates[i].t);
  const maxGap = Math.max(...gaps);
  const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const labels = updates.map((u) => u.text);
  const changes = labels.filter((l, i) => i > 0 && l !== labels[i - 1]).length;
  const emotions = new Set(labels.filter((l) => !['listening…', 'not sure'].includes(l)));
  // The readout's lag, relative to the first update: wall time since it against recording time since it.
  const lag = updates.map((u) => (u.t - updates[0].t) - (u.end - updates[0].end));
  const modelMs = updates.map((u) => u.modelMs).filter((m) => m > 0).sort((a, b) => a - b);
  console.log(`# ${updates.length} live updates, every ${meanGap.toFixed(0)} ms on average, longest gap ${maxGap.toFixed(0)} ms `
    + `(gaps over 300 ms: ${gaps.filter((g) => g > 300).map((g) => g.toFixed(0)).join(', ') || 'none'}); `
    + `readout behind the audio by ${Math.min(...lag).toFixed(0)} to ${Math.max(...lag).toFixed(0)} ms more than at the first update; `
    + `model run on the window: median ${modelMs[modelMs.length >> 1].toFixed(1)} ms, max ${modelMs[modelMs.length - 1].toFixed(1)} ms`);
  console.log(`# labels: ${labels.filter((l, i) => i === 0 || l !== labels[i - 1]).join(' → ')}`);
  // Lag: from when the last sample a reading covers was captured to the reading on the page;
  // staleness: from then to the next reading (the readout's age just before it changes). A
  // sample is dated from the arrival of the worklet chunk that held it, less the frames after
  // it in that chunk (the worklet posts a chunk once it is full, so its buffering counts). Not
  // from the first chunk as if the browser delivered the microphone in real time: on a busy
  // machine its audio thread falls behind (the fake microphone's chunks reached the page up to
  // 0.3-0.8 s behind real time in 2 of 7 runs on the 2-core dev machine), which the page cannot
  // help; that delay is logged apart.
  const rateHz = Number(await page.locator('[data-testid="save-recording"]').getAttribute('data-rate'));
  const chunks = await page.evaluate(() => window.__chunks);
  const captured = (u) => {
    const frame = (u.end / 1000) * rateHz;
    const chunk = chunks.find((c) => c.through >= frame);
    return chunk ? chunk.t - ((chunk.through - frame) / rateHz) * 1000 : NaN;
  };
  // When the recording's first sample was captured, were the microphone delivered in real time.
  const realStart = firstChunkAt - (chunks[0].through / rateHz) * 1000;
  const sorted = (values) => values.sort((a, b) => a - b);
  const absLag = sorted(updates.map((u) => u.t - captured(u)));
  const stale = sorted(updates.slice(1).map((u, i) => u.t - captured(updates[i])));
  const behind = sorted(chunks.map((c) => c.t - (realStart + (c.through / rateHz) * 1000)));
  const realLag = sorted(updates.map((u) => u.t - (realStart + u.end)));
  console.log(`# readout lag behind the microphone: median ${absLag[absLag.length >> 1].toFixed(0)} ms, max ${absLag.at(-1).toFixed(0)} ms `
    + `(${absLag.filter((l) => !(l <= 300)).length} of ${absLag.length} over 300 ms); `
    + `age of the readout just before it changes: median ${stale[stale.length >> 1].toFixed(0)} ms, max ${stale.at(-1).toFixed(0)} ms; `
    + `the browser's delivery of the microphone to the page, behind real time: up to ${behind.at(-1).toFixed(0)} ms `
    + `(the lag counting it too: median ${realLag[realLag.length >> 1].toFixed(0)} ms, max ${realLag.at(-1).toFixed(0)} ms)`);
  const during = await judge(start, stopAt);
  console.log(`# long tasks while recording: ${fmt(during)}; during the analysis after stop: ${fmt(await judge(stopAt, resultAt))}`);
  assert.ok(updates.length >= micSeconds * 2, `${updates.length} updates in ${micSeconds.toFixed(1)} s`);
  assertBudget(gaps, 500, 'the live emotion updated at least every 0.5 s: the gaps');
  for (let i = 1; i < updates.length; i++) assert.ok(updates[i].end > updates[i - 1].end, 'each update is a later window');
  assert.ok(changes >= 2, `the label changed ${changes} times: ${[...new Set(labels)].join(', ')}`);
  assert.ok(emotions.size >= 2, `at least two emotions named: ${[...emotions].join(', ')}`);
  assert.ok(labels.includes('listening…'), 'the 4 s pause reads "listening…"');
  // The label does not flicker: a new verdict is named once two readings in a row agree on it
  // ("listening…" at once, and the first verdict after it), so every label that gives way to
  // another (but "listening…") stayed two readings. Counted in readings, from the number of the
  // reading that named each label (`data-named-at`): on a busy machine one render can show two
  // readings, and counting renders would see a label once that stayed two readings.
  const runs = [];
  for (const u of updates) {
    if (!runs.length || runs.at(-1).namedAt !== u.namedAt) runs.push({ label: u.text, namedAt: u.namedAt });
  }
  const stayed = runs.slice(0, -1).map((r, i) => [r.label, runs[i + 1].namedAt - r.namedAt, runs[i + 1].label]);
  const merged = updates.slice(1).filter((u, i) => u.seq - updates[i].seq > 1).length;
  console.log(`# label runs (readings each): ${stayed.map(([l, n]) => `${l}×${n}`).join(' ')}; renders that showed two or more readings: ${merged}`);
  const flickers = stayed.filter(([l, n, next]) => n < 2 && l !== 'listening…' && next !== 'listening…');
  assert.deepEqual(flickers, [], 'no label but "listening…" shown for a single reading');
  assertBudget(absLag, 300, 'the readout lags the microphone by at most 300 ms: the lags');

  // No main-thread task over 50 ms while recording: of the page's own work (see traceTasks).
  assert.deepEqual(overBudget(during), [], 'no task over 50 ms while recording');

  // Nothing dropped: the frames the recorder posted are the frames analysed (this recording
  // stopped by hand, so exactly), and they became ceil(n * 16000 / rate) samples at 16 kHz.
  const save = page.locator('[data-testid="save-recording"]');
  const [posted, analysed, resampled, rate] = await Promise.all(
    ['recorded-frames', 'analysed-frames', 'resampled', 'rate'].map(async (a) => Number(await save.getAttribute(`data-${a}`))));
  assert.equal(analysed, posted, 'frames analysed = frames recorded');
  assert.equal(resampled, Math.ceil(analysed * 16000 / rate), '16 kHz samples');

  // The result equals uploading the same samples: save the recording, upload it, compare.
  const recorded = await exportReport(page);
  const [download] = await Promise.all([page.waitForEvent('download'), save.click()]);
  const wav = join(ARTIFACTS, 'live-recording.wav');
  await download.saveAs(wav);
  const bytes = readFileSync(wav);
  assert.equal(bytes.readUInt16LE(20), 3, 'a float WAV');
  assert.equal(bytes.readUInt32LE(24), rate);
  assert.equal(bytes.readUInt32LE(40), analysed * 4, 'every recorded sample');
  await page.setInputFiles('[data-testid="file-input"]', wav);
  await page.locator('.result .eyebrow .file-name', { hasText: 'live-recording.wav' }).waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="prediction"]').waitFor();
  const uploaded = await exportReport(page);
  assert.equal(uploaded.emotion, recorded.emotion);
  assert.deepEqual(uploaded.kept, recorded.kept, 'the same speech kept');
  for (const [label, p] of Object.entries(recorded.probabilities)) {
    assert.ok(Math.abs(uploaded.probabilities[label] - p) <= 1e-6, `${label}: upload ${uploaded.probabilities[label]} vs recording ${p}`);
  }
  assert.equal((uploaded.timeline || []).length, (recorded.timeline || []).length);
  // And the CLI agrees on the same file.
  const cli = serPredict(wav);
  for (const [label, p] of Object.entries(cli.probabilities)) assert.ok(Math.abs(recorded.probabilities[label] - p) <= TOL, label);
});

test('live mode screenshots: 1280 x 800, 360 px wide and presenter mode at 1366 x 768', T, async () => {
  await record(7);
  await page.screenshot({ path: join(ARTIFACTS, 'live-1280.png') });
  await page.setViewportSize({ width: 360, height: 800 });
  await page.waitForTimeout(1500);
  await page.locator('[data-testid="live-view"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(ARTIFACTS, 'live-360.png') });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no sideways scrolling at 360 px (${overflow} px)`);
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.click('[data-testid="presenter-toggle"]');
  const view = page.locator('[data-testid="presenter-view"]');
  await view.locator('[data-testid="live-spectrogram"]').waitFor();
  await page.waitForTimeout(2500);
  const share = await page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('[data-testid="presenter-emotion"]')).fontSize) / innerHeight);
  assert.ok(share >= 0.1, `the live emotion is ${(share * 100).toFixed(1)} % of the height`);
  const fits = await page.evaluate(() => { const v = document.querySelector('[data-testid="presenter-view"]'); return v.scrollHeight - v.clientHeight; });
  assert.ok(fits <= 0, `presenter live view fits without scrolling (${fits} px over)`);
  const lit = await page.evaluate(() => {
    const c = document.querySelector('[data-testid="presenter-view"] [data-testid="live-spectrogram"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255) n++;
    return n;
  });
  assert.ok(lit > 0, 'the presenter spectrogram draws');
  // Turned on mid-recording, it shows the last 6 s at once: the same pixels as the page's own.
  const same = await page.evaluate(() => {
    const pixels = (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    const [a, b] = ['live-spectrogram', 'live-spectrogram-present'].map((id) => document.getElementById(id));
    if (!a || !b) return 'a canvas is missing';
    const [pa, pb] = [pixels(a), pixels(b)];
    return pa.every((v, i) => v === pb[i]) ? 'same' : 'different';
  });
  assert.equal(same, 'same', "the presenter spectrogram shows what the page's does, its past included");
  assert.ok(await view.locator('.presenter-bars').count() === 1, 'the live bars in presenter mode');
  await page.screenshot({ path: join(ARTIFACTS, 'live-presenter-1366x768.png') });
  await page.keyboard.press(' ');
  await waitForRecordingResult();
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('nothing dropped at the 60 s maximum: the samples analysed equal the samples recorded', T, async () => {
  const stopTrace = await traceTasks(page);
  const start = await record(0);
  // The recorder stops by itself at 60 s.
  await page.getByRole('button', { name: /Stop and analyse/ }).waitFor({ state: 'detached', timeout: 75_000 });
  const resultAt = await waitForRecordingResult();
  const judge = await stopTrace();
  // The recording ended where its analysis began (the page's "ser:input" mark, kept as the
  // start of its input-to-result measure): the analysis's own tasks are logged apart.
  const stopAt = await page.evaluate(() => performance.getEntriesByName('ser:input-to-result').at(-1).startTime);
  const save = page.locator('[data-testid="save-recording"]');
  const [posted, analysed, resampled, rate] = await Promise.all(
    ['recorded-frames', 'analysed-frames', 'resampled', 'rate'].map(async (a) => Number(await save.getAttribute(`data-${a}`))));
  console.log(`# 60 s: ${posted} frames posted by the worklet, ${analysed} analysed at ${rate} Hz, ${resampled} at 16 kHz`);
  assert.equal(analysed, 60 * rate, 'the whole minute');
  assert.ok(posted >= analysed && posted - analysed < 4096, `within one worklet chunk: ${posted} vs ${analysed}`);
  assert.equal(resampled, Math.ceil(analysed * 16000 / rate));
  const report = await exportReport(page);
  assert.ok(Math.abs(report.duration_s - 60) < 1e-3, `60 s analysed: ${report.duration_s}`);
  const during = await judge(start, stopAt);
  console.log(`# long tasks during the 60 s recording: ${fmt(during)}; during its analysis: ${fmt(await judge(stopAt, resultAt))}`);
  assert.deepEqual(overBudget(during), [], 'no task over 50 ms while recording');
});

test('the live session made no request to another origin and sent nothing', T, async () => {
  assertOwnReadsOnly(network, srv.url);
  for (const r of srv.log) assert.ok(['GET', 'HEAD'].includes(r.method), `server saw ${r.method} ${r.url}`);
  assert.deepEqual(problems, [], 'errors in the page');
});
