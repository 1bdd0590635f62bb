// Offline support for classrooms with flaky Wi-Fi: precache the whole app (page, wasm, model,
// sample clips) on the first visit, then serve it from the cache. Same-origin GETs only:
// this worker never sends anything anywhere.
// The next line is rewritten by scripts/web_postbuild.mjs with every file in dist/.
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
    // The page itself: fresh when online (to pick up a new version), cached when offline.
    event.respondWith(
      fetch(request).catch(() => caches.match(request, { ignoreSearch: true })
        .then((hit) => hit || caches.match('./'))),
    );
    return;
  }
  // Everything else has a content hash in its name or is versioned with the cache.
  event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
});
