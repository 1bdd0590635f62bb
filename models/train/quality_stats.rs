//! The input-quality figures of every clip in a manifest (the training corpora's,
//! `../shared/data/manifest.csv`), one CSV row per clip, and the percentiles the warning
//! thresholds in `src/pipeline/quality.rs` were chosen from.
//!
//! ```text
//! cargo run --release --example quality_stats -- ../shared/data/manifest.csv > quality.csv
//! ```

use std::path::Path;

use ser::{PipelineOptions, analyse_bytes};

fn main() {
    let manifest = std::env::args().nth(1).unwrap_or_else(|| "../shared/data/manifest.csv".into());
    let root = Path::new(&manifest).parent().unwrap_or(Path::new(".")).to_path_buf();
    let text = match std::fs::read_to_string(&manifest) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{manifest}: cannot read it ({e}).");
            std::process::exit(1);
        }
    };
    let options = PipelineOptions::default();
    let mut figures: Vec<[f64; 6]> = Vec::new();
    println!("path,corpus,peak_dbfs,rms_dbfs,clipped_fraction,snr_db,speech_s,bandwidth_hz,warnings");
    for line in text.lines().skip(1) {
        let mut cols = line.split(',');
        let (Some(path), Some(corpus)) = (cols.next(), cols.next()) else { continue };
        let bytes = match std::fs::read(root.join(path)) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let q = match analyse_bytes(&bytes, &options) {
            Ok(a) => a.quality(),
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let (snr, bw) = (q.snr_db.unwrap_or(f64::NAN), q.bandwidth_hz.unwrap_or(f64::NAN));
        println!(
            "{path},{corpus},{:.2},{:.2},{:.6},{:.2},{:.3},{:.0},{}",
            q.peak_dbfs,
            q.rms_dbfs,
            q.clipped_fraction,
            snr,
            q.speech_s,
            bw,
            q.warnings().len()
        );
        figures.push([q.peak_dbfs, q.rms_dbfs, q.clipped_fraction, snr, q.speech_s, bw]);
    }
    let names = ["peak_dbfs", "rms_dbfs", "clipped_fraction", "snr_db", "speech_s", "bandwidth_hz"];
    eprintln!("{} clips", figures.len());
    eprintln!(
        "{:<17} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "figure", "min", "p0.5", "p1", "p50", "p99", "p99.5", "max"
    );
    for (i, name) in names.iter().enumerate() {
        let mut v: Vec<f64> = figures.iter().map(|f| f[i]).filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            continue;
        }
        let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        eprintln!(
            "{name:<17} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4}",
            v[0],
            p(0.005),
            p(0.01),
            p(0.5),
            p(0.99),
            p(0.995),
            v[v.len() - 1]
        );
    }
}
