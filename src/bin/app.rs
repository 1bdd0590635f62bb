//! Trunk's entry point for the web page (`ser::app`). On native targets it is an empty program,
//! so `cargo build` of the whole workspace keeps working.

#[cfg(target_arch = "wasm32")]
fn main() {
    ser::app::run();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
