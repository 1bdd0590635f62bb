//! Log-mel spectrogram and MFCCs, equal to `librosa.feature.melspectrogram` →
//! `librosa.power_to_db(ref=1.0, amin=1e-10, top_db=80)` → `scipy.fft.dct(type=2, norm="ortho")`,
//! which is what `librosa.feature.mfcc` does.

use super::frames::CentredFrames;
use super::mel::MelFilterbank;
use super::params::FeatureParams;
use super::stft::PowerStft;

const AMIN: f32 = 1e-10;

/// Frame-major feature matrices: row `t` holds frame `t`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub n_frames: usize,
    pub n_mels: usize,
    pub n_mfcc: usize,
    /// `n_frames * n_mels` values in dB, floored at `db_top_db` below the clip's peak (the MFCCs are
    /// their DCT).
    pub log_mel: Vec<f32>,
    /// `n_frames * n_mfcc` values.
    pub mfcc: Vec<f32>,
}

impl Features {
    pub fn log_mel_frame(&self, t: usize) -> &[f32] {
        &self.log_mel[t * self.n_mels..(t + 1) * self.n_mels]
    }

    pub fn mfcc_frame(&self, t: usize) -> &[f32] {
        &self.mfcc[t * self.n_mfcc..(t + 1) * self.n_mfcc]
    }

    /// MFCCs as rows of frames, for JSON.
    pub fn mfcc_rows(&self) -> Vec<Vec<f32>> {
        (0..self.n_frames).map(|t| self.mfcc_frame(t).to_vec()).collect()
    }
}

/// Orthonormal DCT-II restricted to the first `n_out` coefficients.
pub struct Dct2 {
    n_out: usize,
    /// Stored input-major (`[n_in][n_out]`) so the inner loop runs over outputs and vectorises.
    matrix: Vec<f32>,
}

impl Dct2 {
    pub fn new(n_in: usize, n_out: usize) -> Self {
        let n = n_in as f64;
        let mut matrix = vec![0.0f32; n_in * n_out];
        for k in 0..n_out {
            let scale = if k == 0 { (1.0 / n).sqrt() } else { (2.0 / n).sqrt() };
            for i in 0..n_in {
                let angle = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n);
                matrix[i * n_out + k] = (scale * angle.cos()) as f32;
            }
        }
        Self { n_out, matrix }
    }

    pub fn apply_into(&self, input: &[f32], out: &mut [f32]) {
        let out = &mut out[..self.n_out];
        out.fill(0.0);
        for (row, &v) in self.matrix.chunks_exact(self.n_out).zip(input) {
            for (o, m) in out.iter_mut().zip(row) {
                *o += m * v;
            }
        }
    }
}

/// Log-mel rows in dB, before the `db_top_db` floor, of audio arriving in blocks.
pub struct LogMelStream {
    framer: CentredFrames,
    stft: PowerStft,
    mel: MelFilterbank,
    power: Vec<f32>,
    row: Vec<f32>,
}

impl LogMelStream {
    pub fn new(params: &FeatureParams) -> Self {
        Self {
            framer: CentredFrames::new(params.n_fft, params.hop_length),
            stft: PowerStft::new(params.n_fft, params.hop_length, params.win_length),
            mel: MelFilterbank::new(params.sample_rate, params.n_fft, params.n_mels, params.fmin, params.fmax),
            power: vec![0.0; params.n_bins()],
            row: vec![0.0; params.n_mels],
        }
    }

    /// Adds samples and calls `each(row)` for every frame now complete.
    pub fn push(&mut self, samples: &[f32], mut each: impl FnMut(&[f32])) {
        self.run(Some(samples), &mut each)
    }

    /// Ends the stream (the last frames see the right zero padding).
    pub fn finish(&mut self, mut each: impl FnMut(&[f32])) {
        self.run(None, &mut each)
    }

    /// Both, with one copy of the code whatever the closure (the page's wasm is sized).
    fn run(&mut self, samples: Option<&[f32]>, each: &mut dyn FnMut(&[f32])) {
        let Self { framer, stft, mel, power, row } = self;
        let mut frame_row = |_, frame: &[f32]| each(Self::log_mel_row(stft, mel, power, row, frame));
        match samples {
            Some(samples) => framer.push_dyn(samples, &mut frame_row),
            None => framer.finish_dyn(&mut frame_row),
        }
    }

