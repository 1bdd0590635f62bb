//! `ser`: the command-line front door to the library's pipeline (the same one the web page
//! runs). Arguments live in [`cli`], inputs (files, folders, standard input) in [`inputs`],
//! the parallel, in-order runner in [`batch`], output formats in [`output`], one module per
//! subcommand beside them; everything that computes is in the `ser` library.

#[cfg(not(target_arch = "wasm32"))]
mod baseline;
#[cfg(not(target_arch = "wasm32"))]
mod batch;
#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod explain;
#[cfg(not(target_arch = "wasm32"))]
mod export;
#[cfg(not(target_arch = "wasm32"))]
mod inputs;
#[cfg(not(target_arch = "wasm32"))]
mod manifest;
#[cfg(not(target_arch = "wasm32"))]
mod output;
#[cfg(not(target_arch = "wasm32"))]
mod predict;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

/// The CLI is native only; the wasm32 build of this target is an empty program.
#[cfg(target_arch = "wasm32")]
fn main() {}
