//! Log-mel spectrogram and MFCCs, equal to `librosa.feature.melspectrogram` →
//! `librosa.power_to_db(ref=1.0, amin=1e-10, top_db=80)` → `scipy.fft.dct(type=2, norm="ortho")`,
//! which is what `librosa.feature.mfcc` does.

use super::frames::{CentredFrames, frame_all_dyn};
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
///
/// The basis is symmetric: coefficient k weighs inputs i and n − 1 − i alike for even k and
/// with opposite signs for odd k. So the even coefficients are sums over `x[i] + x[n-1-i]` and
/// the odd ones over `x[i] - x[n-1-i]`, half as many products as the plain matrix.
pub struct Dct2 {
    n_in: usize,
    n_out: usize,
    /// The even coefficients' rows, over `x[i] + x[n-1-i]` for `i < ceil(n_in / 2)` (the middle
    /// input alone where `n_in` is odd); see [`Tiles`].
    even: Tiles,
    /// The odd coefficients' rows, over `x[i] - x[n-1-i]` for `i < n_in / 2`.
    odd: Tiles,
}

/// A matrix times a vector, in tiles of [`Tiles::WIDTH`] outputs, so a tile's sums stay in
/// vector registers while the inputs stream past.
struct Tiles {
    n_in: usize,
    n_out: usize,
    /// `[tile][n_in][WIDTH]`, zero past `n_out`.
    matrix: Vec<[f32; Tiles::WIDTH]>,
}

impl Tiles {
    /// 20: the default 40 MFCCs are one tile of each parity.
    const WIDTH: usize = 20;

    fn new(n_in: usize, n_out: usize, coefficient: impl Fn(usize, usize) -> f32) -> Self {
        let mut matrix = vec![[0.0f32; Self::WIDTH]; n_out.div_ceil(Self::WIDTH) * n_in];
        for k in 0..n_out {
            for i in 0..n_in {
                matrix[(k / Self::WIDTH) * n_in + i][k % Self::WIDTH] = coefficient(k, i);
            }
        }
        Self { n_in, n_out, matrix }
    }

    /// `out[k]` (`n_out` values) = the sum of `row_k[i] · input[i]` in input order.
    fn apply(&self, input: &[f32], out: &mut [f32]) {
        let out = &mut out[..self.n_out];
        if self.n_in == 0 {
            return out.fill(0.0);
        }
        for (tile, out) in self.matrix.chunks_exact(self.n_in).zip(out.chunks_mut(Self::WIDTH)) {
            let mut sum = [0.0f32; Self::WIDTH];
            for (row, &v) in tile.iter().zip(input) {
                for (s, m) in sum.iter_mut().zip(row) {
                    *s += m * v;
                }
            }
            out.copy_from_slice(&sum[..out.len()]);
        }
    }
}

impl Dct2 {
    pub fn new(n_in: usize, n_out: usize) -> Self {
        let n = n_in as f64;
        let coefficient = |k: usize, i: usize| {
            let scale = if k == 0 { (1.0 / n).sqrt() } else { (2.0 / n).sqrt() };
            let angle = std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n);
            (scale * angle.cos()) as f32
        };
        Self {
            n_in,
            n_out,
            even: Tiles::new(n_in.div_ceil(2), n_out.div_ceil(2), |k, i| coefficient(2 * k, i)),
            odd: Tiles::new(n_in / 2, n_out / 2, |k, i| coefficient(2 * k + 1, i)),
        }
    }

    /// The first `n_out` coefficients of `input` (`n_in` values) into `out[..n_out]`.
    ///
    /// # Panics
    ///
    /// If `input` is shorter than `n_in` or `out` shorter than `n_out` (a caller's bug: every
    /// frame has all its bands).
    pub fn apply_into(&self, input: &[f32], out: &mut [f32]) {
        let (n_in, n_out) = (self.n_in, self.n_out);
        let (input, out) = (&input[..n_in], &mut out[..n_out]);
        // Room for the folded inputs and the even and odd coefficients: on the stack for the
        // usual sizes (64 mel bands, 40 MFCCs), else on the heap.
        const ON_STACK: usize = 256;
        let (mut stack, mut heap) = ([0.0f32; ON_STACK], Vec::new());
        let scratch = if n_in + n_out <= ON_STACK {
            &mut stack[..n_in + n_out]
        } else {
            heap.resize(n_in + n_out, 0.0);
            &mut heap[..]
        };
        let (folded, coefficients) = scratch.split_at_mut(n_in);
        // The sums (and the middle input where n_in is odd), then the differences.
        let half = n_in / 2;
        let (sums, differences) = folded.split_at_mut(n_in - half);
        let (head, tail) = (&input[..half], &input[n_in - half..]);
        for (((s, d), &a), &b) in sums.iter_mut().zip(differences.iter_mut()).zip(head).zip(tail.iter().rev()) {
            *s = a + b;
            *d = a - b;
        }
        if n_in % 2 == 1 {
            sums[half] = input[half];
        }
        let (even, odd) = coefficients.split_at_mut(n_out.div_ceil(2));
        self.even.apply(sums, even);
        self.odd.apply(differences, odd);
        for (k, o) in out.iter_mut().enumerate() {
            *o = if k % 2 == 0 { even[k / 2] } else { odd[k / 2] };
        }
    }
}