    fn log_mel_row<'r>(
        stft: &mut PowerStft,
        mel: &MelFilterbank,
        power: &mut [f32],
        row: &'r mut [f32],
        frame: &[f32],
    ) -> &'r [f32] {
        stft.power_into(frame, power);
        mel.apply_into(power, row);
        for v in row.iter_mut() {
            *v = 10.0 * v.max(AMIN).log10();
        }
        row
    }
}

/// The second half of the features, per frame: the `power_to_db(top_db=…)` floor, which
/// needs the clip's peak, then the DCT.
pub struct LogMelToMfcc {
    dct: Dct2,
    db_top_db: f32,
}

impl LogMelToMfcc {
    pub fn new(params: &FeatureParams) -> Self {
        Self { dct: Dct2::new(params.n_mels, params.n_mfcc), db_top_db: params.db_top_db as f32 }
    }

    /// Floors a log-mel row at `peak_db - db_top_db` (in place) and writes its MFCCs.
    pub fn apply(&self, log_mel_row: &mut [f32], peak_db: f32, mfcc: &mut [f32]) {
        self.floor(log_mel_row, peak_db);
        self.dct.apply_into(log_mel_row, mfcc);
    }

    /// Only the floor, for a caller that needs the floored log-mel row and not its MFCCs.
    pub fn floor(&self, log_mel_row: &mut [f32], peak_db: f32) {
        let floor = peak_db - self.db_top_db;
        for v in log_mel_row.iter_mut() {
            *v = v.max(floor);
        }
    }
}

/// Computes features with one STFT plan and reused buffers.
pub struct FeatureExtractor {
    params: FeatureParams,
    log_mel: LogMelStream,
    to_mfcc: LogMelToMfcc,
}

impl FeatureExtractor {
    pub fn new(params: &FeatureParams) -> Self {
        Self { log_mel: LogMelStream::new(params), to_mfcc: LogMelToMfcc::new(params), params: params.clone() }
    }

    pub fn params(&self) -> &FeatureParams {
        &self.params
    }

    /// The second half for one frame: see [`LogMelToMfcc::apply`].
    pub fn finish_frame(&self, log_mel_row: &mut [f32], peak_db: f32, mfcc: &mut [f32]) {
        self.to_mfcc.apply(log_mel_row, peak_db, mfcc);
    }

    /// Features of a whole 16 kHz clip. See [`Self::compute_into`] to reuse the output.
    pub fn compute(&mut self, signal: &[f32]) -> Features {
        let mut out = Features::default();
        self.compute_into(signal, &mut out);
        out
    }

    /// Features of a whole clip into `out`, reusing its allocations.
    pub fn compute_into(&mut self, signal: &[f32], out: &mut Features) {
        const BLOCK: usize = 1 << 16;
        let n_frames = self.params.n_frames(signal.len());
        let (n_mels, n_mfcc) = (self.params.n_mels, self.params.n_mfcc);
        out.n_frames = n_frames;
        out.n_mels = n_mels;
        out.n_mfcc = n_mfcc;
        out.log_mel.clear();
        out.log_mel.reserve(n_frames * n_mels);
        out.mfcc.resize(n_frames * n_mfcc, 0.0);

        let mut peak_db = f32::NEG_INFINITY;
        let mut keep = |row: &[f32]| {
            peak_db = row.iter().fold(peak_db, |m, &v| m.max(v));
            out.log_mel.extend_from_slice(row);
        };
        for block in signal.chunks(BLOCK) {
            self.log_mel.push(block, &mut keep);
        }
        self.log_mel.finish(&mut keep);
        debug_assert_eq!(out.log_mel.len(), n_frames * n_mels);
        for (mel_row, mfcc_row) in out.log_mel.chunks_exact_mut(n_mels).zip(out.mfcc.chunks_exact_mut(n_mfcc)) {
            self.finish_frame(mel_row, peak_db, mfcc_row);
        }
    }
}
