//! The input-quality report: what may be wrong with a recording, in figures and in plain
//! sentences, so that a surprising answer can be traced to the microphone rather than the voice.
//!
//! Every figure describes what the model hears or what it was made from:
//!
//! - `peak_dbfs`: the largest sample of any channel, before resampling, in dB of full scale.
//! - `rms_dbfs`: the level of the speech kept after trimming silence, at 16 kHz.
//! - `clipped_fraction`: the share of samples (all channels, before resampling) within 0.1 dB
//!   of full scale ([`CLIP_LEVEL`](crate::audio::CLIP_LEVEL)).
//! - `snr_db`: the mean power of the speech frames over the noise floor, both above 150 Hz
//!   (below it is hum and rumble), where speech frames are the 25 ms frames inside the kept
//!   intervals within 30 dB (the trimmer's default `top_db`) of the loudest, and the noise
//!   floor is the 10th percentile of all frames' power. With
//!   pauses in the recording that percentile is the background between or around the words;
//!   without any pause it is the quietest tenth of the speech, so the figure is then a lower
//!   bound: the background can be no louder than the quietest moments.
//! - `speech_s`: the audio kept after trimming silence, which is what the model reads.
//! - `bandwidth_hz`: where the spectrum really ends. The long-term average spectrum of the
//!   speech frames (smoothed over 5 bins, 156 Hz) is compared with its loudest point below
//!   4 kHz; the bandwidth is the highest frequency still within [`BANDWIDTH_DROP_DB`] of it.
//!   Measured at 16 kHz, so it is at most 8 kHz whatever the file's own rate: the model
//!   hears no higher. A telephone recording (8 kHz) ends near 4 kHz.
//! - `truncation`: a file whose header announces more audio than it holds.
//!
//! The warning thresholds come from the training data's own distribution; see each constant.

use serde::{Deserialize, Serialize};

use super::Analysis;
use crate::audio::SourceStats;
use crate::dsp::Interval;
use crate::dsp::PowerStft;

/// Frames for the noise and spectrum figures: 25 ms every 10 ms at 16 kHz.
const FRAME: usize = 400;
const HOP: usize = 160;
const N_FFT: usize = 512;
/// The noise floor is this percentile of the frames' power.
const NOISE_PERCENTILE: f64 = 0.10;
/// At most this many speech frames go into the average spectrum, evenly spread, so that a
/// 20-minute recording costs the page no more than a 15 s one.
const MAX_SPECTRUM_FRAMES: usize = 1_500;
/// The band where every recording, a telephone call included, has its speech energy.
const SPEECH_BAND_HZ: (f64, f64) = (100.0, 4_000.0);
/// Speech frames are those within this of the loudest frame: the silence trimmer's default
/// `top_db`, fixed here so that the figures mean the same whatever trimming was asked for.
const SPEECH_TOP_DB: f64 = 30.0;
/// The noise figure counts the power above this frequency only. Mains hum and room rumble sit
/// below it and mask little of the voice: a third of SAVEE's clips carry a steady hum barely
/// under their speech level, yet read 37 dB or more above the background without it.
const NOISE_BAND_FROM_HZ: f64 = 150.0;
/// Power floor: −100 dBFS, so digital silence gives a finite figure.
const POWER_FLOOR: f64 = 1e-10;

/// How far below its speech-band level the average spectrum may fall and still count as
/// sound. Above the bandwidth so measured, clean training speech is masked by nothing but
/// the resampler's own roll-off.
pub const BANDWIDTH_DROP_DB: f64 = 50.0;

// The thresholds below were chosen from the training corpora's own figures, so that a
// recording like those the model learnt from gets no warning: `models/train/quality_stats.rs`
// (`cargo run --release --example quality_stats`) over the 4,480 clips of
// `../shared/data/manifest.csv` (RAVDESS 1,200, SAVEE 480, TESS 2,800; 16 kHz FLAC). Each threshold leaves at least 99.5 % of the clips unwarned on its own figure; the
// percentiles quoted are over all clips. Together they warn 66 clips (1.5 %: SAVEE 37,
// RAVDESS 21, TESS 8), none twice: the corpora hold some genuinely clipped and band-limited
// takes, and a threshold loose enough to pass them would pass a 6 %-clipped recording too.
// README ("Is something wrong with my recording?") has the table.

