// End-to-end tests of the classroom views (issue 14) in headless Chromium: two takes side by
// side, valence x arousal, the limits card, the result as a PNG and presenter mode.
//   node --test tests/e2e/classroom.test.mjs   (needs dist/ and target/release/ser)
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, FIXTURE, ROOT, TOL, assertOwnReadsOnly, launch, makeSpeechWav, openApp, serPredict, startServer, watchNetwork,
} from './helpers.mjs';

const T = { timeout: 120_000 };
const HAPPY = join(ROOT, 'tests/fixtures/librosa/tess_yaf_happy.flac');
let srv; let browser; let context; let page; let problems;
const network = [];

before(async () => {
  srv = await startServer();
  browser = await launch(makeSpeechWav());
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  watchNetwork(context, network);
  page = await context.newPage();
  problems = await openApp(page, srv.url);
});

after(async () => {
  await browser?.close();
  srv?.server.close();
});

/** Uploads a file and waits until the page has drawn its result (the page's own measure). */
async function upload(file) {
  const drawn = () => page.evaluate(() => performance.getEntriesByName('ser:input-to-result').length);
  const before = await drawn();
  await page.setInputFiles('[data-testid="file-input"]', file);
  await page.waitForFunction((n) => performance.getEntriesByName('ser:input-to-result').length > n, before, { timeout: 60_000 });
  await page.locator('.result .eyebrow .file-name', { hasText: file.split('/').pop() }).waitFor();
}

/** Screenshots at 1280 and 360 px, light and dark; `what` is scrolled into view first. */
async function screenshots(name, what) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [1280, 360]) {
      await page.setViewportSize({ width, height: 800 });
      await page.waitForTimeout(400); // the resize redraw is debounced
      await page.locator(what).scrollIntoViewIfNeeded();
      const suffix = scheme === 'dark' ? '-dark' : '';
      await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}${suffix}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1280, height: 800 });
}

test('two uploads show two takes side by side with the change of each probability', T, async () => {
  const [one, two] = [serPredict(FIXTURE), serPredict(HAPPY)];
  assert.equal(one.emotion, 'angry');
  assert.equal(two.emotion, 'happy');
  await upload(FIXTURE);
  assert.equal(await page.locator('[data-testid="compare-view"]').count(), 0, 'one take is not a comparison');
  await upload(HAPPY);
  const view = page.locator('[data-testid="compare-view"]');
  await view.waitFor();
  const takes = view.locator('[data-testid="compare-take"]');
  assert.equal(await takes.count(), 2);
  assert.equal((await takes.nth(0).locator('[data-testid="take-emotion"]').textContent()).trim(), 'angry');
  assert.equal((await takes.nth(1).locator('[data-testid="take-emotion"]').textContent()).trim(), 'happy');
  assert.match(await takes.nth(0).textContent(), /Take 1: ravdess_01_angry\.flac/);
  assert.match(await takes.nth(1).textContent(), /Take 2: tess_yaf_happy\.flac/);
  assert.equal(await takes.nth(0).locator('[data-testid^="take-diff-"]').count(), 0, 'take 1 has nothing to differ from');
  const value = async (take, id) => Number(await take.locator(`[data-testid="${id}"]`).getAttribute('data-value'));
  for (const label of Object.keys(one.probabilities)) {
    const [p1, p2, d] = [await value(takes.nth(0), `take-prob-${label}`), await value(takes.nth(1), `take-prob-${label}`),
      await value(takes.nth(1), `take-diff-${label}`)];
    assert.ok(Math.abs(p1 - one.probabilities[label]) <= TOL, `take 1 ${label}: ${p1}`);
    assert.ok(Math.abs(p2 - two.probabilities[label]) <= TOL, `take 2 ${label}: ${p2}`);
    assert.ok(Math.abs(d - (p2 - p1)) <= 1e-5, `${label}: change ${d} is not take 2 - take 1 (${p2 - p1})`);
    const shown = (await takes.nth(1).locator(`[data-testid="take-diff-${label}"]`).textContent()).trim();
    const points = Math.round(d * 100);
    assert.equal(shown, points === 0 ? '0' : points > 0 ? `+${points}` : `\u2212${-points}`, `${label}: shown change`);
  }
  // Side by side on a laptop, stacked on a phone.
  let [a, b] = [await takes.nth(0).boundingBox(), await takes.nth(1).boundingBox()];
  assert.ok(Math.abs(a.y - b.y) < 2 && b.x > a.x + a.width - 1, 'side by side at 1280 px');
  await screenshots('compare', '[data-testid="compare-view"]');
  await page.setViewportSize({ width: 360, height: 800 });
  [a, b] = [await takes.nth(0).boundingBox(), await takes.nth(1).boundingBox()];
  assert.ok(b.y >= a.y + a.height - 1, 'stacked at 360 px');
  assert.ok(a.width <= 360 && b.width <= 360, 'no take wider than the screen');
  await page.setViewportSize({ width: 1280, height: 800 });

  // A third result pushes the first out; Clear empties the comparison, the result stays.
  await upload(FIXTURE);
  assert.equal((await takes.nth(0).locator('[data-testid="take-emotion"]').textContent()).trim(), 'happy');
  assert.equal((await takes.nth(1).locator('[data-testid="take-emotion"]').textContent()).trim(), 'angry');
  await page.click('[data-testid="compare-clear"]');
  assert.equal(await view.count(), 0);
  assert.equal((await page.locator('[data-testid="prediction"]').textContent()).trim(), 'angry');
});

