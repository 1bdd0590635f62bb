//! How `ser predict` writes a [`Report`]: JSON lines (the library's `to_json`), CSV, and the
//! timeline as WebVTT or SRT subtitles to play beside the recording.
//!
//! Each input's output is rendered whole, then written in one call, so an interrupted run
//! leaves only complete lines (and complete cues).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use ser::{Parts, Prediction, Report};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per file (the default).
    Jsonl,
    /// One row per file, or with --timeline one row per timeline window.
    Csv,
    /// WebVTT subtitles: one cue per timeline window.
    Vtt,
    /// SubRip subtitles: one cue per timeline window.
    Srt,
}

impl Format {
    /// Subtitles describe one recording, so they need one output file per input.
    pub fn one_file_per_input(self) -> bool {
        matches!(self, Format::Vtt | Format::Srt)
    }

    /// What of a report this output shows (with `timeline`: `--timeline`), so that nothing
    /// else is computed: JSON lines show everything; a CSV row and subtitles only predictions.
    pub fn parts(self, timeline: bool) -> Parts {
        match self {
            Format::Jsonl => Parts::ALL,
            Format::Csv => Parts { timeline, ..Parts::PREDICTION },
            Format::Vtt | Format::Srt => Parts { timeline: true, ..Parts::PREDICTION },
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Vtt => "vtt",
            Format::Srt => "srt",
        }
    }

    /// What comes before the first result (the CSV header).
    pub fn header(self, labels: &[String], timeline: bool) -> Vec<u8> {
        if self != Format::Csv {
            return Vec::new();
        }
        let probabilities = labels.iter().map(|l| format!("p_{l}"));
        let columns: Vec<String> = if timeline {
            ["file", "start_s", "end_s", "emotion", "confidence", "unsure"]
                .map(String::from)
                .into_iter()
                .chain(probabilities)
                .collect()
        } else {
            ["file", "emotion", "confidence", "unsure"]
                .map(String::from)
                .into_iter()
                .chain(probabilities)
                .chain(["duration_s", "kept_s"].map(String::from))
                .collect()
        };
        csv_rows([columns])
    }

    /// The output for one input, named `file`.
    pub fn render(self, report: &Report, file: &str, timeline: bool) -> Vec<u8> {
        match self {
            Format::Jsonl => format!("{}\n", report.to_json(file)).into_bytes(),
            Format::Csv if timeline => {
                csv_rows(windows(report).map(|(start, end, p)| {
                    [vec![file.to_string(), seconds(start), seconds(end)], prediction(p)].concat()
                }))
            }
            Format::Csv => {
                let kept: f64 = report.kept.iter().map(|[a, b]| b - a).sum();
                csv_rows([[
                    vec![file.to_string()],
                    prediction(&report.whole),
                    vec![seconds(report.duration_s), seconds(kept)],
                ]
                .concat()])
            }
            Format::Vtt => {
                let mut out = String::from("WEBVTT\n\n");
                for (start, end, p) in cues(report) {
                    out += &format!("{} --> {}\n{}\n\n", vtt_time(start), vtt_time(end), cue_text(p));
                }
                out.into_bytes()
            }
            Format::Srt => {
                let mut out = String::new();
                for (n, (start, end, p)) in cues(report).enumerate() {
                    out += &format!("{}\n{} --> {}\n{}\n\n", n + 1, srt_time(start), srt_time(end), cue_text(p));
                }
                out.into_bytes()
            }
        }
    }
}

fn csv_rows(rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for row in rows {
        // Writing to memory fails only on a bug in the csv crate; the row is then left out.
        let _ = writer.write_record(row);
    }
    writer.into_inner().unwrap_or_default()
}

fn seconds(s: f64) -> String {
    format!("{s:.3}")
}

/// Emotion, confidence, whether it is "not sure" and every probability, as in the JSON (six
/// decimals).
fn prediction(p: &Prediction) -> Vec<String> {
    let mut row = vec![p.emotion().to_string(), format!("{:.6}", p.confidence()), p.unsure().to_string()];
    row.extend(p.probabilities.iter().map(|x| format!("{x:.6}")));
    row
}

