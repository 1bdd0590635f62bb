//! Live mode: the emotion of the last few seconds while a recording is still arriving.
//!
//! Audio comes in blocks at the device's rate. [`LiveStream`] resamples it to 16 kHz with the
//! same streaming [`MonoResampler`] the loaders use, computes its log-mel rows with the same
//! streaming [`LogMelStream`] as every analysis (so each row equals the batch log-mel's row of
//! the recording so far, before the `db_top_db` floor) and keeps the last model window of them.
//! [`LiveStream::reading`] judges that window as if it were a clip of its own: the rows floored
//! at the window's own peak, the MFCCs their DCT, one model run.
//!
//! **When the window holds no speech** the reading says so instead of guessing. The rule uses
//! the trim's own frames and threshold (`librosa.effects.trim`: 2048-sample frames every 512,
//! silent when more than `top_db` = 30 dB below the loudest): the window holds speech when one
//! of its trim frames is within `top_db` of the loudest trim frame of the recording so far
//! **and** above [`LIVE_FLOOR_DBFS`] (an absolute floor, since at the start of a recording
//! the loudest frame so far may be room noise).

use crate::audio::MonoResampler;
use crate::dsp::{CentredFrames, FeatureParams, LogMelStream, LogMelToMfcc, mean_square};
use crate::error::Result;
use crate::model::{EmotionModel, MIN_FRAMES, ModelInput, Prediction};
use serde::{Deserialize, Serialize};

/// The quietest trim frame (mean square, in dB relative to full scale) that counts as speech
/// in live mode: -55 dBFS RMS, about 25 dB under conversational speech at a laptop microphone
/// and well above a quiet room.
pub const LIVE_FLOOR_DBFS: f64 = -55.0;

/// How often a reading is due: every 10 frames (0.1 s) of new audio. The resampler hands
/// out 16 kHz audio in blocks of 64-70 ms, so in practice a reading comes every other block,
/// about every 0.13-0.14 s.
pub const LIVE_EVERY_FRAMES: usize = 10;

/// One live reading: the window `[start_s, end_s)` of the recording (16 kHz time) and the
/// model's answer, or `None` when the window holds no speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveReading {
    pub start_s: f64,
    pub end_s: f64,
    pub prediction: Option<Prediction>,
}

/// A recording judged while it arrives: see the module's documentation.
pub struct LiveStream {
    params: FeatureParams,
    resampler: MonoResampler,
    log_mel: LogMelStream,
    to_mfcc: LogMelToMfcc,
    trim_frames: CentredFrames,
    /// Frames in one model window.
    window: usize,
    /// Unfloored log-mel rows of frames `rows_from..frames`, frame-major (at most two windows).
    rows: Vec<f32>,
    rows_from: usize,
    /// Log-mel frames so far, and where the last [`Self::push`]'s began.
    frames: usize,
    new_from: usize,
    /// Trim-frame powers of trim frames `power_from..`, and the loudest of the whole recording.
    power: Vec<f64>,
    power_from: usize,
    loudest: f64,
    /// The loudest log-mel cell so far, dB.
    peak_db: f32,
    /// Device-rate samples pushed, and the 16 kHz samples they have become so far.
    samples_in: usize,
    samples_16k: usize,
    /// Frames at the last reading.
    read_at: usize,
    scratch: Vec<f32>,
}

impl LiveStream {
    /// A stream for `model`'s window, of audio at `sample_rate`.
    pub fn new(model: &EmotionModel, sample_rate: u32) -> Result<Self> {
        let params = model.info().feature_params.clone();
        Ok(Self {
            resampler: MonoResampler::new(sample_rate, params.sample_rate)?,
            log_mel: LogMelStream::new(&params),
            to_mfcc: LogMelToMfcc::new(&params),
            trim_frames: CentredFrames::new(params.trim_frame_length, params.trim_hop_length),
            window: model.window_frames(),
            rows: Vec::new(),
            rows_from: 0,
            frames: 0,
            new_from: 0,
            power: Vec::new(),
            power_from: 0,
            loudest: 0.0,
            peak_db: f32::NEG_INFINITY,
            samples_in: 0,
            samples_16k: 0,
            read_at: 0,
            scratch: Vec::new(),
            params,
        })
    }

