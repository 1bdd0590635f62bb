//! Small wrappers over browser APIs the rest of the app uses.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// A readable text for a JS exception or rejection.
pub fn js_text(value: JsValue) -> String {
    if let Some(s) = value.as_string() {
        return s;
    }
    let get = |key: &str| js_sys::Reflect::get(&value, &key.into()).ok().and_then(|v| v.as_string());
    match (get("name"), get("message")) {
        (Some(n), Some(m)) if !m.is_empty() => format!("{n}: {m}"),
        (Some(n), _) => n,
        (None, Some(m)) => m,
        _ => format!("{value:?}"),
    }
}

/// The `name` of a DOMException (e.g. `NotAllowedError`), or "".
pub fn js_error_name(value: &JsValue) -> String {
    js_sys::Reflect::get(value, &"name".into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// Lets the browser handle events and paint before the next step of a long job.
///
/// A MessageChannel message is a macrotask like `setTimeout(0)` but is not clamped to 4 ms
/// when nested, so yielding between steps costs almost nothing.
pub async fn yield_now() {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let Ok(channel) = web_sys::MessageChannel::new() else {
            let _ = resolve.call0(&JsValue::NULL);
            return;
        };
        let keep = channel.clone(); // keeps the channel alive until the message arrives
        let on_message = Closure::once_into_js(move || {
            drop(keep);
            let _ = resolve.call0(&JsValue::NULL);
        });
        channel.port1().set_onmessage(Some(on_message.unchecked_ref()));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = JsFuture::from(promise).await;
}

/// Long work cut into tasks of about `budget_ms`: [`Slices::next`] yields to the browser only
/// once the task has run that long, or would with the next piece, so quick pieces share a task
/// (each yield can cost a frame) and slow ones still leave the page free.
pub struct Slices {
    budget_ms: f64,
    since: f64,
}

impl Slices {
    /// Starts in a task of its own.
    pub async fn start(budget_ms: f64) -> Self {
        yield_now().await;
        Self { budget_ms, since: now_ms() }
    }

    /// Before a piece of work expected to take `next_ms`.
    pub async fn next(&mut self, next_ms: f64) {
        if now_ms() - self.since + next_ms > self.budget_ms {
            yield_now().await;
            self.since = now_ms();
        }
    }
}

/// GETs one of the page's own files (from the page or the compute worker, which sits beside it).
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    Ok(fetch_array(url).await?.to_vec())
}

/// As [`fetch_bytes`], the bytes left where the browser put them: a buffer to hand to a worker
/// without copying it.
pub async fn fetch_array(url: &str) -> Result<js_sys::Uint8Array, String> {
    let request = match web_sys::window() {
        Some(window) => window.fetch_with_str(url),
        None => js_sys::global().unchecked_into::<web_sys::WorkerGlobalScope>().fetch_with_str(url),
    };
    let response: web_sys::Response = JsFuture::from(request)
        .await
        .map_err(|e| format!("{url} could not be downloaded ({})", js_text(e)))?
        .dyn_into()
        .map_err(js_text)?;
    if !response.ok() {
        return Err(format!("{url} could not be downloaded (HTTP {})", response.status()));
    }
    let buffer = JsFuture::from(response.array_buffer().map_err(js_text)?)
        .await
        .map_err(|e| format!("{url} could not be read ({})", js_text(e)))?;
    Ok(js_sys::Uint8Array::new(&buffer))
}

/// The bytes of a user's file.
pub async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("The file could not be read ({}).", js_text(e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// The clock of the page, or of the worker the code runs in.
fn performance() -> Option<web_sys::Performance> {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok()?.dyn_into().ok()
}

/// Milliseconds on the page's monotonic clock.
pub fn now_ms() -> f64 {
    performance().map_or(0.0, |p| p.now())
}

/// Milliseconds since 1970 at high resolution: the same instant reads the same in the page
/// and in its worker, whose `now_ms` clocks start at different times.
pub fn epoch_ms() -> f64 {
    performance().map_or(0.0, |p| p.time_origin() + p.now())
}

/// Where a timed run starts ("file chosen", "sample clicked", "recording stopped").
pub const MARK_INPUT: &str = "ser:input";
/// The measure read by scripts/bench_web.sh: input to result drawn.
pub const MEASURE_TO_RESULT: &str = "ser:input-to-result";

pub fn mark_input() {
    if let Some(p) = performance() {
        p.clear_marks();
        let _ = p.mark(MARK_INPUT);
    }
}

/// Marked once the app's first frame is on screen (the tests' start of "the page is usable").
pub const MARK_APP_SHOWN: &str = "ser:app-shown";

/// Marked once the model's "ready" state is on screen: scripts/bench_web.sh reads page load to
/// model ready from it (a harness that polls for the state would add its polling interval).
pub const MARK_MODEL_READY: &str = "ser:model-ready";

/// Marks `name` on the page's timeline once the next frame has been laid out and painted.
pub fn mark_after_paint(name: &'static str) {
    after_paint(move || mark(name));
}

/// Runs `f` once the next frame has been laid out and painted (a task after the frame's
/// animation callbacks). Never in a hidden tab, which draws no frames.
pub fn after_paint(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else { return };
    let after_frame = Closure::once_into_js(move || {
        gloo::timers::callback::Timeout::new(0, f).forget();
    });
    let _ = window.request_animation_frame(after_frame.unchecked_ref());
}

/// A mark on the page's timeline (the tests read them).
pub fn mark(name: &str) {
    if let Some(p) = performance() {
        let _ = p.mark(name);
    }
}

/// Marked when the microphone's first chunk reaches the page: the tests date the recording's
/// samples from it (minus the chunk's length) to measure how far the live readout lags.
pub const MARK_MIC_FIRST_CHUNK: &str = "ser:mic-first-chunk";

/// The worker's measure of `EmotionModel::from_bytes` (read by scripts/bench_web.sh).
pub const MEASURE_MODEL_LOAD: &str = "ser:model-load";

/// Measures from the mark `start` to now as `name`.
pub fn measure_from(name: &str, start: &str) {
    if let Some(p) = performance() {
        let _ = p.measure_with_start_mark(name, start);
    }
}

/// Marks the start of an analysis step, for the per-step figures of scripts/bench_web.sh.
pub fn mark_step(name: &str) {
    mark(&format!("ser:step:{name}"));
}

/// As [`mark_step`], dated at `epoch` (see [`epoch_ms`]) rather than now. `performance.mark`'s
/// `startTime` option is called through JS: web-sys has it only among its unstable APIs.
pub fn mark_step_at(name: &str, epoch: f64) {
    let Some(p) = performance() else { return };
    let options = js_sys::Object::new();
    let start = (epoch - p.time_origin()).clamp(0.0, p.now());
    if js_sys::Reflect::set(&options, &"startTime".into(), &start.into()).is_err() {
        return mark_step(name);
    }
    let mark = js_sys::Reflect::get(&p, &"mark".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    if mark.is_none_or(|f| f.call2(&p, &format!("ser:step:{name}").into(), &options).is_err()) {
        mark_step(name);
    }
}

/// Closes the timed run begun by [`mark_input`], once.
pub fn measure_result_drawn() {
    if let Some(p) = performance()
        && p.get_entries_by_name(MARK_INPUT).length() > 0
    {
        let _ = p.mark("ser:result-drawn");
        let _ = p.measure_with_start_mark_and_end_mark(MEASURE_TO_RESULT, MARK_INPUT, "ser:result-drawn");
        p.clear_marks_with_mark_name(MARK_INPUT);
    }
}

pub fn prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// A `blob:` URL for bytes made in the page (exports, playback). Revoke it when done.
pub fn blob_url(bytes: &[u8], mime: &str) -> Result<String, String> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(js_text)?;
    web_sys::Url::create_object_url_with_blob(&blob).map_err(js_text)
}

pub fn revoke_url(url: &str) {
    let _ = web_sys::Url::revoke_object_url(url);
}

/// Saves text as a file: a local download, nothing is sent.
pub fn download(file_name: &str, mime: &str, text: &str) -> Result<(), String> {
    save_url(file_name, blob_url(text.as_bytes(), mime)?)
}

/// Saves a blob made in the page (an image) as a file: a local download, nothing is sent.
pub fn download_blob(file_name: &str, blob: &web_sys::Blob) -> Result<(), String> {
    save_url(file_name, web_sys::Url::create_object_url_with_blob(blob).map_err(js_text)?)
}

pub fn save_url(file_name: &str, url: String) -> Result<(), String> {
    let document = gloo::utils::document();
    let a: web_sys::HtmlAnchorElement = document.create_element("a").map_err(js_text)?.unchecked_into();
    a.set_href(&url);
    a.set_download(file_name);
    a.click();
    // Revoke later: the download reads the URL asynchronously.
    gloo::timers::callback::Timeout::new(10_000, move || revoke_url(&url)).forget();
    Ok(())
}

/// Offline support. Registration fails quietly where service workers are unavailable
/// (plain http on a non-local host, private windows); the page works online either way.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    let navigator = window.navigator();
    if !js_sys::Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
        return;
    }
    let promise = navigator.service_worker().register("sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = JsFuture::from(promise).await {
            web_sys::console::warn_1(&format!("offline mode unavailable: {}", js_text(e)).into());
        }
    });
}
