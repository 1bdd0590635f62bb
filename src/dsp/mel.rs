//! Mel filterbank on the Slaney scale with Slaney normalisation, equal to
//! `librosa.filters.mel(htk=False, norm="slaney")`. Stored sparsely: each filter touches
//! only the few FFT bins under its triangle.

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

pub fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ { MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step() } else { hz / F_SP }
}

pub fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL { MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp() } else { F_SP * mel }
}

/// Centre frequencies (Hz) of `n` points evenly spaced on the mel scale, like
/// `librosa.mel_frequencies(n, fmin, fmax, htk=False)`.
pub fn mel_frequencies(n: usize, fmin: f64, fmax: f64) -> Vec<f64> {
    let (lo, hi) = (hz_to_mel(fmin), hz_to_mel(fmax));
    (0..n)
        .map(|i| {
            let t = if n > 1 { i as f64 / (n - 1) as f64 } else { 0.0 };
            mel_to_hz(lo + (hi - lo) * t)
        })
        .collect()
}

struct Filter {
    first_bin: usize,
    weights: Vec<f32>,
}

pub struct MelFilterbank {
    filters: Vec<Filter>,
    n_bins: usize,
}

impl MelFilterbank {
    pub fn new(sample_rate: u32, n_fft: usize, n_mels: usize, fmin: f64, fmax: f64) -> Self {
        let n_bins = n_fft / 2 + 1;
        let fft_freqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * sample_rate as f64 / n_fft as f64).collect();
        let mel_f = mel_frequencies(n_mels + 2, fmin, fmax);
        let filters = (0..n_mels)
            .map(|i| {
                let lower_width = mel_f[i + 1] - mel_f[i];
                let upper_width = mel_f[i + 2] - mel_f[i + 1];
                let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
                // librosa builds the weights in float64, then stores them as float32.
                let dense: Vec<f32> = fft_freqs
                    .iter()
                    .map(|&f| {
                        let lower = (f - mel_f[i]) / lower_width;
                        let upper = (mel_f[i + 2] - f) / upper_width;
                        (lower.min(upper).max(0.0) * enorm) as f32
                    })
                    .collect();
                let first = dense.iter().position(|&w| w > 0.0).unwrap_or(0);
                let last = dense.iter().rposition(|&w| w > 0.0).map_or(first, |l| l + 1);
                Filter { first_bin: first, weights: dense[first..last.max(first)].to_vec() }
            })
            .collect();
        Self { filters, n_bins }
    }

    pub fn n_mels(&self) -> usize {
        self.filters.len()
    }

    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Mel energies of one power spectrum frame.
    pub fn apply_into(&self, power: &[f32], out: &mut [f32]) {
        for (o, f) in out.iter_mut().zip(&self.filters) {
            let bins = &power[f.first_bin..f.first_bin + f.weights.len()];
            *o = bins.iter().zip(&f.weights).map(|(p, w)| p * w).sum();
        }
    }

    /// [`Self::apply_into`] for `L` frames at once: `power[bin][lane]` is frame `lane`'s power
    /// spectrum, and `out[mel][lane]` its mel energies. Each lane adds the same products in the
    /// same order as `apply_into`, so its values are bit for bit those of one frame; the lanes
    /// are one frame's work in vector operations.
    pub fn apply_lanes<const L: usize>(&self, power: &[[f32; L]], out: &mut [[f32; L]]) {
        for (o, f) in out.iter_mut().zip(&self.filters) {
            let mut sum = [0.0f32; L];
            for (p, &w) in power[f.first_bin..f.first_bin + f.weights.len()].iter().zip(&f.weights) {
                for (s, &p) in sum.iter_mut().zip(p) {
                    *s += p * w;
                }
            }
            *o = sum;
        }
    }

    /// The dense `[n_mels][n_bins]` matrix, for tests and plots.
    pub fn dense(&self) -> Vec<Vec<f32>> {
        self.filters
            .iter()
            .map(|f| {
                let mut row = vec![0.0; self.n_bins];
                row[f.first_bin..f.first_bin + f.weights.len()].copy_from_slice(&f.weights);
                row
            })
            .collect()
    }
}