    /// Adds a block of samples at the device's rate.
    pub fn push(&mut self, samples: &[f32]) -> Result<()> {
        self.samples_in += samples.len();
        self.new_from = self.frames;
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        self.resampler.process_into_buffer(samples, &mut out)?;
        self.samples_16k += out.len();
        let Self { log_mel, rows, frames, peak_db, trim_frames, power, .. } = self;
        log_mel.push(&out, |row| {
            *peak_db = row.iter().fold(*peak_db, |m, &v| m.max(v));
            rows.extend_from_slice(row);
            *frames += 1;
        });
        let loudest = &mut self.loudest;
        trim_frames.push(&out, |_, frame| {
            let p = mean_square(frame);
            *loudest = loudest.max(p);
            power.push(p);
        });
        self.scratch = out;
        // Keep two windows of rows and their trim frames; drop the rest a window at a time.
        let n_mels = self.params.n_mels;
        let held = self.rows.len() / n_mels;
        if held > 2 * self.window {
            // The rows this push added stay, however many there are.
            let drop = held - self.window.max(self.frames - self.new_from);
            self.rows.drain(..drop * n_mels);
            self.rows_from += drop;
            let first_sample = self.rows_from * self.params.hop_length;
            let keep_power_from = first_sample / self.params.trim_hop_length;
            if keep_power_from > self.power_from {
                self.power.drain(..(keep_power_from - self.power_from).min(self.power.len()));
                self.power_from = keep_power_from;
            }
        }
        Ok(())
    }

    /// The unfloored log-mel rows (dB) that the last [`Self::push`] completed, frame-major.
    pub fn new_rows(&self) -> &[f32] {
        let n_mels = self.params.n_mels;
        &self.rows[(self.new_from - self.rows_from) * n_mels..]
    }

    /// The loudest log-mel cell so far, in dB (for drawing the rows on one scale).
    pub fn peak_db(&self) -> f32 {
        self.peak_db
    }

    /// Device-rate samples pushed so far.
    pub fn samples_in(&self) -> usize {
        self.samples_in
    }

    /// Log-mel frames computed so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Whether [`LIVE_EVERY_FRAMES`] new frames have come since the last reading.
    pub fn reading_due(&self) -> bool {
        self.frames >= self.read_at + LIVE_EVERY_FRAMES && self.frames >= MIN_FRAMES
    }

    /// The emotion of the last window (up to the model's window; `None` before
    /// [`MIN_FRAMES`] frames), judged as a clip of its own.
    pub fn reading(&mut self, model: &EmotionModel) -> Result<Option<LiveReading>> {
        if self.frames < MIN_FRAMES {
            return Ok(None);
        }
        self.read_at = self.frames;
        let n_mels = self.params.n_mels;
        let n = self.window.min(self.frames);
        let first = self.frames - n;
        let (hop, sr) = (self.params.hop_length, self.params.sample_rate as f64);
        let start_s = (first * hop) as f64 / sr;
        let end_s = (self.frames * hop) as f64 / sr;
        let window_rows = &self.rows[(first - self.rows_from) * n_mels..];
        let prediction = if self.speech_in(first) { Some(self.judge(model, window_rows, n)?) } else { None };
        Ok(Some(LiveReading { start_s, end_s, prediction }))
    }

    /// The speech rule of the module's documentation, over the trim frames centred in the
    /// window that starts at log-mel frame `first`.
    fn speech_in(&self, first: usize) -> bool {
        let from = (first * self.params.hop_length).div_ceil(self.params.trim_hop_length);
        let relative = self.loudest * 10f64.powf(-self.params.top_db / 10.0);
        let floor = 10f64.powf(LIVE_FLOOR_DBFS / 10.0).max(relative);
        let skip = from.saturating_sub(self.power_from);
        self.power.iter().skip(skip).any(|&p| p > floor)
    }

