// What the voice did (issue 15): the pitch and loudness track under the waveform, on its time
// axis; the one-line summary equal to `ser predict`'s `prosody`; and the JSON export carrying
// the prosody summary and, once explained, the map of `ser explain`. Screenshots of the
// waveform card at 1280 and 360 px, light and dark.
//   node --test --test-concurrency=1 tests/e2e/prosody.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, FIXTURE, ROOT, SER_BIN, TOL, closeSession, exportReport, openSession, serPredict,
} from './helpers.mjs';

const T = { timeout: 180_000 };
const NOISE = join(ROOT, 'tests/fixtures/librosa/white_noise.flac');
// The page's light-scheme line colours (src/bin/app/plots/mod.rs, Theme::light).
const PITCH = [0xd9, 0x48, 0x0f];
const LOUDNESS = [0x0b, 0x72, 0x85];
let session; let page; let problems;

before(async () => {
  session = await openSession();
  ({ page, problems } = session);
});

after(() => closeSession(session));

const track = () => page.locator('[data-testid="prosody-track"]');
const summary = () => page.locator('[data-testid="prosody-summary"]');

/** Uploads `file` and waits until its result, with the track, is drawn. */
async function analyse(file) {
  // A drawn track is sized to its box (wider than a fresh canvas's 300 px at 1280 px): empty
  // the previous result's, so the wait below is for this one's.
  await page.evaluate(() => { const c = document.querySelector('[data-testid="prosody-track"]'); if (c) c.width = 1; });
  await page.setInputFiles('[data-testid="file-input"]', file);
  await page.locator('[data-testid="prediction"]').waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="prosody-track"]')?.width > 300, null,
    { timeout: 60_000 });
}

/** Per canvas column (from x0 on, below y0), how many pixels are within 40 of `rgb`. */
function columnsOf(rgb, y0) {
  return track().evaluate((c, [rgb, y0]) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const cols = new Array(c.width).fill(0);
    for (let y = Math.round(y0); y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const i = 4 * (y * c.width + x);
        if (Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) < 40) cols[x]++;
      }
    }
    return cols;
  }, [rgb, y0]);
}

