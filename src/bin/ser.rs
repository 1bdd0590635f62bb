//! `ser`: the command-line front door to the same pipeline the web page runs.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    ser::cli::main()
}