    fn judge(&self, model: &EmotionModel, window_rows: &[f32], n: usize) -> Result<Prediction> {
        let (n_mels, n_mfcc) = (self.params.n_mels, self.params.n_mfcc);
        let mut rows = window_rows.to_vec();
        let peak = rows.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        // The floored rows, and their MFCCs when the model reads those (one model call either way).
        let wants_mfcc = model.input() == ModelInput::Mfcc;
        let mut mfcc = vec![0.0; if wants_mfcc { n * n_mfcc } else { 0 }];
        for (t, row) in rows.chunks_exact_mut(n_mels).enumerate() {
            match mfcc.get_mut(t * n_mfcc..(t + 1) * n_mfcc) {
                Some(out) => self.to_mfcc.apply(row, peak, out),
                None => self.to_mfcc.floor(row, peak),
            }
        }
        model.run(if wants_mfcc { &mfcc } else { &rows }, n)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::audio::resample;
    use crate::dsp::FeatureExtractor;

    /// A 48 kHz "voice": a gliding tone in bursts, then silence.
    fn voice(seconds: f64, silent_from: f64) -> Vec<f32> {
        let sr = 48_000.0;
        (0..(seconds * sr) as usize)
            .map(|i| {
                let t = i as f64 / sr;
                let on = t < silent_from && (t * 3.0).fract() < 0.8;
                let f = 140.0 + 60.0 * (t * 1.3).sin();
                if on { (0.3 * (2.0 * std::f64::consts::PI * f * t).sin()) as f32 } else { 0.0 }
            })
            .collect()
    }

    #[test]
    fn live_rows_equal_the_batch_log_mel_and_the_reading_judges_the_last_window() {
        let model = EmotionModel::embedded().unwrap();
        let audio = voice(5.0, 10.0);
        let mut live = LiveStream::new(&model, 48_000).unwrap();
        let mut rows = Vec::new();
        // Blocks of the worklet's size and odd ones.
        for block in audio.chunks(4096).flat_map(|b| b.chunks(1500)) {
            live.push(block).unwrap();
            rows.extend_from_slice(live.new_rows());
        }
        assert_eq!(live.samples_in(), audio.len());
        let n_mels = model.info().feature_params.n_mels;
        assert_eq!(rows.len(), live.frames() * n_mels);

        // The batch log-mel of the same audio, resampled whole: floored at its peak - 80 dB.
        let signal = resample(&audio, 48_000, 16_000).unwrap();
        let batch = FeatureExtractor::new(&model.info().feature_params).compute(&signal);
        assert!(live.frames() > 400 && live.frames() < batch.n_frames, "{} frames live", live.frames());
        let floor = batch.log_mel.iter().copied().fold(f32::NEG_INFINITY, f32::max) - 80.0;
        for (t, row) in rows.chunks_exact(n_mels).enumerate() {
            for (m, (&a, &b)) in row.iter().zip(batch.log_mel_frame(t)).enumerate() {
                assert!((a.max(floor) - b).abs() < 1e-3, "frame {t} band {m}: {a} vs {b}");
            }
        }

        // The reading equals the model on the last window's batch rows, floored at their peak.
        let reading = live.reading(&model).unwrap().unwrap();
        let window = model.window_frames();
        let first = live.frames() - window;
        assert!((reading.end_s - live.frames() as f64 * 0.01).abs() < 1e-9);
        assert!((reading.end_s - reading.start_s - window as f64 * 0.01).abs() < 1e-9);
        let mut want: Vec<f32> = rows[first * n_mels..].to_vec();
        let peak = want.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let extractor = FeatureExtractor::new(&model.info().feature_params);
        let n_mfcc = model.info().feature_params.n_mfcc;
        let mut mfcc = vec![0.0; window * n_mfcc];
        for (row, out) in want.chunks_exact_mut(n_mels).zip(mfcc.chunks_exact_mut(n_mfcc)) {
            extractor.finish_frame(row, peak, out);
        }
        let input = match model.input() {
            ModelInput::LogMel => want,
            ModelInput::Mfcc => mfcc,
        };
        let expected = model.run(&input, window).unwrap();
        let got = reading.prediction.expect("speech in the window");
        for (a, b) in got.probabilities.iter().zip(&expected.probabilities) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
        assert!(!live.reading_due(), "a reading was just taken");
    }

    #[test]
    fn a_window_without_speech_is_listening_and_speech_again_is_judged() {
        let model = EmotionModel::embedded().unwrap();
        let mut live = LiveStream::new(&model, 48_000).unwrap();
        // 0.3 s: too little for the model.
        let audio = voice(12.0, 3.0);
        live.push(&audio[..14_400]).unwrap();
        assert!(live.reading(&model).unwrap().is_none());
        // Speech up to 3 s: judged.
        live.push(&audio[14_400..48_000 * 3]).unwrap();
        assert!(live.reading(&model).unwrap().unwrap().prediction.is_some());
        // 3 s later the window is all silence: listening.
        live.push(&audio[48_000 * 3..48_000 * 7]).unwrap();
        let quiet = live.reading(&model).unwrap().unwrap();
        assert!(quiet.prediction.is_none() && quiet.start_s > 3.2, "{quiet:?}");
        // Quiet noise at -70 dBFS on its own, from the start: under the absolute floor.
        let mut hum = LiveStream::new(&model, 16_000).unwrap();
        let noise: Vec<f32> = (0..32_000).map(|i| 3e-4 * ((i as f32) * 0.7).sin()).collect();
        hum.push(&noise).unwrap();
        assert!(hum.reading(&model).unwrap().unwrap().prediction.is_none());
        // Two minutes of pushing keeps at most two windows of rows.
        for _ in 0..30 {
            live.push(&audio[..48_000 * 4]).unwrap();
        }
        assert!(live.rows.len() <= (2 * model.window_frames() + 500) * model.info().feature_params.n_mels);
        assert!(live.reading(&model).unwrap().unwrap().prediction.is_some());
    }
}
