//! What the page and the CLI show and export for one recording: the whole-clip prediction,
//! the kept intervals and, for long clips, a timeline of windowed predictions, and a summary
//! of the voice's pitch and loudness.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{EmotionModel, Prediction};
use crate::dsp::{CentredFrames, Interval, PitchParams, Prosody, ProsodySummary, Yin, YinFrame, original_sample};
use crate::error::Result;
use crate::pipeline::{Analysis, Quality};
use crate::stepwise::Stepwise;

/// One timeline window, in seconds of the original recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start_s: f64,
    pub end_s: f64,
    pub prediction: Prediction,
}

/// The derived serde form is the whole report, for moving it between threads (the page's
/// worker); [`Self::to_json`] is the format `ser` prints and the page exports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub whole: Prediction,
    pub kept: Vec<[f64; 2]>,
    pub duration_s: f64,
    pub timeline: Vec<Segment>,
    /// The whole-clip prediction is the mean of the timeline windows, not one model run over
    /// every frame (recordings too long to hold in memory).
    pub whole_from_windows: bool,
    /// Median pitch, pitch range and loudness range of the kept audio (`Prosody::summary`
    /// over `Analysis::kept_signal`, with `PitchParams::default()` at the analysis rate and
    /// hop). `None` where the whole signal was never held: recordings streamed from disk
    /// (`pipeline::analyse_long`), whose passes keep only model rows in memory.
    pub prosody: Option<ProsodySummary>,
    /// The pitch and loudness tracks that summary was made from, one value per frame of the
    /// kept audio (what the page draws; `Prosody::recording_time_s` places a frame in the
    /// recording). Not part of [`Self::to_json`]: `ser explain` prints them.
    pub prosody_track: Option<Prosody>,
    /// Every prediction is relative to a personal baseline ([`EmotionModel::with_baseline`]).
    pub voice_baseline: bool,
    /// The input-quality report ([`Analysis::quality`]); from a recording streamed from disk,
    /// without the noise and bandwidth figures (see [`Quality`]).
    pub quality: Option<Quality>,
}

impl Segment {
    /// The window of frames starting at `start` in the features of the joined `kept` audio,
    /// placed in seconds of the original recording.
    pub fn of_window(
        model: &EmotionModel,
        kept: &[Interval],
        sample_rate: u32,
        start: usize,
        prediction: Prediction,
    ) -> Self {
        let hop_samples = model.info().feature_params.hop_length;
        let window = model.window_frames();
        let joined_len: usize = kept.iter().map(Interval::len).sum();
        let first = (start * hop_samples).min(joined_len.saturating_sub(1));
        let last = ((start + window) * hop_samples).min(joined_len).saturating_sub(1);
        let sr = sample_rate as f64;
        Segment {
            start_s: original_sample(kept, first).0 as f64 / sr,
            end_s: (original_sample(kept, last).0 + 1) as f64 / sr,
            prediction,
        }
    }
}

/// The longest kept audio, in seconds, whose whole-clip prediction is one model run.
pub const WHOLE_CLIP_MAX_S: f64 = 60.0;

/// The mean of the windows' probabilities.
pub(crate) fn mean_prediction(timeline: &[Segment]) -> Prediction {
    let first = &timeline[0].prediction;
    let mut probabilities = vec![0.0f32; first.probabilities.len()];
    for s in timeline {
        for (m, p) in probabilities.iter_mut().zip(&s.prediction.probabilities) {
            *m += p / timeline.len() as f32;
        }
    }
    Prediction { labels: first.labels.clone(), probabilities, unsure_below: first.unsure_below }
}

/// Window start frames: every `hop` frames, plus one flush with the end.
pub fn window_starts(n_frames: usize, window: usize, hop: usize) -> Vec<usize> {
    if n_frames <= window || window == 0 {
        return Vec::new();
    }
    let last = n_frames - window;
    let mut starts: Vec<usize> = (0..=last).step_by(hop.max(1)).collect();
    if starts.last() != Some(&last) {
        starts.push(last);
    }
    starts
}

/// Samples of kept audio whose pitch one unit of [`Reporting`]'s budget covers: 1.5 s, the
/// timeline's hop, so a step's pitch work is about as long as its model windows' (150 YIN
/// frames, a few ms natively).
const PITCH_BLOCK: usize = 24_000;

/// YIN over the kept audio a block at a time, so a 20-minute recording's pitch never blocks
/// the page in one go. The kept intervals are framed as if joined end to end, without a copy
/// of the joined signal: the framer is a stream, and equals `prosody(&kept_signal, …)`.
struct PitchTrack {
    yin: Option<Yin>,
    framer: CentredFrames,
    frames: Vec<YinFrame>,
    /// Samples of the joined kept audio pushed so far, and how many there are.
    pushed: usize,
    total: usize,
    finished: bool,
}

