// Offline support for classrooms with flaky Wi-Fi: precache the whole app (page, wasm, model,
// sample clips) on the first visit, then serve it from the cache. Same-origin GETs only:
// this worker never sends anything anywhere.
// The next line is rewritten by Trunk's post_build hook (scripts/web_postbuild.mjs) with every
// file of the build.
const MANIFEST = { version: 'dev', files: ['./'] };

const CACHE = `ser-${MANIFEST.version}`;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(MANIFEST.files))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('ser-') && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    // The page itself: fresh when online (to pick up a new version), cached when offline or
    // when the network takes more than 3 s to answer (flaky classroom Wi-Fi).
    const cached = () => caches.match(request, { ignoreSearch: true }).then((hit) => hit || caches.match('./'));
    event.respondWith(new Promise((resolve) => {
      let settled = false;
      const settle = (response) => { if (!settled && response) { settled = true; resolve(response); } };
      const slow = setTimeout(() => cached().then(settle), 3000);
      fetch(request)
        .then((response) => { clearTimeout(slow); settle(response); })
        .catch(() => { clearTimeout(slow); cached().then((hit) => settle(hit || Response.error())); });
    }));
    return;
  }
  // Everything else has a content hash in its name or is versioned with the cache.
  event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
});
