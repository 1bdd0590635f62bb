// The page in Firefox (Debian's firefox-esr, headless), driven through geckodriver's W3C
// WebDriver API with plain HTTP: Playwright drives only its own patched Firefox builds, which
// cannot be downloaded here. One upload must equal `ser predict`, a corrupt file must show
// the CLI's sentence, a bundled sample must analyse, and a voice baseline from two uploaded
// recordings must give `ser predict --baseline`'s answer until it is forgotten, and live mode
// must update while recording from Firefox's fake microphone.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ARTIFACTS, FIXTURE, ROOT, SER_BIN, TOL, serPredict, serPredictError, startServer } from './helpers.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const GECKODRIVER = process.env.GECKODRIVER || 'geckodriver';
let srv; let driver; let base; let session;

async function freePort() {
  return new Promise((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => done(port)); });
  });
}

async function wd(method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value)}`);
  return json.value;
}

const run = (script, ...args) => wd('POST', `/session/${session}/execute/sync`, { script, args });

/** Whether a PulseAudio server answers (Firefox plays and records through it on Linux). */
function soundServer() {
  try {
    execFileSync('pactl', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Starts a PulseAudio daemon for these tests when none runs (its null sink needs no sound
 * card; scripts/setup.sh installs it); true when this file started it and must stop it. The
 * Chromium tests run without one, as before: their fake devices need none. */
function startSoundServer() {
  if (soundServer()) return false;
  try {
    execFileSync('pulseaudio', ['--daemonize=yes', '--exit-idle-time=-1'], { stdio: 'ignore', timeout: 10_000 });
    return soundServer();
  } catch {
    return false;
  }
}
let ownSoundServer = false;

/** Saves what the window shows as tests/artifacts/NAME. */
async function saveScreenshot(name) {
  const png = await wd('GET', `/session/${session}/screenshot`);
  writeFileSync(join(ARTIFACTS, name), Buffer.from(png, 'base64'));
}

/** Polls `script` until it returns something truthy. */
async function waitFor(script, what, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await run(script);
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Sets the files of an input; several files are one path a line (WebDriver's way). */
async function upload(file, testid = 'file-input') {
  const input = await wd('POST', `/session/${session}/element`, { using: 'css selector', value: `[data-testid="${testid}"]` });
  const id = Object.values(input)[0];
  await wd('POST', `/session/${session}/element/${id}/value`, { text: [file].flat().join('\n') });
}

/** Uploads `file` and waits for its result (not the one on show before). */
async function analyse(file) {
  await run(`document.querySelector('[data-testid="result"]')?.setAttribute('data-old', '')`);
  await upload(file);
  return waitFor(`
    const p = document.querySelector('[data-testid="result"]:not([data-old]) [data-testid="prediction"]');
    if (!p) return null;
    const probs = {};
    for (const el of document.querySelectorAll('[data-testid^="prob-"]')) probs[el.dataset.testid.slice(5)] = Number(el.textContent);
    return { emotion: p.textContent.trim(), probs, relative: !!document.querySelector('[data-testid="relative-to-voice"]') };`, 'the prediction');
}

before(async () => {
  ownSoundServer = startSoundServer();
  srv = await startServer();
  const port = await freePort();
  driver = spawn(GECKODRIVER, ['--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { await wd('GET', '/status'); break; } catch (e) {
      if (i > 100) throw new Error(`geckodriver did not start: ${e.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const created = await wd('POST', '/session', {
    capabilities: {
      alwaysMatch: {
        browserName: 'firefox',
        'moz:firefoxOptions': {
          binary: FIREFOX,
          args: ['-headless'],
          // A fake microphone, granted without asking; and Web Audio allowed to start from the
          // test's scripted clicks, which Firefox does not count as a person's (a person's
          // click on "Record" is what starts it in the page).
          prefs: {
            'media.navigator.streams.fake': true, 'media.navigator.permission.disabled': true,
            'media.autoplay.default': 0, 'media.autoplay.block-webaudio': false,
          },
        },
      },
    },
  });
  session = created.sessionId;
  await wd('POST', `/session/${session}/url`, { url: srv.url });
  await waitFor(`return document.querySelector('[data-testid="model-status"]')?.dataset.state === 'ready'`, 'the model');
});