impl PitchTrack {
    fn new(analysis: &Analysis, hop_length: usize) -> Self {
        let params = PitchParams { sample_rate: analysis.sample_rate, hop_length, ..PitchParams::default() };
        let total = analysis.kept.iter().map(Interval::len).sum();
        // Parameters YIN refuses (a sample rate too low for 600 Hz) leave the summary out
        // rather than failing the emotion result.
        let yin = Yin::new(&params).ok();
        let framer = CentredFrames::new(params.frame_length, params.hop_length);
        Self { finished: yin.is_none(), yin, framer, frames: Vec::new(), pushed: 0, total }
    }

    /// Frames up to `samples` more samples; true when every frame is done.
    fn step(&mut self, analysis: &Analysis, samples: usize) -> bool {
        let Some(yin) = self.yin.as_mut() else { return true };
        if self.finished {
            return true;
        }
        let end = self.pushed.saturating_add(samples).min(self.total);
        let mut start_of_interval = 0;
        for interval in &analysis.kept {
            let (lo, hi) = (start_of_interval, start_of_interval + interval.len());
            start_of_interval = hi;
            let (from, to) = (self.pushed.max(lo), end.min(hi));
            if from < to {
                let part = &analysis.signal[interval.start + from - lo..interval.start + to - lo];
                self.framer.push(part, |_, frame| self.frames.push(yin.frame(frame)));
            }
        }
        self.pushed = end;
        if self.pushed == self.total {
            self.framer.finish(|_, frame| self.frames.push(yin.frame(frame)));
            self.finished = true;
        }
        self.finished
    }

    /// No pitch tracking at all: [`Report::without_prosody`].
    fn none(hop_length: usize) -> Self {
        let framer = CentredFrames::new(PitchParams::default().frame_length, hop_length);
        Self { yin: None, framer, frames: Vec::new(), pushed: 0, total: 0, finished: true }
    }

    fn progress(&self) -> f64 {
        if self.total == 0 { 1.0 } else { self.pushed as f64 / self.total as f64 }
    }

    fn track(&self) -> Option<Prosody> {
        let yin = self.yin.as_ref()?;
        Some(Prosody::from_frames(&self.frames, yin.params()))
    }
}

/// [`Report::new`] in steps of a few model windows, for a caller that must not block.
pub struct Reporting<'a> {
    model: &'a EmotionModel,
    analysis: &'a Analysis,
    starts: Vec<usize>,
    timeline: Vec<Segment>,
    pitch: PitchTrack,
    quality: bool,
}

/// What a [`Report`] holds besides the whole-clip prediction and the kept audio. Each part
/// costs time on a short clip (the pitch track about a third of it, the quality report its
/// own spectra, the timeline one model run per window), so a caller with no place for one
/// leaves it out and the report's field is empty (`None`, or no windows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// The timeline windows. A recording whose whole-clip prediction is their mean
    /// ([`Report::whole_from_windows`]) has them either way.
    pub timeline: bool,
    /// The pitch and loudness track and its summary.
    pub prosody: bool,
    /// The input-quality report.
    pub quality: bool,
}

impl Parts {
    /// Everything: what the page shows and `ser predict` prints as JSON.
    pub const ALL: Parts = Parts { timeline: true, prosody: true, quality: true };
    /// The whole-clip prediction alone (a CSV row, an evaluation).
    pub const PREDICTION: Parts = Parts { timeline: false, prosody: false, quality: false };
}

impl<'a> Reporting<'a> {
    pub fn new(model: &'a EmotionModel, analysis: &'a Analysis) -> Self {
        Self::with_parts(model, analysis, Parts::ALL)
    }

    /// The same, making only `parts`: see [`Report::with_parts`].
    pub fn with_parts(model: &'a EmotionModel, analysis: &'a Analysis, parts: Parts) -> Self {
        let hop = model.info().feature_params.hop_length;
        let pitch = if parts.prosody { PitchTrack::new(analysis, hop) } else { PitchTrack::none(hop) };
        let starts = if parts.timeline || Report::whole_from_windows(model, analysis.features.n_frames) {
            Report::timeline_starts(model, analysis)
        } else {
            Vec::new()
        };
        Self { model, analysis, timeline: Vec::with_capacity(starts.len()), starts, pitch, quality: parts.quality }
    }
}

