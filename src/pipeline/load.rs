//! Getting a recording to the analysis rate block by block: decode a packet, check it,
//! resample it, keep only the 16 kHz result. Memory holds the 16 kHz signal, never the file's
//! own rate and channels, and a caller can report progress or stop between steps.

use std::io::Cursor;

use symphonia::core::io::MediaSource;

use super::{LevelStats, PipelineOptions, refuse_silent_source};
use crate::audio::{MonoDecoder, MonoResampler, SourceStats};
use crate::error::{Result, SerError};
use crate::stepwise::Stepwise;

/// Feeds decoded blocks through the resampler, refusing invalid samples and a sample rate
/// that changes part-way through. Shared by [`Loader`] and the long-file passes.
pub(crate) struct ToAnalysisRate<'s> {
    pub(crate) decoder: MonoDecoder<'s>,
    resampler: Option<MonoResampler>,
    target_rate: u32,
    /// Levels at the file's own rate, before resampling.
    pub(crate) source_levels: LevelStats,
}

impl<'s> ToAnalysisRate<'s> {
    pub(crate) fn new(source: Box<dyn MediaSource + 's>, target_rate: u32) -> Result<Self> {
        Ok(Self {
            decoder: MonoDecoder::new(source)?,
            resampler: None,
            target_rate,
            source_levels: LevelStats::default(),
        })
    }

    /// Decodes the next packet and appends its 16 kHz samples to `out`. `false` at the end
    /// of the stream, after the resampler's tail has been appended.
    pub(crate) fn next_into(&mut self, out: &mut Vec<f32>) -> Result<bool> {
        let Some((block, rate)) = self.decoder.next_block_at_rate()? else {
            if let Some(r) = self.resampler.as_mut() {
                r.flush_into_buffer(out)?;
            }
            return Ok(false);
        };
        crate::audio::decode::check_samples(block)?;
        self.source_levels.add(block);
        let resampler = match &mut self.resampler {
            Some(r) if r.from_rate() == rate => r,
            Some(_) => return Err(SerError::Corrupt("its sample rate changes part-way through".into())),
            None => self.resampler.insert(MonoResampler::new(rate, self.target_rate)?),
        };
        // `block` borrows the decoder, so it is fed before anything else touches it.
        resampler.process_into_buffer(block, out)?;
        Ok(true)
    }
}

/// A recording decoded to the analysis rate in steps.
pub struct Loader<'s> {
    stream: ToAnalysisRate<'s>,
    signal: Vec<f32>,
    options: PipelineOptions,
    done: bool,
}

impl<'s> Loader<'s> {
    pub fn new(source: Box<dyn MediaSource + 's>, options: &PipelineOptions) -> Result<Self> {
        Ok(Self {
            stream: ToAnalysisRate::new(source, options.params.sample_rate)?,
            signal: Vec::new(),
            options: options.clone(),
            done: false,
        })
    }

    /// A file held in memory (borrowed, not copied).
    pub fn from_bytes(bytes: &'s [u8], options: &PipelineOptions) -> Result<Self> {
        if bytes.is_empty() {
            return Err(SerError::Empty);
        }
        Self::new(Box::new(Cursor::new(bytes)), options)
    }

    /// The length the file announces, in seconds, if it does.
    pub fn expected_seconds(&self) -> Option<f64> {
        self.stream.decoder.expected_seconds()
    }

    pub fn decoded_seconds(&self) -> f64 {
        self.stream.decoder.decoded_seconds()
    }

    /// [`Stepwise::finish`], with what the file was before resampling (for
    /// [`Quality`](super::Quality): its rate, channels, peak, clipping and announced length).
    pub fn finish_with_source(mut self) -> Result<(Vec<f32>, SourceStats)> {
        while !self.step(64)? {}
        if self.signal.is_empty() {
            return Err(SerError::NoAudio);
        }
        refuse_silent_source(&self.stream.source_levels, self.signal.len(), &self.options)?;
        Ok((self.signal, self.stream.decoder.source_stats()))
    }
}

/// The budget is packets of the file.
impl Stepwise for Loader<'_> {
    type Output = Vec<f32>;

    fn step(&mut self, max_packets: usize) -> Result<bool> {
        for _ in 0..max_packets.max(1) {
            if self.done {
                break;
            }
            self.done = !self.stream.next_into(&mut self.signal)?;
            let seconds = self.stream.decoder.decoded_seconds();
            let limit = self.options.limits.max_seconds;
            if seconds > limit {
                let got = self.expected_seconds().filter(|&e| e > seconds).unwrap_or(seconds);
                return Err(SerError::TooLong { got, limit });
            }
        }
        Ok(self.done)
    }

    /// Known only when the file announces its length.
    fn progress(&self) -> f64 {
        if self.done { 1.0 } else { self.stream.decoder.progress().unwrap_or(0.0) }
    }

    /// The recording at the analysis rate.
    fn finish(self) -> Result<Vec<f32>> {
        Ok(self.finish_with_source()?.0)
    }
}

/// Mono samples already in memory (the microphone, the browser's decoder) brought to the
/// analysis rate in steps, with the checks a decoded file gets.
pub struct Resampling<'a> {
    samples: &'a [f32],
    at: usize,
    resampler: MonoResampler,
    signal: Vec<f32>,
    source_levels: LevelStats,
    options: PipelineOptions,
}

impl<'a> Resampling<'a> {
    pub fn new(samples: &'a [f32], sample_rate: u32, options: &PipelineOptions) -> Result<Self> {
        crate::audio::decode::check_rate(sample_rate)?;
        crate::audio::decode::check_samples(samples)?;
        let duration = samples.len() as f64 / sample_rate as f64;
        let limit = options.limits.max_seconds;
        if duration > limit {
            return Err(SerError::TooLong { got: duration, limit });
        }
        let resampler = MonoResampler::new(sample_rate, options.params.sample_rate)?;
        let mut source_levels = LevelStats::default();
        source_levels.add(samples);
        Ok(Self {
            signal: Vec::with_capacity(resampler.output_len_for(samples.len())),
            samples,
            at: 0,
            resampler,
            source_levels,
            options: options.clone(),
        })
    }

    /// [`Stepwise::finish`], with the peak and clipping of the samples before resampling.
    pub fn finish_with_source(mut self) -> Result<(Vec<f32>, SourceStats)> {
        while !self.step(1 << 16)? {}
        self.resampler.flush_into_buffer(&mut self.signal)?;
        refuse_silent_source(&self.source_levels, self.signal.len(), &self.options)?;
        Ok((self.signal, SourceStats::of_mono(self.samples, self.resampler.from_rate())))
    }
}

/// The budget is input samples.
impl Stepwise for Resampling<'_> {
    type Output = Vec<f32>;

    fn step(&mut self, max_samples: usize) -> Result<bool> {
        let end = self.at.saturating_add(max_samples.max(1)).min(self.samples.len());
        self.resampler.process_into_buffer(&self.samples[self.at..end], &mut self.signal)?;
        self.at = end;
        Ok(self.at == self.samples.len())
    }

    fn progress(&self) -> f64 {
        if self.samples.is_empty() { 1.0 } else { self.at as f64 / self.samples.len() as f64 }
    }

    /// The recording at the analysis rate.
    fn finish(self) -> Result<Vec<f32>> {
        Ok(self.finish_with_source()?.0)
    }
}
