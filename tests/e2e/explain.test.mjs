// The explanation map (issue 15): the "Explain" toggle computes the occlusion saliency of the
// result on show with the core's `Explaining`, draws it over the log-mel spectrogram, and its
// numbers are those of `ser explain` on the same file. Screenshots at 1280 and 360 px.
//   node --test --test-concurrency=1 tests/e2e/explain.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, FIXTURE, SER_BIN, TOL, exportReport, fmtTasks, launch, openApp, overBudget, recordLongTasks, startServer,
  traceTasks,
} from './helpers.mjs';

const T = { timeout: 180_000 };
let srv; let browser; let context; let page; let problems;

before(async () => {
  srv = await startServer();
  browser = await launch();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await recordLongTasks(context);
  page = await context.newPage();
  problems = await openApp(page, srv.url);
});

after(async () => {
  await browser?.close();
  srv?.server.close();
});

const overlay = () => page.locator('[data-testid="saliency-overlay"]');
const toggle = () => page.locator('[data-testid="explain-toggle"]');

/** Clicks "Explain" and waits for the map; returns the time from the click to the overlay and
 * the main-thread long tasks meanwhile, with the page's own time in each (see traceTasks). */
async function explain() {
  const stopTrace = await traceTasks(page);
  const t0 = await page.evaluate(() => performance.now());
  await toggle().click();
  await overlay().waitFor({ timeout: 60_000 });
  const t1 = await page.evaluate(() => performance.now());
  const judge = await stopTrace();
  return [t1 - t0, await judge(t0, t1)];
}

test('Explain draws the occlusion map of ser explain over the spectrogram', T, async () => {
  const expected = JSON.parse(execFileSync(SER_BIN, ['explain', FIXTURE], { encoding: 'utf8' }));
  await page.setInputFiles('[data-testid="file-input"]', FIXTURE);
  await page.locator('[data-testid="prediction"]').waitFor({ timeout: 60_000 });
  assert.equal(await toggle().getAttribute('aria-pressed'), 'false');
  assert.equal(await overlay().count(), 0);

  const [clickToMap, long] = await explain();
  const jobMs = Number(await overlay().getAttribute('data-ms'));
  console.log(`explanation of ${expected.frames} frames (${expected.saliency.length}x${expected.saliency[0].length} patches): `
    + `${jobMs.toFixed(0)} ms in the job (performance.now around it), ${clickToMap.toFixed(0)} ms from click to overlay; `
    + `long tasks meanwhile: ${fmtTasks(long)}`);
  // The map is computed in the compute worker: the page stays free meanwhile.
  assert.deepEqual(overBudget(long), [], 'no main-thread task over 50 ms while explaining');
  assert.equal(await toggle().getAttribute('aria-pressed'), 'true');

  // Same shape, every value within TOL of the CLI's (the JSON export carries the map shown).
  const got = (await exportReport(page)).saliency;
  assert.equal(got.length, expected.saliency.length, 'time patches');
  got.forEach((row, t) => {
    assert.equal(row.length, expected.saliency[t].length, `band groups of time patch ${t}`);
    row.forEach((v, b) => assert.ok(Math.abs(v - expected.saliency[t][b]) <= TOL,
      `saliency[${t}][${b}]: page ${v} vs ser explain ${expected.saliency[t][b]}`));
  });

  // The overlay has drawn pixels, and says how to read it and what mattered most.
  const drawn = await overlay().evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return n / (c.width * c.height);
  });
  assert.ok(drawn > 0.2, `overlay drawn on ${(100 * drawn).toFixed(1)} % of the canvas`);
  const key = await page.locator('.explain-key').innerText();
  assert.match(key, /Brighter regions changed the answer most when hidden/);
  const most = (await page.locator('[data-testid="explain-most"]').innerText()).trim();
  assert.match(most, /^Most: \d+\.\d\d–\d+\.\d\d s, \d+–\d+ Hz/);
  // The strongest patch is the CLI's.
  let best = [0, 0];
  expected.saliency.forEach((row, t) => row.forEach((v, b) => {
    if (v > expected.saliency[best[0]][best[1]]) best = [t, b];
  }));
  const hz = `${Math.round(expected.band_hz[best[1]])}–${Math.round(expected.band_hz[best[1] + 1])} Hz`;
  assert.ok(most.includes(`${expected.time_s[best[0]].toFixed(2)}–`) && most.includes(hz), `${most} vs ${best} ${hz}`);

  const figure = page.locator('figure', { has: overlay() });
  await figure.screenshot({ path: join(ARTIFACTS, 'explain-1280.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(500);
  await figure.screenshot({ path: join(ARTIFACTS, 'explain-1280-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 360, height: 800 });
  await page.waitForTimeout(500);
  await figure.screenshot({ path: join(ARTIFACTS, 'explain-360.png') });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Off hides the map; on again shows it without computing it again.
  await toggle().click();
  await overlay().waitFor({ state: 'detached' });
  await toggle().click();
  await overlay().waitFor({ timeout: 2_000 });
  assert.equal(Number(await overlay().getAttribute('data-ms')), jobMs);
  assert.deepEqual(problems, []);
});