/// The budget is timeline windows, each with 1.5 s of pitch tracking; the whole-clip run is
/// the last step.
impl Stepwise for Reporting<'_> {
    type Output = Report;

    fn step(&mut self, budget: usize) -> Result<bool> {
        let budget = budget.max(1);
        let pitch_done = self.pitch.step(self.analysis, budget.saturating_mul(PITCH_BLOCK));
        let end = self.timeline.len().saturating_add(budget).min(self.starts.len());
        for &start in &self.starts[self.timeline.len()..end] {
            self.timeline.push(Report::segment(self.model, self.analysis, start)?);
        }
        Ok(pitch_done && self.timeline.len() == self.starts.len())
    }

    fn progress(&self) -> f64 {
        let windows = if self.starts.is_empty() { 1.0 } else { self.timeline.len() as f64 / self.starts.len() as f64 };
        // Pitch and windows cost about the same per second of audio.
        (windows + self.pitch.progress()) / 2.0
    }

    fn finish(mut self) -> Result<Report> {
        while !self.step(usize::MAX)? {}
        let whole = Report::whole(self.model, self.analysis, &self.timeline)?;
        let mut report = Report::from_parts(self.model, whole, self.analysis, self.timeline);
        report.prosody_track = self.pitch.track();
        report.prosody = report.prosody_track.as_ref().map(Prosody::summary);
        report.quality = self.quality.then(|| self.analysis.quality());
        Ok(report)
    }
}

impl Report {
    /// The whole-clip prediction and, for clips longer than the model's window, the timeline.
    /// [`Reporting`] does the same a few windows at a time.
    pub fn new(model: &EmotionModel, analysis: &Analysis) -> Result<Self> {
        Reporting::new(model, analysis).finish()
    }