/// The timeline windows, or for a clip shorter than one window the whole clip over its kept
/// audio (from the first kept sample to the last: what the prediction is about).
fn windows(report: &Report) -> Box<dyn Iterator<Item = (f64, f64, &Prediction)> + '_> {
    if report.timeline.is_empty() {
        let start = report.kept.first().map_or(0.0, |k| k[0]);
        let end = report.kept.last().map_or(report.duration_s, |k| k[1]);
        Box::new(std::iter::once((start, end, &report.whole)))
    } else {
        Box::new(report.timeline.iter().map(|s| (s.start_s, s.end_s, &s.prediction)))
    }
}

/// Subtitle cues: the windows, each shown until the next window starts. The windows overlap
/// (3 s every 1.5 s), and overlapping cues would stack two verdicts on screen at once; the
/// exact windows are in the JSON and CSV.
fn cues(report: &Report) -> impl Iterator<Item = (f64, f64, &Prediction)> {
    let all: Vec<_> = windows(report).collect();
    let starts: Vec<f64> = all.iter().map(|w| w.0).skip(1).collect();
    all.into_iter().enumerate().map(move |(i, (start, end, p))| (start, starts.get(i).copied().unwrap_or(end), p))
}

/// "happy 0.72", or "not sure: sad or calm 0.41" below the model's calibrated threshold.
fn cue_text(p: &Prediction) -> String {
    format!("{} {:.2}", p.verdict(), p.confidence())
}

fn millis(s: f64) -> u64 {
    (s.max(0.0) * 1000.0).round() as u64
}

/// `mm:ss.ttt`, with hours in front only for an hour or more (both are valid WebVTT).
fn vtt_time(s: f64) -> String {
    let ms = millis(s);
    let (h, m, sec, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    if h > 0 { format!("{h:02}:{m:02}:{sec:02}.{ms:03}") } else { format!("{m:02}:{sec:02}.{ms:03}") }
}

/// `hh:mm:ss,ttt`, as SRT requires.
fn srt_time(s: f64) -> String {
    let ms = millis(s);
    format!("{:02}:{:02}:{:02},{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// Where results go: standard output, one file, or one file per input in a folder.
pub enum Destination {
    Stdout,
    File { path: PathBuf, file: Option<File> },
    Folder(PathBuf),
}

/// Why writing stopped.
pub enum WriteError {
    /// Standard output was closed (`ser predict … | head`): stop quietly.
    Closed,
    /// A sentence for stderr.
    Failed(String),
}

impl Destination {
    /// Writes one input's output, whole, in one call. Files are created when first written,
    /// so a run in which every input fails leaves no empty file behind.
    pub fn write(&mut self, bytes: &[u8], out_stem: &Path, format: Format) -> Result<(), WriteError> {
        match self {
            Destination::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush()).map_err(|_| WriteError::Closed)
            }
            Destination::File { path, file } => {
                let cannot = |e: std::io::Error| WriteError::Failed(format!("{}: cannot write ({e}).", path.display()));
                if file.is_none() {
                    *file = Some(File::create(&*path).map_err(cannot)?);
                }
                file.as_mut().map_or(Ok(()), |f| f.write_all(bytes)).map_err(cannot)
            }
            Destination::Folder(folder) => {
                let path = per_input_path(folder, out_stem, format);
                let cannot = |e: std::io::Error| WriteError::Failed(format!("{}: cannot write ({e}).", path.display()));
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(cannot)?;
                }
                std::fs::write(&path, bytes).map_err(cannot)
            }
        }
    }
}

/// `<folder>/<stem>.<ext>`; the stem keeps any dots of its own ("take.2" → "take.2.vtt").
pub fn per_input_path(folder: &Path, out_stem: &Path, format: Format) -> PathBuf {
    let mut name = folder.join(out_stem).into_os_string();
    name.push(".");
    name.push(format.extension());
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_each_format_requires() {
        assert_eq!(vtt_time(3.0), "00:03.000");
        assert_eq!(vtt_time(61.2345), "01:01.235");
        assert_eq!(vtt_time(3600.0 + 62.5), "01:01:02.500");
        assert_eq!(srt_time(3.0), "00:00:03,000");
        assert_eq!(srt_time(3600.0 + 62.5), "01:01:02,500");
    }

    #[test]
    fn per_input_paths_keep_dots_and_subfolders() {
        let p = per_input_path(Path::new("out"), Path::new("day1/take.2"), Format::Vtt);
        assert_eq!(p, Path::new("out/day1/take.2.vtt"));
    }
}