/// Warn when more than this share of samples is clipped. The training clips: 0 up to the
/// 98th percentile, 1.2 % at the 99th, 2.4 % at the 99.5th (SAVEE's loudest takes are
/// clipped; 37 % of its clips have some clipped samples); 21 clips (0.47 %) are over 2.5 %.
pub const MAX_CLIPPED_FRACTION: f64 = 0.025;
/// Warn when the bandwidth is below this. The training clips: median 7.78 kHz, 0.5th
/// percentile 5.84 kHz; 15 clips (0.33 %) are under 5.5 kHz, all SAVEE takes of two speakers
/// whose recordings end between 3.4 and 5.4 kHz. A telephone recording ends near 4 kHz.
pub const MIN_BANDWIDTH_HZ: f64 = 5_500.0;
/// Warn when the peak is below this. The training clips: median −15 dBFS, 0.5th percentile
/// −38.7 dBFS (RAVDESS's softest takes); 13 clips (0.29 %) peak under −40 dBFS.
pub const MIN_PEAK_DBFS: f64 = -40.0;
/// Warn when the speech is less than this far above the background. The training clips: 0.5th
/// percentile 12.2 dB (RAVDESS 37.6, SAVEE 37.1, TESS 11.1: its clips hold little pause, so
/// the floor is the quietest speech); 4 clips (0.09 %) are under 10 dB. White noise as loud
/// as the speech reads about 2 dB.
pub const MIN_SNR_DB: f64 = 10.0;
/// Warn when less speech than this is left after trimming silence. The training clips:
/// median 1.98 s, 0.5th percentile 1.25 s, shortest 1.06 s; 13 clips (0.29 %) are under 1.2 s.
pub const MIN_SPEECH_S: f64 = 1.2;
/// A file that holds less than its header announces by more than this is called cut off;
/// compressed formats may announce their encoder's padding, a few tens of milliseconds.
pub const TRUNCATION_TOLERANCE_S: f64 = 0.1;

/// A file that ends before the length its header announces.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Truncation {
    pub announced_s: f64,
    pub present_s: f64,
}

/// The input-quality figures of one recording; see the module documentation for what each
/// measures. Figures that could not be measured are `None`: recordings streamed from disk
/// (`pipeline::analyse_long`) have no noise or bandwidth figure, since their passes never hold
/// the signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    pub peak_dbfs: f64,
    pub rms_dbfs: f64,
    pub clipped_fraction: f64,
    pub snr_db: Option<f64>,
    pub speech_s: f64,
    pub source_sample_rate: u32,
    pub bandwidth_hz: Option<f64>,
    pub channels: usize,
    pub truncation: Option<Truncation>,
}

fn db(power: f64) -> f64 {
    10.0 * power.max(POWER_FLOOR).log10()
}

impl Quality {
    /// The figures of an analysed recording.
    pub fn measure(analysis: &Analysis) -> Quality {
        let sr = analysis.sample_rate;
        let speech_len: usize = analysis.kept.iter().map(Interval::len).sum();
        let speech_energy: f64 =
            analysis.kept.iter().flat_map(|i| &analysis.signal[i.start..i.end]).map(|&s| (s as f64) * (s as f64)).sum();
        let rms_power = speech_energy / speech_len.max(1) as f64;
        let frames = FramePowers::new(&analysis.signal, &analysis.kept, sr);
        let speech = frames.speech_frames(SPEECH_TOP_DB);
        Quality::from_parts(
            &analysis.source,
            speech_len as f64 / sr as f64,
            rms_power,
            frames.snr_db(&speech),
            bandwidth_hz(&analysis.signal, &speech, sr),
        )
    }

    /// The figures from their parts: what the source was, the speech kept, its mean power, and
    /// the noise and bandwidth figures where they were measured.
    pub(crate) fn from_parts(
        source: &SourceStats,
        speech_s: f64,
        speech_power: f64,
        snr_db: Option<f64>,
        bandwidth_hz: Option<f64>,
    ) -> Quality {
        let truncation = source
            .announced_s
            .filter(|&announced| announced - source.present_s > TRUNCATION_TOLERANCE_S)
            .map(|announced_s| Truncation { announced_s, present_s: source.present_s });
        Quality {
            peak_dbfs: 20.0 * (source.peak as f64).max(1e-5).log10(),
            rms_dbfs: db(speech_power),
            clipped_fraction: source.clipped as f64 / source.samples.max(1) as f64,
            snr_db,
            speech_s,
            source_sample_rate: source.sample_rate,
            bandwidth_hz,
            channels: source.channels,
            truncation,
        }
    }