    /// The report with only some of its [`Parts`], for a caller with no place for the rest (a
    /// CSV row, subtitles, an evaluation). What it holds is [`Self::new`]'s, bit for bit.
    ///
    /// ```
    /// use ser::{EmotionModel, Parts, PipelineOptions, Report, analyse_bytes};
    ///
    /// let model = EmotionModel::embedded()?;
    /// let bytes = std::fs::read("tests/fixtures/librosa/ravdess_01_angry.flac")?;
    /// let analysis = analyse_bytes(&bytes, &PipelineOptions::default())?;
    /// let row = Report::with_parts(&model, &analysis, Parts::PREDICTION)?;
    /// assert!(row.prosody.is_none() && row.quality.is_none());
    /// assert_eq!(row.whole, Report::new(&model, &analysis)?.whole);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_parts(model: &EmotionModel, analysis: &Analysis, parts: Parts) -> Result<Self> {
        Reporting::with_parts(model, analysis, parts).finish()
    }

    /// Whether the whole-clip prediction of `n_frames` kept frames is the mean of the timeline
    /// windows: beyond [`WHOLE_CLIP_MAX_S`] of kept audio one model run over every frame would
    /// freeze the page for seconds and hold hundreds of megabytes.
    pub fn whole_from_windows(model: &EmotionModel, n_frames: usize) -> bool {
        let p = &model.info().feature_params;
        let max_frames = (WHOLE_CLIP_MAX_S * p.sample_rate as f64 / p.hop_length as f64) as usize;
        n_frames > max_frames && n_frames > model.window_frames()
    }

    /// The whole-clip prediction, given the timeline: see [`Self::whole_from_windows`].
    fn whole(model: &EmotionModel, analysis: &Analysis, timeline: &[Segment]) -> Result<Prediction> {
        if Self::whole_from_windows(model, analysis.features.n_frames) && !timeline.is_empty() {
            Ok(mean_prediction(timeline))
        } else {
            model.predict(&analysis.features)
        }
    }

    /// Start frames of the timeline windows (none when the clip fits in one window).
    pub fn timeline_starts(model: &EmotionModel, analysis: &Analysis) -> Vec<usize> {
        window_starts(analysis.features.n_frames, model.window_frames(), model.hop_frames())
    }

    /// The prediction of the window starting at frame `start`, in seconds of the recording.
    fn segment(model: &EmotionModel, analysis: &Analysis, start: usize) -> Result<Segment> {
        let f = &analysis.features;
        let window = model.window_frames();
        let (frames, rows) = (model.input().frames(f), model.input_rows());
        let prediction = model.run(&frames[start * rows..(start + window) * rows], window)?;
        Ok(Segment::of_window(model, &analysis.kept, analysis.sample_rate, start, prediction))
    }

    fn from_parts(model: &EmotionModel, whole: Prediction, analysis: &Analysis, timeline: Vec<Segment>) -> Self {
        let whole_from_windows = !timeline.is_empty() && Self::whole_from_windows(model, analysis.features.n_frames);
        Self {
            whole,
            kept: analysis.kept_seconds(),
            duration_s: analysis.duration_s(),
            timeline,
            whole_from_windows,
            prosody: None,
            prosody_track: None,
            voice_baseline: model.has_baseline(),
            quality: None,
        }
    }

    fn probabilities_json(p: &Prediction) -> Value {
        let mut map = Map::new();
        for (label, prob) in p.iter() {
            map.insert(label.to_string(), json!(round6(prob)));
        }
        Value::Object(map)
    }

    /// The JSON object `ser predict` prints and the page exports. `voice_baseline` says whether
    /// the results are relative to a personal baseline. `prosody` holds the three
    /// figures of [`Self::prosody`], each `null` when no frame was voiced (noise, whispering:
    /// there is no pitch to summarise, and 0 would read as a measurement); the key is left out
    /// of a recording streamed from disk, which has no summary. `quality` holds the figures of
    /// [`Self::quality`] (`null` where not measured) and `warnings` its sentences, an empty
    /// list when nothing looks wrong.
    pub fn to_json(&self, file: &str) -> Value {
        let mut out = json!({
            "file": file,
            "emotion": self.whole.emotion(),
            "confidence": round6(self.whole.confidence()),
            "unsure": self.whole.unsure(),
            "verdict": self.whole.verdict(),
            "probabilities": Self::probabilities_json(&self.whole),
            "kept": self.kept.iter().map(|[a, b]| json!([round6(*a as f32), round6(*b as f32)])).collect::<Vec<_>>(),
            "duration_s": round6(self.duration_s as f32),
            "voice_baseline": self.voice_baseline,
        });
        if let Some(p) = &self.prosody {
            let round = |x: Option<f64>| x.map(|v| (v * 1e6).round() / 1e6);
            out["prosody"] = json!({
                "f0_median_hz": round(p.f0_median_hz),
                "f0_range_semitones": round(p.f0_range_semitones),
                "loudness_range_db": round(p.loudness_range_db),
            });
        }
        if let Some(q) = &self.quality {
            out["quality"] = quality_json(q);
            out["warnings"] = json!(q.warnings());
        }
        if self.whole_from_windows {
            out["whole_clip"] = json!("mean of the timeline windows");
        }
        if !self.timeline.is_empty() {
            out["timeline"] = Value::Array(
                self.timeline
                    .iter()
                    .map(|s| {
                        json!({
                            "start_s": round6(s.start_s as f32),
                            "end_s": round6(s.end_s as f32),
                            "emotion": s.prediction.emotion(),
                            "unsure": s.prediction.unsure(),
                            "verdict": s.prediction.verdict(),
                            "probabilities": Self::probabilities_json(&s.prediction),
                        })
                    })
                    .collect(),
            );
        }
        out
    }

    /// CSV export: one row for the whole clip, then one per timeline window.
    pub fn to_csv(&self, file: &str) -> String {
        let labels = &self.whole.labels;
        let mut out = String::from("file,scope,start_s,end_s,emotion,confidence");
        for l in labels.iter() {
            out.push_str(&format!(",p_{l}"));
        }
        out.push_str(",kept\n");
        let kept = self.kept.iter().map(|[a, b]| format!("{a:.3}-{b:.3}")).collect::<Vec<_>>().join(" ");
        let quoted = format!("\"{}\"", file.replace('"', "\"\""));
        let mut row = |scope: &str, start: f64, end: f64, p: &Prediction, kept: &str| {
            out.push_str(&format!("{quoted},{scope},{start:.3},{end:.3},{},{:.6}", p.emotion(), p.confidence()));
            for (_, prob) in p.iter() {
                out.push_str(&format!(",{prob:.6}"));
            }
            out.push_str(&format!(",{kept}\n"));
        };
        row("clip", 0.0, self.duration_s, &self.whole, &kept);
        for s in &self.timeline {
            row("window", s.start_s, s.end_s, &s.prediction, "");
        }
        out
    }
}

/// The quality figures, rounded to what they can honestly claim: 0.1 dB, 1 Hz, 1 ms.
fn quality_json(q: &Quality) -> Value {
    let r1 = |x: f64| (x * 10.0).round() / 10.0;
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    json!({
        "peak_dbfs": r1(q.peak_dbfs),
        "rms_dbfs": r1(q.rms_dbfs),
        "clipped_fraction": (q.clipped_fraction * 1e6).round() / 1e6,
        "snr_db": q.snr_db.map(r1),
        "speech_s": r3(q.speech_s),
        "source_sample_rate": q.source_sample_rate,
        "bandwidth_hz": q.bandwidth_hz.map(f64::round),
        "channels": q.channels,
        "truncation": q.truncation.map(|t| json!({"announced_s": r3(t.announced_s), "present_s": r3(t.present_s)})),
    })
}

fn round6(x: f32) -> f64 {
    (x as f64 * 1e6).round() / 1e6
}
