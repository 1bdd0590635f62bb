// The input-quality panel (issue 15): warnings first, figures under "Details", the same
// sentences and figures as `ser predict`, and screenshots of it light and dark.
//   node --test --test-concurrency=1 tests/e2e/quality.test.mjs
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import {
  ARTIFACTS, FIXTURE, closeSession, exportReport, makeSpeechWav, openSession, readWav16, serPredict, writeWav,
} from './helpers.mjs';

const T = { timeout: 120_000 };
let session; let page; let problems;

before(async () => {
  session = await openSession();
  ({ page, problems } = session);
});

after(() => closeSession(session));

const panel = () => page.locator('[data-testid="quality-panel"]');
const warnings = () => page.locator('[data-testid="quality-panel"] [data-testid="warning"]');

/** Uploads `file` and waits for its result (a new panel). */
async function analyse(file) {
  await page.setInputFiles('[data-testid="file-input"]', file);
  await page.locator('[data-testid="prediction"]').waitFor({ timeout: 60_000 });
  await panel().waitFor();
}

test('a clean clip: the panel says nothing is wrong, and its figures are those of ser predict', T, async () => {
  await analyse(FIXTURE);
  assert.equal(await warnings().count(), 0);
  const expected = serPredict(FIXTURE);
  assert.deepEqual(expected.warnings, []);
  const exported = await exportReport(page);
  assert.deepEqual(exported.quality, expected.quality);
  assert.deepEqual(exported.warnings, expected.warnings);
  // The figures are folded away until asked for.
  assert.equal(await panel().locator('dl').isVisible(), false);
  await panel().locator('summary', { hasText: 'Details' }).click();
  assert.equal(await panel().locator('dl').isVisible(), true);
});

test('a quiet 8 kHz recording: two warnings, the same sentences as ser predict, before the details', T, async () => {
  const { samples, rate } = readWav16(makeSpeechWav());
  // Every other sample of a 16 kHz clip, whose band is first cut to 4 kHz by averaging pairs
  // (a crude low-pass; the spectrum must end below 4 kHz), at -40 dB.
  const phone = [];
  for (let i = 0; i + 1 < samples.length; i += 2) phone.push(0.01 * (samples[i] + samples[i + 1]) / 2);
  assert.equal(rate, 16000);
  const file = writeWav(join(ARTIFACTS, 'quiet_phone.wav'), phone, 8000);
  await analyse(file);
  const expected = serPredict(file);
  const shown = (await warnings().allInnerTexts()).map((t) => t.trim());
  assert.deepEqual(shown, expected.warnings);
  assert.ok(shown.some((w) => w.startsWith('Very quiet')), shown.join(' | '));
  assert.ok(shown.some((w) => w.startsWith('Telephone quality')), shown.join(' | '));
  // Warnings come before the figures.
  const order = await panel().evaluate((el) => [...el.querySelectorAll('[data-testid="warning"], details')]
    .map((n) => n.tagName));
  assert.equal(order[order.length - 1], 'DETAILS');
  await panel().locator('summary', { hasText: 'Details' }).click();
  await page.waitForTimeout(200);
  await panel().screenshot({ path: join(ARTIFACTS, 'quality-panel.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(500);
  await panel().screenshot({ path: join(ARTIFACTS, 'quality-panel-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });
  assert.deepEqual(problems, []);
});