after(async () => {
  if (session) await wd('DELETE', `/session/${session}`).catch(() => {});
  driver?.kill();
  if (ownSoundServer) {
    try { execFileSync('pulseaudio', ['--kill'], { stdio: 'ignore', timeout: 10_000 }); } catch { /* already gone */ }
  }
  srv?.server.close();
});

test('Firefox: an upload gives the same emotion and probabilities as ser predict', { timeout: 120_000 }, async () => {
  // The model and the analyses run in the compute worker here too (module workers, Firefox 114+).
  assert.equal(await waitFor(`return document.documentElement.dataset.compute`, 'the compute side'), 'worker');
  const want = serPredict(FIXTURE);
  await upload(FIXTURE);
  const shown = await waitFor(`
    const p = document.querySelector('[data-testid="prediction"]');
    if (!p) return null;
    const probs = {};
    for (const el of document.querySelectorAll('[data-testid^="prob-"]')) probs[el.dataset.testid.slice(5)] = Number(el.textContent);
    return { emotion: p.textContent.trim(), probs };`, 'the prediction');
  assert.equal(shown.emotion, want.emotion);
  for (const [label, p] of Object.entries(want.probabilities)) {
    assert.ok(Math.abs(shown.probs[label] - p) <= TOL, `${label}: Firefox ${shown.probs[label]} vs ser predict ${p}`);
  }
});