test('the track draws the voiced pitch and the loudness where they are in the recording', T, async () => {
  const predicted = serPredict(FIXTURE);
  const explained = JSON.parse(execFileSync(SER_BIN, ['explain', FIXTURE], { encoding: 'utf8' }));
  await analyse(FIXTURE);

  // The same frames and voicing as ser explain.
  const frames = Number(await track().getAttribute('data-frames'));
  const voiced = Number(await track().getAttribute('data-voiced-frames'));
  assert.equal(frames, explained.voiced.length, 'frames');
  assert.equal(voiced, explained.voiced.filter(Boolean).length, 'voiced frames');
  assert.ok(voiced > 50, `${voiced} voiced frames`);

  // Frame t of the kept audio is at kept start + t hops in the recording, where the waveform
  // shows it: this clip's first 0.99 s were trimmed away.
  const first = explained.voiced.indexOf(true);
  const hop = explained.f0_params.hop_length / explained.f0_params.sample_rate;
  const firstS = predicted.kept[0][0] + first * hop;
  assert.ok(predicted.kept[0][0] > 0.5, 'the fixture starts with silence');

  // The canvas spans the waveform's width, and the pitch line starts at that time on the
  // waveform's axis (58 px from the left, 16 px from the right, 0 to the recording's length).
  const box = await track().boundingBox();
  const wave = await page.locator('.wave-canvas').boundingBox();
  assert.equal(box.width, wave.width);
  assert.ok(box.y >= wave.y + wave.height - 1, 'the track is under the waveform');
  const { width, dpr } = await track().evaluate((c) => ({ width: c.width, dpr: c.width / c.clientWidth }));
  const x0 = 58 * dpr; const x1 = width - 16 * dpr;
  const plotTop = 24 * dpr;
  const pitch = await columnsOf(PITCH, plotTop);
  const loud = await columnsOf(LOUDNESS, plotTop);
  const inPlot = (cols) => cols.map((n, x) => (x >= x0 ? n : 0));
  const pitchCols = inPlot(pitch); const loudCols = inPlot(loud);
  const drawn = (cols) => cols.filter((n) => n > 0).length;
  assert.ok(drawn(pitchCols) > 0.2 * (x1 - x0) * (voiced / frames), `pitch drawn in ${drawn(pitchCols)} columns`);
  assert.ok(drawn(loudCols) > 0.4 * (x1 - x0), `loudness drawn in ${drawn(loudCols)} columns`);
  const xAt = (s) => x0 + (x1 - x0) * s / predicted.duration_s;
  const firstPitchX = pitchCols.findIndex((n) => n > 0);
  assert.ok(Math.abs(firstPitchX - xAt(firstS)) <= 4 * dpr, `pitch starts at x ${firstPitchX}, expected ${xAt(firstS)}`);
  // Nothing is drawn over the trimmed silence but its shading.
  const firstLoudX = loudCols.findIndex((n) => n > 0);
  assert.ok(Math.abs(firstLoudX - xAt(predicted.kept[0][0])) <= 4 * dpr, `loudness starts at x ${firstLoudX}`);
  assert.ok(loudCols.every((n, x) => n === 0 || x <= xAt(predicted.kept[0][1]) + 4 * dpr),
    'loudness drawn after the kept end');

  // The summary line shows ser predict's figures, rounded as shown.
  const text = (await summary().innerText()).trim();
  const m = text.match(/^Pitch: median (\d+) Hz, range (\d+\.\d) semitones · Loudness range (\d+) dB$/);
  assert.ok(m, text);
  const p = predicted.prosody;
  for (const [shown, cli, unit] of [[m[1], p.f0_median_hz, 1], [m[2], p.f0_range_semitones, 0.1], [m[3], p.loudness_range_db, 1]]) {
    assert.ok(Math.abs(Number(shown) - cli) <= unit / 2 + 1e-6, `${text}: ${shown} vs ser predict ${cli}`);
  }

  // Screenshots of the waveform card with the track, light and dark, 1280 and 360 px.
  const card = page.locator('.card', { has: track() });
  for (const width of [1280, 360]) {
    await page.setViewportSize({ width, height: 800 });
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForTimeout(600);
      await card.screenshot({ path: join(ARTIFACTS, `prosody-${width}${scheme === 'dark' ? '-dark' : ''}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(problems, []);
});

test('the export carries the prosody summary of ser predict, and the map of ser explain once explained', T, async () => {
  const predicted = serPredict(FIXTURE);
  const explained = JSON.parse(execFileSync(SER_BIN, ['explain', FIXTURE], { encoding: 'utf8' }));
  await analyse(FIXTURE);
  const close = (a, b, what) => assert.ok(Math.abs(a - b) <= TOL, `${what}: ${a} vs ${b}`);

  let exported = await exportReport(page);
  assert.deepEqual(Object.keys(exported.prosody).sort(), Object.keys(predicted.prosody).sort());
  for (const [k, v] of Object.entries(predicted.prosody)) close(exported.prosody[k], v, k);
  assert.equal(exported.saliency, undefined, 'no map before Explain');

  await page.locator('[data-testid="explain-toggle"]').click();
  await page.locator('[data-testid="saliency-overlay"]').waitFor({ timeout: 60_000 });
  exported = await exportReport(page);
  for (const [k, v] of Object.entries(predicted.prosody)) close(exported.prosody[k], v, k);
  assert.deepEqual(exported.patch, explained.patch);
  assert.equal(exported.frames, explained.frames);
  assert.equal(exported.bands, explained.bands);
  for (const key of ['time_s', 'band_hz']) {
    assert.equal(exported[key].length, explained[key].length, key);
    explained[key].forEach((v, i) => close(exported[key][i], v, `${key}[${i}]`));
  }
  assert.equal(exported.saliency.length, explained.saliency.length);
  explained.saliency.forEach((row, t) => row.forEach((v, b) => close(exported.saliency[t][b], v, `saliency[${t}][${b}]`)));
  // Hiding the map does not take it out of the export: it was computed for this result.
  await page.locator('[data-testid="explain-toggle"]').click();
  exported = await exportReport(page);
  assert.equal(exported.saliency.length, explained.saliency.length);
  assert.deepEqual(problems, []);
});

test('noise has no voiced frame: the summary says so, the track draws only loudness', T, async () => {
  const predicted = serPredict(NOISE);
  assert.deepEqual(predicted.prosody, { f0_median_hz: null, f0_range_semitones: null, loudness_range_db: null });
  await analyse(NOISE);
  assert.equal(await track().getAttribute('data-voiced-frames'), '0');
  assert.equal((await summary().innerText()).trim(),
    'No pitch to show: no part of the recording sounded voiced (noise or whispering has none).');
  const dpr = await track().evaluate((c) => c.width / c.clientWidth);
  const pitch = await columnsOf(PITCH, 24 * dpr);
  assert.equal(pitch.filter((n, x) => x >= 58 * dpr && n > 0).length, 0, 'no pitch line');
  assert.ok((await columnsOf(LOUDNESS, 24 * dpr)).some((n) => n > 0), 'loudness line');
  const exported = await exportReport(page);
  assert.deepEqual(exported.prosody, predicted.prosody);
  assert.deepEqual(problems, []);
});