/// `10 * log10(x)` for a positive normal or infinite `x` (the callers floor at `AMIN` first),
/// within a few f32 ulps of `10.0 * x.log10()`, in integer and float operations that vectorise:
/// libm's `log10f`, a call per value, took a fifth of the features' time.
#[inline(always)]
fn db(x: f32) -> f32 {
    // ln 2 in two parts, the first with trailing zero bits so that k · LN2_HI is exact.
    const LN2_HI: f32 = 0.693_138_1;
    const LN2_LO: f32 = 9.058_001e-6;
    const DB_PER_NEPER: f32 = 10.0 / std::f32::consts::LN_10;
    // x = 2^k · z with z in [√½, √2): k from the exponent bits, z the mantissa rescaled.
    let bits = x.to_bits();
    let offset = bits.wrapping_sub(0x3f35_04f3);
    let k = ((offset as i32) >> 23) as f32;
    let z = f32::from_bits(bits.wrapping_sub(offset & 0xff80_0000));
    // ln z = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + …) with s = (z − 1)/(z + 1), |s| < 0.172: the
    // terms after s⁹/9 add less than 1e-9.
    let s = (z - 1.0) / (z + 1.0);
    let s2 = s * s;
    let ln_z = 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0)))));
    let db = ((ln_z + k * LN2_LO) + k * LN2_HI) * DB_PER_NEPER;
    if x == f32::INFINITY { x } else { db }
}

/// Frames are turned into log-mel rows this many at a time, one per vector lane: the mel
/// filterbank's short sums and the logarithm then run in vector operations (each lane's values
/// are those of one frame alone, so the block size changes no value).
const LANES: usize = 8;

/// Up to [`LANES`] frames' power spectra and mel energies, lane-major (`[bin][lane]`).
struct Block {
    power: Vec<[f32; LANES]>,
    mel: Vec<[f32; LANES]>,
    filled: usize,
}

impl Block {
    /// The log-mel rows of the frames held, in order, to `each`; the block is then empty.
    fn emit(&mut self, mel: &MelFilterbank, row: &mut [f32], each: &mut dyn FnMut(&[f32])) {
        if self.filled == 0 {
            return;
        }
        mel.apply_lanes(&self.power, &mut self.mel);
        for band in self.mel.iter_mut() {
            for v in band.iter_mut() {
                *v = db(v.max(AMIN));
            }
        }
        for lane in 0..self.filled {
            for (r, band) in row.iter_mut().zip(&self.mel) {
                *r = band[lane];
            }
            each(row);
        }
        self.filled = 0;
    }
}

/// Log-mel rows in dB, before the `db_top_db` floor, of audio arriving in blocks.
pub struct LogMelStream {
    framer: CentredFrames,
    stft: PowerStft,
    mel: MelFilterbank,
    block: Block,
    row: Vec<f32>,
}

impl LogMelStream {
    pub fn new(params: &FeatureParams) -> Self {
        Self {
            framer: CentredFrames::new(params.n_fft, params.hop_length),
            stft: PowerStft::new(params.n_fft, params.hop_length, params.win_length),
            mel: MelFilterbank::new(params.sample_rate, params.n_fft, params.n_mels, params.fmin, params.fmax),
            block: Block {
                power: vec![[0.0; LANES]; params.n_bins()],
                mel: vec![[0.0; LANES]; params.n_mels],
                filled: 0,
            },
            row: vec![0.0; params.n_mels],
        }
    }

    /// Adds samples and calls `each(row)` for every frame now complete.
    pub fn push(&mut self, samples: &[f32], mut each: impl FnMut(&[f32])) {
        self.run(Source::Push(samples), &mut each)
    }

    /// Ends the stream (the last frames see the right zero padding).
    pub fn finish(&mut self, mut each: impl FnMut(&[f32])) {
        self.run(Source::Finish, &mut each)
    }

