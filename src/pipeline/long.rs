//! Recordings too long to hold in memory (an hour-long lecture), analysed from a source that
//! can be opened again, in three streaming passes. Each pass decodes and resamples in blocks,
//! so memory stays bounded whatever the length:
//!
//! 1. level statistics and the frame power silence detection needs → the kept intervals;
//! 2. the log-mel spectrogram of the kept audio → its peak, which the dB floor needs;
//! 3. the log-mel rows again, floored (and their MFCCs) → the model over each timeline window
//!    as soon as it is complete.
//!
//! The report equals what the in-memory pipeline gives for the same audio: the timeline, and
//! the whole-clip prediction, which beyond a minute is the mean of the windows (see
//! [`Report::whole_from_windows`]).

use symphonia::core::io::MediaSource;

use super::load::ToAnalysisRate;
use super::{LevelStats, PipelineOptions, Quality, check_kept, refuse_silent_source};
use crate::audio::SourceStats;
use crate::dsp::frames::CentredFrames;
use crate::dsp::trim::{kept_intervals_from_power, mean_square};
use crate::dsp::{Interval, LogMelStream, LogMelToMfcc};
use crate::error::{Result, SerError};
use crate::model::report::mean_prediction;
use crate::model::{EmotionModel, ModelInput, Report, Segment, window_starts};

/// The longest recording analysed by streaming.
pub const MAX_STREAM_SECONDS: f64 = 12.0 * 3600.0;

/// Opens the recording afresh, from its start.
pub type Open<'a, 's> = dyn FnMut() -> Result<Box<dyn MediaSource + 's>> + 'a;

/// Streams one pass over the recording at the analysis rate, calling `each` per block.
/// Returns the number of samples at the analysis rate, the levels at the file's own rate and
/// what the quality report needs of the source.
fn pass(
    open: &mut Open<'_, '_>,
    options: &PipelineOptions,
    mut each: impl FnMut(&[f32]) -> Result<()>,
) -> Result<(usize, LevelStats, SourceStats)> {
    let mut stream = ToAnalysisRate::new(open()?, options.params.sample_rate)?;
    let mut block = Vec::new();
    let mut total = 0;
    loop {
        block.clear();
        let more = stream.next_into(&mut block)?;
        total += block.len();
        each(&block)?;
        let seconds = stream.decoder.decoded_seconds();
        if seconds > MAX_STREAM_SECONDS {
            let got = stream.decoder.expected_seconds().filter(|&e| e > seconds).unwrap_or(seconds);
            return Err(SerError::TooLong { got, limit: MAX_STREAM_SECONDS });
        }
        if !more {
            return Ok((total, stream.source_levels, stream.decoder.source_stats()));
        }
    }
}

/// Passes on only the samples inside the kept intervals of a stream, joined end to end.
struct KeptSamples<'k> {
    kept: &'k [Interval],
    position: usize,
}

impl<'k> KeptSamples<'k> {
    fn new(kept: &'k [Interval]) -> Self {
        Self { kept, position: 0 }
    }

    fn select(&mut self, block: &[f32], mut each: impl FnMut(&[f32])) {
        let (start, end) = (self.position, self.position + block.len());
        for i in self.kept {
            let (lo, hi) = (i.start.max(start), i.end.min(end));
            if lo < hi {
                each(&block[lo - start..hi - start]);
            }
        }
        self.position = end;
    }
}

