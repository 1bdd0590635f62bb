//! The web page, Trunk's entry point: a yew front end over the `ser` library, the same core
//! as the CLI. On native targets it is an empty program, so `cargo build` of every target
//! keeps working.
//!
//! - [`compute`]: the model and the analyses, behind two messages (`Job` in, `Update` out),
//!   in a Web Worker that runs this same module.
//! - [`state`]: the page's state as plain data and a pure reducer; [`settle`]: when the live
//!   readout's label may change.
//! - [`audio_in`]: where audio comes from (file bytes, the browser's decoder, the microphone).
//! - [`plots`]: canvas drawings (plotters + ImageData).
//! - [`components`]: the view, which speaks to the compute side only through its messages.
//! - [`voice_store`]: the voice baseline kept in this browser (a summary, never audio).

#[cfg(target_arch = "wasm32")]
mod audio_in;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod compute;
#[cfg(target_arch = "wasm32")]
mod plots;
#[cfg(any(target_arch = "wasm32", test))]
mod settle;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod voice_store;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsCast;

/// Starts the page: panic hook, the compute side, then the yew app in `#app` (which registers
/// the service worker once the model is ready). In the compute worker (no window), serves its
/// jobs instead.
#[cfg(target_arch = "wasm32")]
fn main() {
    if web_sys::window().is_none() {
        return compute::worker::run();
    }
    yew::set_custom_panic_hook(Box::new(|info| show_fatal(&info.to_string())));
    let compute = compute::Compute::start();
    // The first render in a task of its own: the browser finishes compiling and starting the
    // wasm in the task that ends its download, and the two together ran over 50 ms.
    wasm_bindgen_futures::spawn_local(async {
        web::yield_now().await;
        let document = gloo::utils::document();
        let root = document.get_element_by_id("app").unwrap_or_else(|| document.body().expect("body").into());
        root.set_inner_html("");
        yew::Renderer::<components::App>::with_root_and_props(root, components::AppProps { compute }).render();
    });
}

/// A panic leaves the wasm instance unusable, so say so in plain words outside the yew tree.
#[cfg(target_arch = "wasm32")]
fn show_fatal(detail: &str) {
    web_sys::console::error_1(&format!("ser: internal error: {detail}").into());
    let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("fatal")) else {
        return;
    };
    el.set_text_content(Some(
        "Something went wrong inside the app and it stopped. Reload the page to start again. \
         (Your audio was not sent anywhere.)",
    ));
    if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
        el.set_hidden(false);
    }
}