    /// The rows of a whole signal, a stream of its own: what `push(signal)` and then
    /// `finish` give, without copying the signal into the framer. The stream must be between
    /// streams (nothing pushed since the last `finish`).
    pub fn whole(&mut self, signal: &[f32], mut each: impl FnMut(&[f32])) {
        self.run(Source::Whole(signal), &mut each)
    }

    /// All three, with one copy of the code whatever the closure (the page's wasm is sized).
    /// Every row whose frame is complete is handed out before this returns.
    fn run(&mut self, source: Source, each: &mut dyn FnMut(&[f32])) {
        let Self { framer, stft, mel, block, row } = self;
        let (n_fft, hop) = (stft.n_fft(), stft.hop_length());
        let mut frame_row = |_, frame: &[f32]| {
            stft.power_into_lane(frame, &mut block.power, block.filled);
            block.filled += 1;
            if block.filled == LANES {
                block.emit(mel, row, each);
            }
        };
        match source {
            Source::Push(samples) => framer.push_dyn(samples, &mut frame_row),
            Source::Finish => framer.finish_dyn(&mut frame_row),
            Source::Whole(signal) => {
                assert_eq!(framer.pushed(), 0, "LogMelStream::whole in the middle of a stream");
                frame_all_dyn(signal, n_fft, hop, &mut frame_row);
            }
        }
        block.emit(mel, row, each);
    }
}

enum Source<'a> {
    Push(&'a [f32]),
    Finish,
    Whole(&'a [f32]),
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
        let n_frames = self.params.n_frames(signal.len());
        let (n_mels, n_mfcc) = (self.params.n_mels, self.params.n_mfcc);
        out.n_frames = n_frames;
        out.n_mels = n_mels;
        out.n_mfcc = n_mfcc;
        out.log_mel.clear();
        out.log_mel.reserve(n_frames * n_mels);
        out.mfcc.resize(n_frames * n_mfcc, 0.0);

        self.log_mel.whole(signal, |row| out.log_mel.extend_from_slice(row));
        debug_assert_eq!(out.log_mel.len(), n_frames * n_mels);
        // The clip's peak, in lanes so that it vectorises (a maximum is the same in any order).
        let mut lanes = [f32::NEG_INFINITY; 8];
        let chunks = out.log_mel.chunks_exact(lanes.len());
        let rest = chunks.remainder();
        for chunk in chunks {
            for (peak, &v) in lanes.iter_mut().zip(chunk) {
                *peak = peak.max(v);
            }
        }
        let peak_db = lanes.iter().chain(rest).fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        for (mel_row, mfcc_row) in out.log_mel.chunks_exact_mut(n_mels).zip(out.mfcc.chunks_exact_mut(n_mfcc)) {
            self.finish_frame(mel_row, peak_db, mfcc_row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within a few f32 ulps of `10 · log10` in f64, over the whole range the features meet.
    #[test]
    fn db_is_ten_log10() {
        let mut x = AMIN;
        while x < 1e30 {
            for v in [x, x * 1.000_001, x * std::f32::consts::SQRT_2, x * 1.9999] {
                let exact = 10.0 * (v as f64).log10();
                let ulp = (exact.abs() as f32).max(1e-3).to_bits();
                let tolerance = (f32::from_bits(ulp + 4) - f32::from_bits(ulp)) as f64;
                assert!((db(v) as f64 - exact).abs() <= tolerance.max(2e-7), "{v}: {} vs {exact}", db(v));
            }
            x *= 1.37;
        }
        assert_eq!(db(1.0), 0.0);
        assert_eq!(db(f32::INFINITY), f32::INFINITY);
    }

    /// The folded DCT equals the orthonormal DCT-II matrix, in f64, for even and odd sizes.
    #[test]
    fn dct_equals_the_dct2_matrix() {
        for (n_in, n_out) in [(64, 40), (64, 64), (13, 13), (13, 5), (8, 1), (7, 2), (1, 1), (40, 41)] {
            let input: Vec<f32> = (0..n_in).map(|i| ((i * 37 % 11) as f32 - 5.0) * 7.5 - 20.0).collect();
            let mut out = vec![f32::NAN; n_out];
            Dct2::new(n_in, n_out).apply_into(&input, &mut out);
            let n = n_in as f64;
            for (k, &o) in out.iter().enumerate() {
                let scale = if k == 0 { (1.0 / n).sqrt() } else { (2.0 / n).sqrt() };
                let exact: f64 = (0..n_in)
                    .map(|i| {
                        input[i] as f64
                            * scale
                            * (std::f64::consts::PI * k as f64 * (2 * i + 1) as f64 / (2.0 * n)).cos()
                    })
                    .sum();
                assert!((o as f64 - exact).abs() < 1e-4, "n_in {n_in}, k {k}: {o} vs {exact}");
            }
        }
    }
}
