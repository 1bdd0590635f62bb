//! Conversion to the 16 kHz analysis rate with rubato's synchronous FFT resampler: a
//! band-limited (windowed-sinc equivalent) converter with a BlackmanHarris anti-aliasing
//! window, planned once per input rate.
//!
//! Audio can arrive in blocks of any size ([`MonoResampler::process_into_buffer`], then
//! [`MonoResampler::flush_into_buffer`]) or as a whole clip ([`MonoResampler::process_all`]);
//! both give the same samples, so a one-hour file streamed from disk and a short clip held
//! in memory go through identical arithmetic.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler as _, WindowFunction};

use crate::error::{Result, SerError};

/// Output frames per FFT chunk, at least.
const MIN_CHUNK_OUT: usize = 1024;
/// Input frames per FFT, at least: the filter is as long as the FFT, and a short one lets
/// through (or cuts) too much near Nyquist.
const MIN_FFT_IN: usize = 512;

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The output chunk size for rubato's FFT resampler. Its FFTs hold `k·from/g` input and
/// `k·to/g` output frames (g = gcd); both must be even, or the filter's centre falls between
/// samples and the output is half a sample late (seen at 44.1 kHz and when upsampling).
fn chunk_size(from_rate: u32, to_rate: u32) -> usize {
    let (from, to) = (from_rate as usize, to_rate as usize);
    let g = gcd(from, to);
    let (unit_in, unit_out) = (from / g, to / g);
    let mut k = MIN_CHUNK_OUT.div_ceil(unit_out).max(MIN_FFT_IN.div_ceil(unit_in));
    if (k * unit_in) % 2 == 1 || (k * unit_out) % 2 == 1 {
        k += 1;
    }
    k * unit_out
}

/// Resamples mono audio from one fixed rate to another.
pub struct MonoResampler {
    from_rate: u32,
    to_rate: u32,
    fft: Option<Fft<f32>>,
    /// Input not yet consumed by a whole chunk.
    pending: Vec<f32>,
    /// One chunk's output, before the filter delay is dropped.
    chunk_out: Vec<f32>,
    /// Input frames since the start of the stream.
    input_len: usize,
    /// Output frames delivered since the start of the stream.
    output_len: usize,
    /// Leading output frames still to drop (the filter's delay).
    delay_left: usize,
}

fn resampling_failed(e: impl std::fmt::Display) -> SerError {
    SerError::Corrupt(format!("resampling failed: {e}"))
}

impl MonoResampler {
    pub fn new(from_rate: u32, to_rate: u32) -> Result<Self> {
        let fft = if from_rate == to_rate {
            None
        } else {
            Some(
                Fft::<f32>::new_custom(
                    from_rate as usize,
                    to_rate as usize,
                    chunk_size(from_rate, to_rate),
                    1,
                    1,
                    WindowFunction::BlackmanHarris2,
                    FixedSync::Output,
                )
                .map_err(|_| SerError::UnsupportedSampleRate(from_rate))?,
            )
        };
        let (chunk_out, delay_left) = match &fft {
            Some(f) => (vec![0.0; f.output_frames_max()], f.output_delay()),
            None => (Vec::new(), 0),
        };
        Ok(Self { from_rate, to_rate, fft, pending: Vec::new(), chunk_out, input_len: 0, output_len: 0, delay_left })
    }

    pub fn from_rate(&self) -> u32 {
        self.from_rate
    }

    pub fn to_rate(&self) -> u32 {
        self.to_rate
    }

    /// Output frames a stream of `input_len` frames resamples to.
    pub fn output_len_for(&self, input_len: usize) -> usize {
        match &self.fft {
            Some(f) => (f.resample_ratio() * input_len as f64).ceil() as usize,
            None => input_len,
        }
    }