test('the valence x arousal view puts an angry clip in the angry quadrant', T, async () => {
  assert.equal(serPredict(FIXTURE).emotion, 'angry');
  await upload(FIXTURE);
  const va = page.locator('.result [data-testid="valence-arousal"]');
  const [valence, arousal] = [Number(await va.getAttribute('data-valence')), Number(await va.getAttribute('data-arousal'))];
  assert.ok(valence < 0 && arousal > 0, `angry at valence ${valence}, arousal ${arousal}`);
  assert.ok(valence * valence + arousal * arousal <= 1 + 1e-6, 'inside the circle');
  // The dot is drawn where the numbers say: left of and above the centre.
  const dot = va.locator('[data-testid="va-dot"]');
  assert.ok(Number(await dot.getAttribute('cx')) < 150 && Number(await dot.getAttribute('cy')) < 130, 'dot up and left');
  const text = await va.textContent();
  for (const words of ['unpleasant', 'pleasant', 'aroused', 'calm / sleepy', 'Derived from the 8 emotion probabilities', 'Russell']) {
    assert.ok(text.includes(words), `the view says "${words}"`);
  }
  // Beside the bars on a laptop, below them on a phone.
  const bars = await page.locator('.result .bars').boundingBox();
  const box = await va.boundingBox();
  assert.ok(box.x >= bars.x + bars.width - 1 && box.y < bars.y + bars.height, 'beside the bars at 1280 px');
  await screenshots('valence-arousal', '.result .summary');
  await page.setViewportSize({ width: 360, height: 800 });
  const narrow = await va.boundingBox();
  assert.ok(narrow.x >= 0 && narrow.x + narrow.width <= 360, 'fits a phone');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('"What this can and cannot do" says its four points near the top of the page', T, async () => {
  await page.reload();
  await page.locator('[data-testid="model-status"][data-state="ready"]').waitFor({ timeout: 60_000 });
  const card = page.locator('[data-testid="limits"]');
  const text = (await card.textContent()).replace(/\s+/g, ' ');
  assert.match(text, /What this can and cannot do/);
  assert.match(text, /trained on actors performing emotions/);
  assert.match(text, /hears how something is said, not what is felt/);
  assert.match(text, /wrong often, and more often for some voices than for others/);
  assert.match(text, /Never use it to judge a person/);
  const box = await card.boundingBox();
  assert.ok(box.y + box.height <= 800, `visible without scrolling at 1280 x 800 (bottom at ${box.y + box.height})`);
  await page.screenshot({ path: join(ARTIFACTS, 'limits-1280.png') });
  await page.setViewportSize({ width: 360, height: 800 });
  const narrow = await card.boundingBox();
  assert.ok(narrow.y < 800, `starts on the first screen of a phone (at ${narrow.y})`);
  await page.screenshot({ path: join(ARTIFACTS, 'limits-360.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('"Download image" saves a PNG of the result card made on the device', T, async () => {
  const before = network.length;
  await upload(FIXTURE);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="download-image"]')]);
  assert.equal(download.suggestedFilename(), 'ravdess_01_angry.emotion.png');
  const bytes = readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(bytes.toString('latin1', 12, 16), 'IHDR');
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1600, 900], '16:9, 1600 x 900');
  assert.ok(bytes.length > 30_000 && bytes.length < 5_000_000, `${bytes.length} bytes`);
  // It decodes, and it is not blank: the spectrogram area holds many colours.
  const check = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    [c.width, c.height] = [img.naturalWidth, img.naturalHeight];
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(900, 200, 600, 400).data;
    const colours = new Set();
    for (let i = 0; i < px.length; i += 4 * 97) colours.add(`${px[i]},${px[i + 1]},${px[i + 2]}`);
    return { w: img.naturalWidth, h: img.naturalHeight, colours: colours.size };
  }, bytes.toString('base64'));
  assert.deepEqual([check.w, check.h], [1600, 900]);
  assert.ok(check.colours > 50, `the spectrogram is drawn (${check.colours} colours)`);
  writeFileSync(join(ARTIFACTS, 'download-image.png'), bytes);
  assertOwnReadsOnly(network.slice(before), srv.url);
  assert.equal(await page.locator('.download-image .error-inline').count(), 0);
});

