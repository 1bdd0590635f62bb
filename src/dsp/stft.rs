//! Short-time Fourier transform, equal to `librosa.stft(center=True, pad_mode="constant")`
//! followed by `abs(S)**2`.

use std::cell::RefCell;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

thread_local! {
    /// One planner per thread, so each FFT length is planned (its twiddle factors computed)
    /// once per thread instead of once per clip: in a batch of short clips the planning cost
    /// about as much as a clip's log-mel FFTs.
    static PLANNER: RefCell<RealFftPlanner<f32>> = RefCell::new(RealFftPlanner::new());
}

/// The forward real FFT of length `n`, planned once per thread.
pub(crate) fn forward_plan(n: usize) -> Arc<dyn RealToComplex<f32>> {
    PLANNER.with(|p| p.borrow_mut().plan_fft_forward(n))
}

/// The inverse real FFT of length `n`, planned once per thread.
pub(crate) fn inverse_plan(n: usize) -> Arc<dyn ComplexToReal<f32>> {
    PLANNER.with(|p| p.borrow_mut().plan_fft_inverse(n))
}

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
        assert!(n_fft >= 2 && n_fft.is_multiple_of(2), "n_fft must be even");
        assert!(win_length <= n_fft && win_length > 0 && hop_length > 0);
        let fft = forward_plan(n_fft);
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

    /// Power spectrum of one frame of `n_fft` samples (from [`super::frames::CentredFrames`]),
    /// windowed here, written into `out` (length `n_bins`).
    pub fn power_into(&mut self, frame: &[f32], out: &mut [f32]) {
        debug_assert_eq!(out.len(), self.n_bins());
        self.transform(frame);
        for (o, c) in out.iter_mut().zip(&self.spectrum) {
            *o = c.re * c.re + c.im * c.im;
        }
    }

    /// [`Self::power_into`] written into lane `lane` of `out[bin]`, for
    /// [`super::MelFilterbank::apply_lanes`].
    pub fn power_into_lane<const L: usize>(&mut self, frame: &[f32], out: &mut [[f32; L]], lane: usize) {
        debug_assert_eq!(out.len(), self.n_bins());
        self.transform(frame);
        for (o, c) in out.iter_mut().zip(&self.spectrum) {
            o[lane] = c.re * c.re + c.im * c.im;
        }
    }

    /// The FFT of one windowed frame, into `self.spectrum`.
    fn transform(&mut self, frame: &[f32]) {
        debug_assert_eq!(frame.len(), self.n_fft);
        for ((slot, s), w) in self.frame.iter_mut().zip(frame).zip(&self.window) {
            *slot = s * w;
        }
        let _ = self.fft.process_with_scratch(&mut self.frame, &mut self.spectrum, &mut self.scratch);
    }

    pub fn n_fft(&self) -> usize {
        self.n_fft
    }

    pub fn hop_length(&self) -> usize {
        self.hop_length
    }
}
