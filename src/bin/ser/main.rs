//! `ser`: the command-line front door to the library's pipeline (the same one the web page
//! runs). Arguments and input handling live in [`cli`], one module per subcommand beside it;
//! everything that computes is in the `ser` library.

#[cfg(not(target_arch = "wasm32"))]
mod baseline;
#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod export;
#[cfg(not(target_arch = "wasm32"))]
mod manifest;
#[cfg(not(target_arch = "wasm32"))]
mod predict;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; the wasm32 build of this target is an empty program.
#[cfg(target_arch = "wasm32")]
fn main() {}