    /// What may be wrong with the recording, each as a sentence that names the problem and
    /// why it matters; empty for a recording like those the model learnt from.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(t) = &self.truncation {
            out.push(format!(
                "The file ends early: its header announces {:.1} s, {:.1} s are present; the part present was analysed.",
                t.announced_s, t.present_s
            ));
        }
        if self.clipped_fraction > MAX_CLIPPED_FRACTION {
            out.push(format!(
                "Clipped: {} of samples are at full scale. Speaking too close or too loud distorts the voice the model hears.",
                percent(self.clipped_fraction)
            ));
        }
        if let Some(bw) = self.bandwidth_hz.filter(|&bw| bw < MIN_BANDWIDTH_HZ) {
            out.push(format!(
                "Telephone quality: the sound stops at {:.1} kHz; the model was trained on full-band recordings, which reach about 8 kHz.",
                bw / 1000.0
            ));
        }
        if self.peak_dbfs < MIN_PEAK_DBFS {
            out.push(format!(
                "Very quiet: the speech peaks at {} dBFS; the model hears loudness, and nearly all the recordings it learnt from peak above {} dBFS.",
                signed(self.peak_dbfs),
                signed(MIN_PEAK_DBFS)
            ));
        }
        if let Some(snr) = self.snr_db.filter(|&snr| snr < MIN_SNR_DB) {
            out.push(format!(
                "Noisy: the speech is only {snr:.0} dB above the background, which masks the cues of the voice."
            ));
        }
        if self.speech_s < MIN_SPEECH_S {
            out.push(format!(
                "Only {:.1} s of speech after removing silence; the model learnt from recordings with {:.1} s or more, and is less reliable on shorter ones.",
                self.speech_s, MIN_SPEECH_S
            ));
        }
        out
    }
}

/// A share as people write it: "6 %", "0.4 %".
fn percent(fraction: f64) -> String {
    let p = 100.0 * fraction;
    if p >= 10.0 { format!("{p:.0} %") } else { format!("{p:.1} %") }
}

/// A level with a true minus sign, as printed: "−42".
fn signed(db: f64) -> String {
    let rounded = db.round();
    if rounded < 0.0 { format!("\u{2212}{}", -rounded) } else { format!("{rounded}") }
}

/// The power of each 25 ms frame of the whole recording above [`NOISE_BAND_FROM_HZ`], and
/// which frames lie in the kept audio.
struct FramePowers {
    power: Vec<f64>,
    in_kept: Vec<bool>,
}

/// Puts frame `t` of `signal` in the middle of an `N_FFT` buffer, where the STFT's window is.
fn load_frame(signal: &[f32], t: usize, buffer: &mut [f32]) {
    let offset = (N_FFT - FRAME) / 2;
    buffer.fill(0.0);
    buffer[offset..offset + FRAME].copy_from_slice(&signal[t * HOP..t * HOP + FRAME]);
}

impl FramePowers {
    fn new(signal: &[f32], kept: &[Interval], sample_rate: u32) -> Self {
        let n = if signal.len() >= FRAME { 1 + (signal.len() - FRAME) / HOP } else { 0 };
        let mut stft = PowerStft::new(N_FFT, HOP, FRAME);
        let mut spectrum = vec![0.0f32; N_FFT / 2 + 1];
        let mut buffer = vec![0.0f32; N_FFT];
        let first_bin = (NOISE_BAND_FROM_HZ * N_FFT as f64 / sample_rate as f64).ceil() as usize;
        let mut power = Vec::with_capacity(n);
        let mut in_kept = Vec::with_capacity(n);
        for t in 0..n {
            load_frame(signal, t, &mut buffer);
            stft.power_into(&buffer, &mut spectrum);
            power.push(spectrum[first_bin.min(spectrum.len())..].iter().map(|&p| p as f64).sum::<f64>());
            let centre = t * HOP + FRAME / 2;
            in_kept.push(kept.iter().any(|i| (i.start..i.end).contains(&centre)));
        }
        Self { power, in_kept }
    }

