//! Waveform augmentation for training: speed perturbation, gain and additive noise. It runs
//! before the features, through the same pipeline the page uses, so the model only ever sees
//! features this crate computes.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::MonoResampler;
use crate::error::Result;

/// One randomly drawn augmentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Augmentation {
    /// Playback speed: 1.1 is 10 % faster and higher.
    pub speed: f64,
    pub gain_db: f64,
    /// Signal-to-noise ratio of added white noise, if any.
    pub snr_db: Option<f64>,
    pub seed: u64,
}

impl Augmentation {
    /// Draws an augmentation from `seed`: speed 0.9/1.0/1.1, gain ±6 dB, and white noise at
    /// 10–30 dB SNR four times in five.
    pub fn draw(seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let speed = [0.9, 1.0, 1.1][rng.random_range(0..3usize)];
        let gain_db = rng.random_range(-6.0..6.0);
        let snr_db = (rng.random_range(0.0..1.0) < 0.8).then(|| rng.random_range(10.0..30.0));
        Self { speed, gain_db, snr_db, seed }
    }

    pub fn describe(&self) -> String {
        match self.snr_db {
            Some(snr) => format!("speed={:.2} gain_db={:.1} snr_db={:.1}", self.speed, self.gain_db, snr),
            None => format!("speed={:.2} gain_db={:.1} snr_db=none", self.speed, self.gain_db),
        }
    }

    /// Applies the augmentation to mono audio at `sample_rate`.
    pub fn apply(&self, signal: &[f32], sample_rate: u32) -> Result<Vec<f32>> {
        let mut out = if (self.speed - 1.0).abs() > 1e-9 {
            // Reading the samples as if recorded at rate × speed, then converting back,
            // plays them faster (or slower) and shifts the pitch with them.
            let from = (sample_rate as f64 * self.speed).round() as u32;
            MonoResampler::new(from, sample_rate)?.process_all(signal)?
        } else {
            signal.to_vec()
        };
        let gain = 10f64.powf(self.gain_db / 20.0) as f32;
        out.iter_mut().for_each(|s| *s *= gain);
        if let Some(snr) = self.snr_db {
            let power: f64 = out.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / out.len().max(1) as f64;
            let noise_std = (power / 10f64.powf(snr / 10.0)).sqrt();
            let mut rng = StdRng::seed_from_u64(self.seed ^ 0x9E37_79B9_7F4A_7C15);
            for s in out.iter_mut() {
                // Box–Muller: two uniforms to one standard normal.
                let u1: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
                let u2: f64 = rng.random_range(0.0..1.0);
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                *s += (z * noise_std) as f32;
            }
        }
        Ok(out)
    }
}
