//! Writes the page's form of a model: the NNEF archive the page loads in place of the ONNX
//! file (see `src/model/nnef.rs`). The web build runs it (Trunk's pre_build hook):
//!
//! ```text
//! cargo run --release --example web_model -- models/ser_cnn.onnx models/ser_cnn.json target/page-model/ser_cnn.nnef.tar
//! ```

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [onnx, sidecar, out] = &args[..] else {
        eprintln!("usage: web_model MODEL.onnx MODEL.json OUT.nnef.tar");
        std::process::exit(2);
    };
    let read = |path: &str| std::fs::read(path).unwrap_or_else(|e| fail(&format!("{path}: cannot read it ({e}).")));
    let sidecar = String::from_utf8(read(sidecar)).unwrap_or_else(|_| fail("the sidecar is not text."));
    // Up to date when it loads against this sidecar, which means it was made from this ONNX
    // file (its recorded sha256): then it is left alone, so Trunk's watcher sees no change.
    if std::fs::read(out).is_ok_and(|old| ser::EmotionModel::from_bytes(&old, &sidecar).is_ok()) {
        return;
    }
    let archive = ser::model::onnx_to_nnef(&read(onnx), &sidecar).unwrap_or_else(|e| fail(&format!("{onnx}: {e}")));
    // The archive must load as the page loads it, against the same sidecar.
    if let Err(e) = ser::EmotionModel::from_bytes(&archive, &sidecar) {
        fail(&format!("{out}: the archive does not load ({e})."));
    }
    let out = std::path::Path::new(out);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| fail(&format!("{}: cannot create it ({e}).", dir.display())));
    }
    std::fs::write(out, &archive).unwrap_or_else(|e| fail(&format!("{}: cannot write it ({e}).", out.display())));
}

#[cfg(not(target_arch = "wasm32"))]
fn fail(message: &str) -> ! {
    eprintln!("web_model: {message}");
    std::process::exit(1);
}

#[cfg(target_arch = "wasm32")]
fn main() {}