    /// Feeds the next block of a stream and appends what is ready to `out`. The output lags
    /// the input by up to one chunk; [`Self::flush_into_buffer`] delivers the rest.
    pub fn process_into_buffer(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        self.input_len += input.len();
        if self.fft.is_none() {
            out.extend_from_slice(input);
            self.output_len += input.len();
            return Ok(());
        }
        self.pending.extend_from_slice(input);
        // The chunk size can change from call to call (the FFT resampler keeps its output
        // fixed), so it is asked for each time.
        let mut consumed = 0;
        while self.pending.len() - consumed >= self.chunk_in() {
            consumed += self.run_chunk(consumed, self.chunk_in(), None, out)?;
        }
        self.pending.drain(..consumed);
        Ok(())
    }

    /// Ends the stream: appends the remaining output, so that the whole stream's output has
    /// `ceil(input_len * to / from)` frames, with the filter delay removed so output sample
    /// `n` lines up with input time `n / to_rate`. The resampler is then ready for a new stream.
    pub fn flush_into_buffer(&mut self, out: &mut Vec<f32>) -> Result<()> {
        if self.fft.is_some() {
            let expected = self.output_len_for(self.input_len);
            if !self.pending.is_empty() {
                let partial = self.pending.len();
                self.run_chunk(0, partial, Some(expected), out)?;
                self.pending.clear();
            }
            // The delay is still inside the filter: pump silence until it comes out.
            while self.output_len < expected {
                self.run_chunk(0, 0, Some(expected), out)?;
            }
        }
        self.reset();
        Ok(())
    }

    /// Input frames one resampler call consumes.
    fn chunk_in(&self) -> usize {
        self.fft.as_ref().map_or(1, |f| f.input_frames_next())
    }

    fn reset(&mut self) {
        if let Some(f) = self.fft.as_mut() {
            f.reset();
            self.delay_left = f.output_delay();
        }
        self.pending.clear();
        self.input_len = 0;
        self.output_len = 0;
    }

    /// One resampler call on `pending[offset..offset + valid]` (zero-padded when `valid` is
    /// short of a chunk), appending at most `cap - output_len` frames after the delay.
    /// Returns the input frames consumed.
    fn run_chunk(&mut self, offset: usize, valid: usize, cap: Option<usize>, out: &mut Vec<f32>) -> Result<usize> {
        let chunk = self.chunk_in();
        let Some(fft) = self.fft.as_mut() else { return Ok(0) };
        let indexing = Indexing {
            input_offset: offset,
            output_offset: 0,
            active_channels_mask: None,
            partial_len: (valid < chunk).then_some(valid),
        };
        // A partial call must still be given a whole chunk of (ignored) input frames.
        let available = self.pending.len().max(offset + chunk);
        if self.pending.len() < available {
            self.pending.resize(available, 0.0);
        }
        let input = InterleavedSlice::new(&self.pending[..], 1, available).map_err(resampling_failed)?;
        let frames_out = self.chunk_out.len();
        let mut output =
            InterleavedSlice::new_mut(&mut self.chunk_out[..], 1, frames_out).map_err(resampling_failed)?;
        let (consumed, produced) =
            fft.process_into_buffer(&input, &mut output, Some(&indexing)).map_err(resampling_failed)?;
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        let mut ready = &self.chunk_out[skip..produced];
        if let Some(cap) = cap {
            ready = &ready[..ready.len().min(cap.saturating_sub(self.output_len))];
        }
        out.extend_from_slice(ready);
        self.output_len += ready.len();
        Ok(consumed)
    }

    /// Resamples a whole clip into `out` (cleared first). Equal to streaming it in blocks.
    pub fn process_all_into_buffer(&mut self, input: &[f32], out: &mut Vec<f32>) -> Result<()> {
        out.clear();
        self.reset();
        out.reserve(self.output_len_for(input.len()));
        self.process_into_buffer(input, out)?;
        self.flush_into_buffer(out)
    }

    /// Resamples a whole clip into a new buffer.
    pub fn process_all(&mut self, input: &[f32]) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        self.process_all_into_buffer(input, &mut out)?;
        Ok(out)
    }
}

/// One-shot convenience: resample `input` from `from_rate` to `to_rate`.
pub fn resample(input: &[f32], from_rate: u32, to_rate: u32) -> Result<Vec<f32>> {
    MonoResampler::new(from_rate, to_rate)?.process_all(input)
}