/** The presenter emotion's font size as a share of the viewport's height. */
const emotionShare = () => page.evaluate(() => {
  const el = document.querySelector('[data-testid="presenter-emotion"]');
  return parseFloat(getComputedStyle(el).fontSize) / window.innerHeight;
});

test('presenter mode: large type on a school laptop and a projector, and its keys', T, async () => {
  await upload(FIXTURE);
  await upload(HAPPY);
  await page.click('[data-testid="presenter-toggle"]');
  const view = page.locator('[data-testid="presenter-view"]');
  await view.waitFor();
  const emotion = page.locator('[data-testid="presenter-emotion"]');
  assert.equal((await emotion.textContent()).trim(), 'happy');
  assert.match(await page.locator('[data-testid="presenter-takes"]').textContent(), /Take 1: angry .*Take 2: happy/);
  assert.match(await view.textContent(), /Never use it to judge a person/);
  const colours = await page.evaluate(() => {
    const s = getComputedStyle(document.querySelector('[data-testid="presenter-view"]'));
    return [s.color, s.backgroundColor];
  });
  assert.deepEqual(colours, ['rgb(255, 255, 255)', 'rgb(0, 0, 0)'], 'white on black');
  for (const [width, height] of [[1366, 768], [1920, 1080]]) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(200);
    const share = await emotionShare();
    assert.ok(share >= 0.1, `${width}x${height}: the emotion is ${(share * 100).toFixed(1)} % of the height`);
    const box = await view.boundingBox();
    assert.deepEqual([box.width, box.height], [width, height], 'fills the screen');
    const overflow = await page.evaluate(() => {
      const v = document.querySelector('[data-testid="presenter-view"]');
      return v.scrollHeight - v.clientHeight;
    });
    assert.ok(overflow <= 0, `${width}x${height}: everything fits without scrolling (${overflow} px over)`);
    await page.screenshot({ path: join(ARTIFACTS, `presenter-${width}x${height}.png`) });
  }
  // C clears the takes; Space records and stops; Esc leaves.
  await page.keyboard.press('c');
  assert.equal(await page.locator('[data-testid="presenter-takes"]').count(), 0);
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector('[data-testid="presenter-emotion"]').textContent.startsWith('listening'),
    null, { timeout: 20_000 });
  await page.waitForTimeout(2500);
  await page.screenshot({ path: join(ARTIFACTS, 'presenter-recording-1920x1080.png') });
  await page.keyboard.press(' ');
  await page.locator('.presenter-bars').waitFor({ timeout: 60_000 });
  const said = (await emotion.textContent()).trim();
  assert.ok(said.length > 0 && !['listening', 'ready', '…'].includes(said), `a result after recording: ${said}`);
  await page.keyboard.press('Escape');
  assert.equal(await view.count(), 0);
  assert.equal(await page.locator('[data-testid="compare-view"]').count(), 0, 'C cleared the takes');
  await page.setViewportSize({ width: 1280, height: 800 });

  // ?present opens it straight away.
  const p = await context.newPage();
  await openApp(p, `${srv.url}?present`);
  await p.locator('[data-testid="presenter-view"]').waitFor();
  assert.equal((await p.locator('[data-testid="presenter-emotion"]').textContent()).trim(), 'ready');
  await p.keyboard.press('Escape');
  assert.equal(await p.locator('[data-testid="presenter-view"]').count(), 0);
  await p.close();
});

test('the session made no request to another origin and sent nothing', T, async () => {
  assertOwnReadsOnly(network, srv.url);
  for (const r of srv.log) assert.ok(['GET', 'HEAD'].includes(r.method), `server saw ${r.method} ${r.url}`);
  assert.deepEqual(problems, [], 'errors in the page');
});
