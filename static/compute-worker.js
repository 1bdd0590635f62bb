// The page's compute side (the model and the analyses), so that they never block the page.
// The page starts this worker with its own wasm module, compiled once and handed over, and
// the URL of its JS bindings: nothing is downloaded twice. The module's main() finds no
// window here and serves the page's jobs (src/bin/app/compute/worker.rs).
self.onmessage = async ({ data }) => {
  self.onmessage = null;
  const bindings = await import(data.bindings);
  await bindings.default({ module_or_path: data.module });
};
