//! One contract for work done a little at a time, so a caller that must not block (the web
//! page, on the browser's only thread) can drive every stage with the same loop: step, report
//! progress, hand control back, step again.

use crate::error::Result;

/// A job that advances in bounded steps and then yields its result.
///
/// Decoding ([`Loader`](crate::Loader)), resampling samples in memory
/// ([`Resampling`](crate::Resampling)), features ([`Analyser`](crate::Analyser)) and the
/// model's timeline windows ([`Reporting`](crate::Reporting)) all implement it; their
/// one-call forms (`analyse_bytes`, `Report::new`, …) are `finish` on a fresh machine, so both
/// paths give the same result.
///
/// ```
/// use ser::{Analyser, PipelineOptions, Stepwise};
///
/// // Half a second of silence, then two seconds of a 220 Hz tone, at 16 kHz.
/// let mut signal = vec![0.0f32; 8_000];
/// signal.extend((0..32_000).map(|i| 0.5 * (i as f32 * 2.0 * std::f32::consts::PI * 220.0 / 16_000.0).sin()));
/// let mut features = Analyser::new(signal, &PipelineOptions::default())?;
/// while !features.step(100)? {
///     assert!((0.0..=1.0).contains(&features.progress()));
/// }
/// let analysis = features.finish()?;
/// assert_eq!(analysis.kept.len(), 1); // the leading silence is trimmed
/// # Ok::<(), ser::SerError>(())
/// ```
pub trait Stepwise {
    type Output;

    /// Does about `budget` units of work, in the machine's own unit (packets, samples,
    /// frames or windows: see each implementation). Returns whether all the work is done.
    fn step(&mut self, budget: usize) -> Result<bool>;

    /// How far the job is, from 0 to 1 (0 while it cannot tell, e.g. a file that does not
    /// announce its length).
    fn progress(&self) -> f64;

    /// Does whatever work is left and returns the result.
    fn finish(self) -> Result<Self::Output>
    where
        Self: Sized;
}