/// Analyses a long recording. `open` is called once per pass; `progress` gets the fraction done.
pub fn analyse_long(
    open: &mut Open<'_, '_>,
    model: &EmotionModel,
    options: &PipelineOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<Report> {
    let sr = options.params.sample_rate;
    let silence = options.silence();

    // Pass 1: levels and silence.
    let mut stats = LevelStats::default();
    let mut framer = CentredFrames::new(silence.frame_length, silence.hop_length);
    let mut power = Vec::new();
    let (n, source_levels, source) = pass(open, options, |block| {
        stats.add(block);
        framer.push(block, |_, f| power.push(mean_square(f)));
        Ok(())
    })?;
    framer.finish(|_, f| power.push(mean_square(f)));
    progress(1.0 / 3.0);
    stats.check(options)?;
    refuse_silent_source(&source_levels, n, options)?;
    let kept = if options.trim {
        kept_intervals_from_power(&power, n, &silence, options.max_pause_samples())
    } else {
        vec![Interval { start: 0, end: n }]
    };
    drop(power);
    let kept = check_kept(kept, options)?;
    let kept_len: usize = kept.iter().map(Interval::len).sum();
    let n_frames = options.params.n_frames(kept_len);

    // Pass 2: the log-mel peak of the kept audio.
    let mut log_mel = LogMelStream::new(&options.params);
    let mut peak_db = f32::NEG_INFINITY;
    let mut track_peak = |row: &[f32]| peak_db = row.iter().fold(peak_db, |m, &v| m.max(v));
    let mut selector = KeptSamples::new(&kept);
    let mut speech_energy = 0.0f64;
    pass(open, options, |block| {
        selector.select(block, |part| {
            speech_energy += part.iter().map(|&s| (s as f64) * (s as f64)).sum::<f64>();
            log_mel.push(part, &mut track_peak)
        });
        Ok(())
    })?;
    log_mel.finish(&mut track_peak);
    progress(2.0 / 3.0);

    // Pass 3: the model's input frames (floored log-mel rows or their MFCCs), and the model
    // over each window once its last frame is in.
    let (n_rows, window) = (model.input_rows(), model.window_frames());
    let starts = window_starts(n_frames, window, model.hop_frames());
    let mut windows = WindowRunner {
        model,
        kept: &kept,
        sample_rate: sr,
        starts: &starts,
        next: 0,
        first_frame: 0,
        frames: Vec::new(),
        n_rows,
        timeline: Vec::with_capacity(starts.len()),
        error: None,
        frames_seen: 0,
        keep_all: !Report::whole_from_windows(model, n_frames),
    };
    let to_mfcc = LogMelToMfcc::new(&options.params);
    let mut mfcc = vec![0.0f32; options.params.n_mfcc];
    let mut row_buf = vec![0.0f32; options.params.n_mels];
    let mut on_row = |windows: &mut WindowRunner, row: &[f32]| {
        row_buf.copy_from_slice(row);
        // The DCT only when the model reads MFCCs.
        match model.input() {
            ModelInput::Mfcc => to_mfcc.apply(&mut row_buf, peak_db, &mut mfcc),
            ModelInput::LogMel => to_mfcc.floor(&mut row_buf, peak_db),
        }
        windows.add_frame(model.input().pick(&row_buf, &mfcc));
    };
    let mut selector = KeptSamples::new(&kept);
    pass(open, options, |block| {
        selector.select(block, |part| log_mel.push(part, |row| on_row(&mut windows, row)));
        progress(2.0 / 3.0 + windows.frames_seen as f64 / n_frames.max(1) as f64 / 3.0);
        windows.error.take().map_or(Ok(()), Err)
    })?;
    log_mel.finish(|row| on_row(&mut windows, row));
    if let Some(e) = windows.error.take() {
        return Err(e);
    }
    let from_windows = Report::whole_from_windows(model, n_frames);
    let whole = if from_windows {
        mean_prediction(&windows.timeline)
    } else {
        // Short enough for one model run over every frame, as in memory: all were kept.
        let frames = windows.frames.len() / n_rows;
        model.run(&windows.frames, frames)?
    };
    progress(1.0);
    Ok(Report {
        whole,
        kept: kept.iter().map(|i| i.seconds(sr)).collect(),
        duration_s: n as f64 / sr as f64,
        whole_from_windows: from_windows,
        timeline: windows.timeline,
        // The passes hold model rows, never the signal; see `Report::prosody`.
        prosody: None,
        prosody_track: None,
        voice_baseline: model.has_baseline(),
        // Noise and bandwidth need the frames of the whole signal; the levels, clipping,
        // speech kept and truncation are as in memory.
        quality: Some(Quality::from_parts(
            &source,
            kept_len as f64 / sr as f64,
            speech_energy / kept_len.max(1) as f64,
            None,
            None,
        )),
    })
}

/// Holds the input frames of the windows not yet run, and runs each window when complete.
struct WindowRunner<'a> {
    model: &'a EmotionModel,
    kept: &'a [Interval],
    sample_rate: u32,
    starts: &'a [usize],
    next: usize,
    /// Frame index of `frames[0]`.
    first_frame: usize,
    frames: Vec<f32>,
    /// Values per frame.
    n_rows: usize,
    timeline: Vec<Segment>,
    error: Option<SerError>,
    frames_seen: usize,
    /// Keep every frame, for one whole-clip model run at the end.
    keep_all: bool,
}

impl WindowRunner<'_> {
    fn add_frame(&mut self, frame: &[f32]) {
        self.frames.extend_from_slice(frame);
        self.frames_seen += 1;
        let window = self.model.window_frames();
        let held = self.frames.len() / self.n_rows;
        while let Some(&start) = self.starts.get(self.next) {
            if start + window > self.first_frame + held || self.error.is_some() {
                break;
            }
            let from = (start - self.first_frame) * self.n_rows;
            match self.model.run(&self.frames[from..from + window * self.n_rows], window) {
                Ok(p) => self.timeline.push(Segment::of_window(self.model, self.kept, self.sample_rate, start, p)),
                Err(e) => self.error = Some(e),
            }
            self.next += 1;
        }
        // Frames before the next window's start are no longer needed.
        if self.keep_all {
            return;
        }
        let drop = match self.starts.get(self.next) {
            Some(&next_start) => next_start.saturating_sub(self.first_frame).min(held),
            None => held,
        };
        self.frames.drain(..drop * self.n_rows);
        self.first_frame += drop;
    }
}