test('Firefox: a corrupt file shows the CLI sentence; a sample clip then works', { timeout: 120_000 }, async () => {
  const corrupt = join(ARTIFACTS, 'firefox-corrupt.wav');
  writeFileSync(corrupt, Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt '), randomBytes(3000)]));
  await upload(corrupt);
  const error = await waitFor(`return document.querySelector('[data-testid="error"]')?.textContent.trim()`, 'the error');
  assert.equal(error, serPredictError(corrupt));
  await run(`[...document.querySelectorAll('button')].find((b) => /sample clip: Sad/.test(b.getAttribute('aria-label') || ''))?.click()`);
  const shown = await waitFor(`
    const p = document.querySelector('[data-testid="prediction"]');
    const result = document.querySelector('.result');
    return p && result && !document.querySelector('[data-testid="error"]') ? result.textContent : null;`, 'the sample result');
  assert.match(shown, /sad\.flac/, 'the result is the sample clip');
  // What a visitor sees in Firefox, for a look.
  await wd('POST', `/session/${session}/window/rect`, { width: 1280, height: 1600 });
  await saveScreenshot('firefox-result-1280.png');
});

test('Firefox: a voice baseline from two uploaded recordings gives ser predict --baseline\'s answer until forgotten', { timeout: 120_000 }, async () => {
  const neutral = [1, 2].map((n) => `${ROOT}/tests/fixtures/baseline/ravdess_01_neutral_${n}.flac`);
  const sad = `${ROOT}/tests/fixtures/librosa/ravdess_02_sad.flac`;
  const me = join(ARTIFACTS, 'firefox-voice-me.json');
  execFileSync(SER_BIN, ['baseline', ...neutral, '--out', me]);
  await upload(neutral, 'voice-file-input');
  const line = await waitFor(`return document.querySelector('[data-testid="voice-baseline"]')?.textContent`, 'the baseline line');
  assert.match(line, /^Compared with your voice \(baseline recorded \d{1,2} \w{3}, \d\d:\d\d\)/);
  for (const [want, relative] of [[serPredict(sad, '--baseline', me), true], [serPredict(sad), false]]) {
    const shown = await analyse(sad);
    assert.equal(shown.emotion, want.emotion);
    assert.equal(shown.relative, relative);
    for (const [label, p] of Object.entries(want.probabilities)) {
      assert.ok(Math.abs(shown.probs[label] - p) <= TOL, `${label}: Firefox ${shown.probs[label]} vs ser predict ${p}`);
    }
    if (relative) {
      assert.ok(await run(`return localStorage.getItem('ser.voice-baseline')`), 'kept in this browser');
      await run(`document.querySelector('[data-testid="forget-voice"]').click()`);
      await waitFor(`return !document.querySelector('[data-testid="voice-baseline"]')`, 'the line to go');
      assert.equal(await run(`return localStorage.getItem('ser.voice-baseline')`), null);
    }
  }
});

test('Firefox: live mode updates while recording from the fake microphone', { timeout: 120_000 }, async (t) => {
  // Firefox's Web Audio needs a sound server (this file starts PulseAudio, whose null sink needs
  // no sound card): on a machine where none can run an AudioContext never starts and no
  // recording can be made at all, so the test says so and skips. With one, it must run.
  if (!soundServer()) {
    t.skip('no sound server answers on this machine (PulseAudio: pactl info fails), so Firefox cannot run Web Audio here');
    return;
  }
  const audio = await wd('POST', `/session/${session}/execute/async`, {
    script: `const done = arguments[arguments.length - 1];
      const ctx = new AudioContext();
      Promise.race([ctx.resume().then(() => ctx.state), new Promise((r) => setTimeout(() => r(ctx.state), 2000))])
        .then((state) => { ctx.close(); done(state); });`,
    args: [],
  });
  assert.equal(audio, 'running', 'with a sound server, Firefox starts an AudioContext');
  await run(`window.__updates = [];
    // Also when the readout is made anew (from "listening…" to an emotion), which changes no
    // attribute.
    new MutationObserver(() => {
      const el = document.querySelector('[data-testid="live-emotion"]');
      if (el?.dataset.updated && window.__updates.at(-1)?.end !== Number(el.dataset.updated)) {
        window.__updates.push({ t: performance.now(), end: Number(el.dataset.updated), text: el.textContent });
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-updated'] });
    [...document.querySelectorAll('button')].find((b) => /Record from the microphone/.test(b.textContent)).click();`);
  await waitFor(`return document.querySelector('[data-testid="live-view"]')`, 'live mode', 20_000);
  await new Promise((r) => setTimeout(r, 4000));
  const lit = await run(`
    const c = document.querySelector('[data-testid="live-spectrogram"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255) n++;
    return n;`);
  const updates = await run(`return window.__updates`);
  // What a visitor sees while recording in Firefox.
  await saveScreenshot('firefox-live.png');
  await run(`[...document.querySelectorAll('button')].find((b) => /Stop and analyse/.test(b.textContent)).click()`);
  // Firefox's fake microphone may be a tone or silence: either a result or the page's sentence.
  const after = await waitFor(`return document.querySelector('[data-testid="save-recording"]') ? 'a result'
    : document.querySelector('[data-testid="error"]')?.textContent.trim()`, 'the end of the recording');
  console.log(`# Firefox: after stop, ${after}`);
  assert.ok(updates.length >= 8, `${updates.length} live updates in about 4 s`);
  const gaps = updates.slice(1).map((u, i) => u.t - updates[i].t);
  console.log(`# Firefox: ${updates.length} live updates, longest gap ${Math.max(...gaps).toFixed(0)} ms, readout "${updates.at(-1).text}"`);
  assert.ok(Math.max(...gaps) <= 500, `updated at least every 0.5 s (longest gap ${Math.max(...gaps).toFixed(0)} ms)`);
  for (let i = 1; i < updates.length; i++) assert.ok(updates[i].end > updates[i - 1].end, 'each update is a later window');
  assert.ok(lit > 0, 'the live spectrogram draws');
});
