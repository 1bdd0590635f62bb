//! The web page (wasm32 only): a yew front end over the same core as the `ser` CLI.
//!
//! - [`state`]: the page's state as plain data and a pure reducer.
//! - [`analysis`]: runs the core pipeline step by step, yielding to the browser in between.
//! - [`audio_in`]: where audio comes from (file bytes, the browser's decoder, the microphone).
//! - [`plots`]: canvas drawings (plotters + ImageData).
//! - [`components`]: the view.

pub mod analysis;
pub mod audio_in;
pub mod components;
pub mod plots;
pub mod state;
pub mod web;

use wasm_bindgen::JsCast;

/// Starts the page: panic hook, service worker, then the yew app in `#app`.
pub fn run() {
    yew::set_custom_panic_hook(Box::new(|info| show_fatal(&info.to_string())));
    web::register_service_worker();
    let document = gloo::utils::document();
    let root = document.get_element_by_id("app").unwrap_or_else(|| document.body().expect("body").into());
    root.set_inner_html("");
    yew::Renderer::<components::App>::with_root(root).render();
}

/// A panic leaves the wasm instance unusable, so say so in plain words outside the yew tree.
fn show_fatal(detail: &str) {
    web_sys::console::error_1(&format!("ser: internal error: {detail}").into());
    let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("fatal"))
    else {
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