    /// Frames inside the kept audio within `top_db` of the loudest frame: the trimmer's notion
    /// of speech, at a finer time step.
    fn speech_frames(&self, top_db: f64) -> Vec<usize> {
        let loudest = self.power.iter().cloned().fold(0.0f64, f64::max);
        let threshold = loudest * 10f64.powf(-top_db / 10.0);
        (0..self.power.len())
            .filter(|&t| self.in_kept[t] && self.power[t] >= threshold && self.power[t] > 0.0)
            .collect()
    }

    fn snr_db(&self, speech: &[usize]) -> Option<f64> {
        if speech.is_empty() {
            return None;
        }
        let speech_power = speech.iter().map(|&t| self.power[t]).sum::<f64>() / speech.len() as f64;
        let mut sorted = self.power.clone();
        sorted.sort_by(f64::total_cmp);
        let noise = sorted[((sorted.len() - 1) as f64 * NOISE_PERCENTILE).round() as usize];
        Some(db(speech_power) - db(noise))
    }
}

/// Where the long-term average spectrum of the speech frames ends; see the module
/// documentation.
fn bandwidth_hz(signal: &[f32], speech: &[usize], sample_rate: u32) -> Option<f64> {
    if speech.is_empty() {
        return None;
    }
    let mut stft = PowerStft::new(N_FFT, HOP, FRAME);
    let n_bins = N_FFT / 2 + 1;
    let mut ltas = vec![0.0f64; n_bins];
    let mut power = vec![0.0f32; n_bins];
    let mut buffer = vec![0.0f32; N_FFT];
    let step = speech.len().div_ceil(MAX_SPECTRUM_FRAMES);
    let mut used = 0usize;
    for &t in speech.iter().step_by(step.max(1)) {
        load_frame(signal, t, &mut buffer);
        stft.power_into(&buffer, &mut power);
        for (l, &p) in ltas.iter_mut().zip(&power) {
            *l += p as f64;
        }
        used += 1;
    }
    if used == 0 {
        return None;
    }
    // ±2 bins (±62 Hz): enough to steady the average, little enough that the energy just below
    // a telephone's 4 kHz edge does not spill past it.
    const HALF: usize = 2;
    let smoothed: Vec<f64> = (0..n_bins)
        .map(|k| {
            let (lo, hi) = (k.saturating_sub(HALF), (k + HALF).min(n_bins - 1));
            db(ltas[lo..=hi].iter().sum::<f64>() / ((hi - lo + 1) * used) as f64)
        })
        .collect();
    let hz_per_bin = sample_rate as f64 / N_FFT as f64;
    let band = (SPEECH_BAND_HZ.0 / hz_per_bin).ceil() as usize..=(SPEECH_BAND_HZ.1 / hz_per_bin).floor() as usize;
    let reference = smoothed[band].iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let last = smoothed.iter().rposition(|&v| v >= reference - BANDWIDTH_DROP_DB)?;
    Some(last as f64 * hz_per_bin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_signs_and_percentages_read_as_printed() {
        assert_eq!(signed(-42.3), "\u{2212}42");
        assert_eq!(signed(3.0), "3");
        assert_eq!(percent(0.06), "6.0 %");
        assert_eq!(percent(0.004), "0.4 %");
        assert_eq!(percent(0.25), "25 %");
    }

    #[test]
    fn a_short_file_is_not_called_cut_off_for_its_codec_padding() {
        let source = SourceStats {
            sample_rate: 44_100,
            channels: 2,
            peak: 0.5,
            clipped: 0,
            samples: 100,
            announced_s: Some(2.05),
            present_s: 2.0,
        };
        assert!(Quality::from_parts(&source, 1.5, 0.01, None, None).truncation.is_none());
        let cut = SourceStats { announced_s: Some(4.4), present_s: 2.2, ..source };
        let q = Quality::from_parts(&cut, 1.5, 0.01, None, None);
        assert_eq!(q.truncation, Some(Truncation { announced_s: 4.4, present_s: 2.2 }));
        assert_eq!(
            q.warnings(),
            ["The file ends early: its header announces 4.4 s, 2.2 s are present; the part present was analysed."]
        );
    }
}
