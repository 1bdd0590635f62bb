//! Short-time Fourier transform, equal to `librosa.stft(center=True, pad_mode="constant")`
//! followed by `abs(S)**2`.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

/// A periodic Hann window of `win_length`, zero-padded to `n_fft` and centred, as
/// `librosa.filters.get_window("hann", win_length, fftbins=True)` + `util.pad_center`.
pub fn hann_window(win_length: usize, n_fft: usize) -> Vec<f32> {
    let mut window = vec![0.0f32; n_fft];
    let offset = (n_fft - win_length) / 2;
    for i in 0..win_length {
        let phase = 2.0 * std::f64::consts::PI * i as f64 / win_length as f64;
        window[offset + i] = (0.5 - 0.5 * phase.cos()) as f32;
    }
    window
}

/// A planned power-spectrum STFT. The FFT is planned once and every buffer is reused,
/// so computing a frame allocates nothing.
pub struct PowerStft {
    n_fft: usize,
    hop_length: usize,
    window: Vec<f32>,
    fft: Arc<dyn RealToComplex<f32>>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
}

impl PowerStft {
    pub fn new(n_fft: usize, hop_length: usize, win_length: usize) -> Self {
        assert!(n_fft >= 2 && n_fft % 2 == 0, "n_fft must be even");
        assert!(win_length <= n_fft && win_length > 0 && hop_length > 0);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Self {
            n_fft,
            hop_length,
            window: hann_window(win_length, n_fft),
            fft,
            frame: vec![0.0; n_fft],
            spectrum,
            scratch,
        }
    }

    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Frames of a centred STFT over `n_samples` samples.
    pub fn n_frames(&self, n_samples: usize) -> usize {
        1 + n_samples / self.hop_length
    }

    /// Power spectrum of frame `index` of the centred STFT of `signal`, written into `out`
    /// (length `n_bins`). The signal is implicitly zero-padded by `n_fft / 2` on both sides.
    pub fn power_frame_into(&mut self, signal: &[f32], index: usize, out: &mut [f32]) {
        debug_assert_eq!(out.len(), self.n_bins());
        let half = (self.n_fft / 2) as isize;
        let start = index as isize * self.hop_length as isize - half;
        // The part of the frame that overlaps the signal; the rest is the zero padding.
        let lo = (-start).clamp(0, self.n_fft as isize) as usize;
        let hi = (signal.len() as isize - start).clamp(lo as isize, self.n_fft as isize) as usize;
        self.frame[..lo].fill(0.0);
        self.frame[hi..].fill(0.0);
        if hi > lo {
            let from = (start + lo as isize) as usize;
            for ((slot, s), w) in self.frame[lo..hi].iter_mut().zip(&signal[from..from + (hi - lo)]).zip(&self.window[lo..hi]) {
                *slot = s * w;
            }
        }
        // Lengths are fixed at construction, so the transform cannot fail.
        let _ = self
            .fft
            .process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch);
        for (o, c) in out.iter_mut().zip(&self.spectrum) {
            *o = c.re * c.re + c.im * c.im;
        }
    }
}
