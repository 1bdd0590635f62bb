//! Decoding with symphonia. The format is taken from the content, never from a file name.
//! Output is mono (the mean of all channels) at the file's own sample rate.

use serde::{Deserialize, Serialize};
use std::io::Cursor;

use std::io::Read;

use symphonia::core::codecs::CodecProfile;
use symphonia::core::codecs::audio::well_known::profiles::{
    CODEC_PROFILE_AAC_HE, CODEC_PROFILE_AAC_HE_V2, CODEC_PROFILE_AAC_USAC,
};
use symphonia::core::codecs::audio::{AudioCodecId, AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream, SeekBuffered};
use symphonia::core::meta::MetadataOptions;

use crate::error::{Result, SerError};

pub const MIN_SAMPLE_RATE: u32 = 8_000;
pub const MAX_SAMPLE_RATE: u32 = 192_000;
pub const MAX_CHANNELS: usize = 32;

/// Decoded mono audio at its original rate.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedAudio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub channels: usize,
}

impl DecodedAudio {
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / self.sample_rate as f64
    }
}

/// A sample at least this large counts as clipped: within 0.1 dB of full scale. Clipping
/// flattens peaks at exactly full scale in integer files, but lossy codecs and resampling
/// ring around the flattened tops, so the clipped samples of an MP3 read a little under 1.0.
pub const CLIP_LEVEL: f32 = 0.989;

/// What a recording was before it became mono at 16 kHz: the facts the input-quality report
/// (`pipeline::Quality`) needs that the analysis signal no longer shows. Peak and clipping
/// are counted over every channel, since a channel clipped alone is halved in the mono mix.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceStats {
    pub sample_rate: u32,
    pub channels: usize,
    /// The largest magnitude of any sample of any channel.
    pub peak: f32,
    /// Samples (of all channels) at or above [`CLIP_LEVEL`].
    pub clipped: u64,
    /// Samples counted, of all channels.
    pub samples: u64,
    /// The length the container's header announces, if it does.
    pub announced_s: Option<f64>,
    /// The length decoded.
    pub present_s: f64,
}

impl SourceStats {
    /// Mono samples in memory (a microphone, the browser's decoder), which have no header.
    pub fn of_mono(samples: &[f32], sample_rate: u32) -> Self {
        let mut stats = Self { sample_rate, channels: 1, ..Self::default() };
        stats.add(samples);
        stats.present_s = samples.len() as f64 / sample_rate.max(1) as f64;
        stats
    }

    /// Counts samples of any channel layout.
    pub fn add(&mut self, samples: &[f32]) {
        // On magnitudes' bit patterns, which order as the values do (see `magnitude_bits`):
        // integer comparisons vectorise, `f32::max` does not. A NaN counts as 0, as `max`
        // would skip it.
        let clip = CLIP_LEVEL.to_bits();
        let (mut top, mut clipped) = (0u32, 0u64);
        for &s in samples {
            let bits = magnitude_bits(s);
            let bits = if bits > f32::INFINITY.to_bits() { 0 } else { bits };
            top = top.max(bits);
            clipped += u64::from(bits >= clip);
        }
        self.peak = self.peak.max(f32::from_bits(top));
        self.clipped += clipped;
        self.samples += samples.len() as u64;
    }
}

/// Limits checked while decoding, so a hostile file cannot make us allocate without bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeLimits {
    /// The longest audio accepted, in seconds.
    pub max_seconds: f64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_seconds: 20.0 * 60.0 }
    }
}

/// A streaming decoder: yields mono blocks one packet at a time.
pub struct MonoDecoder<'s> {
    format: Box<dyn FormatReader + 's>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    sample_rate: u32,
    channels: usize,
    interleaved: Vec<f32>,
    block: Vec<f32>,
    decode_errors: usize,
    decoded_blocks: usize,
    /// Frames the container says the track has, if it says.
    expected_frames: Option<u64>,
    frames_decoded: u64,
    /// The codec's name, for an error should the decoder refuse a packet later.
    codec: Option<&'static str>,
    /// Peak and clipping of every channel, before the mono mix.
    stats: SourceStats,
}

/// The name people know a codec by. Error messages use it instead of symphonia's numeric id,
/// which means nothing to anyone.
pub fn codec_name(id: AudioCodecId) -> Option<&'static str> {
    use symphonia::core::codecs::audio::well_known::*;
    let name = match id {
        CODEC_ID_PCM_ALAW => "A-law",
        CODEC_ID_PCM_MULAW => "μ-law",
        id if (CODEC_ID_PCM_S32LE..=CODEC_ID_PCM_F64BE_PLANAR).contains(&id) => "PCM",
        CODEC_ID_ADPCM_G722 => "G.722",
        CODEC_ID_ADPCM_G726 | CODEC_ID_ADPCM_G726LE => "G.726",
        CODEC_ID_ADPCM_MS => "Microsoft ADPCM",
        CODEC_ID_ADPCM_IMA_WAV | CODEC_ID_ADPCM_IMA_QT => "IMA ADPCM",
        CODEC_ID_VORBIS => "Vorbis",
        CODEC_ID_OPUS => "Opus",
        CODEC_ID_SPEEX => "Speex",
        CODEC_ID_MUSEPACK => "Musepack",
        CODEC_ID_MP1 => "MPEG Layer I",
        CODEC_ID_MP2 => "MPEG Layer II (MP2)",
        CODEC_ID_MP3 => "MP3",
        CODEC_ID_AAC => "AAC",
        CODEC_ID_AC3 => "Dolby Digital (AC-3)",
        CODEC_ID_EAC3 => "Dolby Digital Plus (E-AC-3)",
        CODEC_ID_AC4 => "Dolby AC-4",
        CODEC_ID_DCA => "DTS",
        CODEC_ID_ATRAC1 | CODEC_ID_ATRAC3 | CODEC_ID_ATRAC3PLUS | CODEC_ID_ATRAC9 => "ATRAC",
        CODEC_ID_WMA => "Windows Media Audio (WMA)",
        CODEC_ID_RA10 | CODEC_ID_RA20 | CODEC_ID_SIPR | CODEC_ID_COOK | CODEC_ID_RALF => "RealAudio",
        CODEC_ID_SBC => "Bluetooth SBC",
        CODEC_ID_APTX => "aptX",
        CODEC_ID_APTX_HD => "aptX HD",
        CODEC_ID_LDAC => "LDAC",
        CODEC_ID_BINK_AUDIO => "Bink Audio",
        CODEC_ID_SMACKER_AUDIO => "Smacker audio",
        CODEC_ID_FLAC => "FLAC",
        CODEC_ID_WAVPACK => "WavPack",
        CODEC_ID_MONKEYS_AUDIO => "Monkey's Audio",
        CODEC_ID_ALAC => "Apple Lossless (ALAC)",
        CODEC_ID_TTA => "True Audio (TTA)",
        CODEC_ID_TRUEHD => "Dolby TrueHD",
        _ => return None,
    };
    Some(name)
}

/// The decoders ser has: symphonia's, plus Opus natively (libopus; see `opus.rs`). The page
/// (wasm32) has symphonia's alone and leaves Opus to the browser.
#[cfg(not(target_arch = "wasm32"))]
fn codecs() -> &'static symphonia::core::codecs::registry::CodecRegistry {
    use std::sync::LazyLock;
    use symphonia::core::codecs::registry::CodecRegistry;
    static CODECS: LazyLock<CodecRegistry> = LazyLock::new(|| {
        let mut registry = CodecRegistry::new();
        symphonia::default::register_enabled_codecs(&mut registry);
        registry.register_audio_decoder::<super::opus::OpusDecoder>();
        registry
    });
    &CODECS
}

#[cfg(target_arch = "wasm32")]
fn codecs() -> &'static symphonia::core::codecs::registry::CodecRegistry {
    symphonia::default::get_codecs()
}

/// The codec an [`SerError::UnsupportedCodec`] names: "the Speex codec", or "a form of the AAC
/// codec" when ser decodes the codec but not this variant of it.
fn unsupported_codec(params: &AudioCodecParameters) -> SerError {
    let registered = codecs().get_audio_decoder(params.codec).is_some();
    let name = match (codec_name(params.codec), params.profile) {
        (Some("AAC"), Some(profile)) => aac_profile_name(profile),
        (name, _) => name,
    };
    SerError::UnsupportedCodec(match name {
        Some(name) if registered => format!("a form of the {name} codec"),
        Some(name) => format!("the {name} codec"),
        None => "an audio codec that ser does not know".to_string(),
    })
}

fn aac_profile_name(profile: CodecProfile) -> Option<&'static str> {
    Some(match profile {
        CODEC_PROFILE_AAC_HE => "HE-AAC",
        CODEC_PROFILE_AAC_HE_V2 => "HE-AAC v2",
        CODEC_PROFILE_AAC_USAC => "xHE-AAC",
        _ => "AAC",
    })
}

/// Audio formats that the probe does not recognise, told apart by their first bytes, so that a
/// recording in one of them is not called "not an audio file".
fn sniff_unsupported(head: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    // An Ogg page whose first packet (after the 27-byte header and a one-entry segment table)
    // is a Speex header; symphonia reads Ogg, but not Speex inside it.
    if starts(b"OggS") && head.get(28..36) == Some(b"Speex   ") {
        return Some("Speex");
    }
    if starts(b"#!AMR-WB\n") {
        return Some("AMR-WB");
    }
    if starts(b"#!AMR\n") {
        return Some("AMR");
    }
    if starts(&[0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) {
        return Some("Windows Media Audio (WMA)");
    }
    if starts(b"MAC ") {
        return Some("Monkey's Audio");
    }
    if starts(b"wvpk") {
        return Some("WavPack");
    }
    if starts(b"MPCK") || starts(b"MP+") {
        return Some("Musepack");
    }
    if starts(b"TTA1") {
        return Some("True Audio (TTA)");
    }
    None
}

/// The first bytes of the stream, left in place for the probe.
fn peek_head(mss: &mut MediaSourceStream<'_>) -> Vec<u8> {
    let mut head = vec![0u8; 64];
    let mut filled = 0;
    while filled < head.len() {
        match mss.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    mss.seek_buffered_rel(-(filled as isize));
    head.truncate(filled);
    head
}

fn map_probe_error(err: SymphoniaError) -> SerError {
    match err {
        SymphoniaError::Unsupported(_) => SerError::NotAudio,
        // The probe recognised a format, then the data ran out: a damaged file, not a foreign one.
        SymphoniaError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            SerError::Corrupt("it ends before its audio begins".into())
        }
        SymphoniaError::IoError(_) => SerError::NotAudio,
        SymphoniaError::LimitError(what) => SerError::Corrupt(format!("a limit was exceeded ({what})")),
        other => SerError::Corrupt(other.to_string()),
    }
}

impl<'s> MonoDecoder<'s> {
    pub fn new(source: Box<dyn MediaSource + 's>) -> Result<Self> {
        let mut mss = MediaSourceStream::new(source, Default::default());
        let head = peek_head(&mut mss);
        let format = symphonia::default::get_probe()
            .probe(&Hint::new(), mss, FormatOptions::default(), MetadataOptions::default())
            .map_err(|e| match sniff_unsupported(&head) {
                Some(name) => SerError::UnsupportedCodec(format!("the {name} codec")),
                None => map_probe_error(e),
            })?;
        let track = format.default_track(TrackType::Audio).ok_or(SerError::NoAudio)?;
        let params = track.codec_params.as_ref().and_then(|p| p.audio()).ok_or(SerError::NoAudio)?;
        if let Some(rate) = params.sample_rate {
            check_rate(rate)?;
        }
        if let Some(ch) = &params.channels {
            check_channels(ch.count())?;
        }
        let decoder = codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|_| unsupported_codec(params))?;
        let codec = codec_name(params.codec);
        let track_id = track.id;
        let expected_frames = track.num_frames;
        let sample_rate = params.sample_rate.unwrap_or(0);
        let channels = params.channels.as_ref().map_or(0, |c| c.count());
        Ok(Self {
            format,
            decoder,
            track_id,
            sample_rate,
            channels,
            interleaved: Vec::new(),
            block: Vec::new(),
            decode_errors: 0,
            decoded_blocks: 0,
            expected_frames,
            frames_decoded: 0,
            codec,
            stats: SourceStats::default(),
        })
    }

    /// The sample rate, known for certain once the first block is decoded.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The length in seconds the container announces, if it does. A claim, not a fact: a
    /// file cut off mid-way announces more than it holds.
    pub fn expected_seconds(&self) -> Option<f64> {
        match (self.expected_frames, self.sample_rate) {
            (Some(frames), rate) if rate > 0 => Some(frames as f64 / rate as f64),
            _ => None,
        }
    }

    /// What the recording is at its own rate and channels, as far as decoded.
    pub fn source_stats(&self) -> SourceStats {
        SourceStats {
            sample_rate: self.sample_rate,
            channels: self.channels,
            announced_s: self.expected_seconds(),
            present_s: self.decoded_seconds(),
            ..self.stats
        }
    }

    /// Seconds decoded so far.
    pub fn decoded_seconds(&self) -> f64 {
        self.frames_decoded as f64 / self.sample_rate.max(1) as f64
    }

    /// How far through the announced length decoding is, from 0 to 1, if the length is known.
    pub fn progress(&self) -> Option<f64> {
        self.expected_seconds().filter(|&s| s > 0.0).map(|s| (self.decoded_seconds() / s).min(1.0))
    }

    /// The next block of mono samples, or `None` at the end of the stream.
    pub fn next_block(&mut self) -> Result<Option<&[f32]>> {
        Ok(self.next_block_at_rate()?.map(|(block, _)| block))
    }

    /// The next block of mono samples with its sample rate, or `None` at the end of the stream.
    pub fn next_block_at_rate(&mut self) -> Result<Option<(&[f32], u32)>> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(None),
                // A file cut off mid-way ends where its data ends.
                Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Ok(None);
                }
                Err(SymphoniaError::ResetRequired) => return Ok(None),
                Err(SymphoniaError::DecodeError(what)) => {
                    return Err(SerError::Corrupt(format!("the data is malformed ({what})")));
                }
                Err(e) => return Err(SerError::Corrupt(e.to_string())),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let buf = match self.decoder.decode(&packet) {
                Ok(buf) => buf,
                Err(SymphoniaError::DecodeError(_)) | Err(SymphoniaError::IoError(_)) => {
                    self.decode_errors += 1;
                    if self.decode_errors > 100 && self.decode_errors > self.decoded_blocks {
                        return Err(SerError::Corrupt("most of its packets cannot be decoded".into()));
                    }
                    continue;
                }
                // symphonia's own words name a feature of the stream, not something a person
                // can act on; the codec is what they can convert away from.
                Err(SymphoniaError::Unsupported(_)) => {
                    return Err(SerError::UnsupportedCodec(match self.codec {
                        Some(name) => format!("a form of the {name} codec"),
                        None => "a form of its audio codec".to_string(),
                    }));
                }
                Err(e) => return Err(SerError::Corrupt(e.to_string())),
            };
            let rate = buf.spec().rate();
            let channels = buf.spec().channels().count();
            check_rate(rate)?;
            check_channels(channels)?;
            self.sample_rate = rate;
            self.channels = channels;
            let frames = buf.frames();
            if frames == 0 {
                continue;
            }
            if channels == 1 {
                // Already mono: straight into the block, without the copy and the mixing loop.
                self.block.resize(frames, 0.0);
                buf.copy_to_slice_interleaved(&mut self.block[..]);
                self.stats.add(&self.block);
            } else {
                self.interleaved.resize(frames * channels, 0.0);
                buf.copy_to_slice_interleaved(&mut self.interleaved[..]);
                self.stats.add(&self.interleaved);
                self.block.clear();
                let scale = 1.0 / channels as f32;
                self.block
                    .extend(self.interleaved.chunks_exact(channels).map(|frame| frame.iter().sum::<f32>() * scale));
            }
            self.decoded_blocks += 1;
            self.frames_decoded += frames as u64;
            return Ok(Some((&self.block, rate)));
        }
    }
}

/// The largest sample magnitude accepted: 60 dB over full scale. Float files may go past 1.0
/// (overs), but values near `f32::MAX` overflow the FFTs downstream.
pub const MAX_SAMPLE_MAGNITUDE: f32 = 1_000.0;

/// Refuses NaN, infinity and absurdly large samples.
pub fn check_samples(samples: &[f32]) -> Result<()> {
    // Every NaN and infinity lies above the largest finite magnitude.
    let top = samples.iter().fold(0u32, |top, &s| top.max(magnitude_bits(s)));
    if top >= f32::INFINITY.to_bits() {
        return Err(SerError::InvalidSamples);
    }
    let peak = f32::from_bits(top);
    if peak > MAX_SAMPLE_MAGNITUDE {
        return Err(SerError::SamplesOutOfRange(peak));
    }
    Ok(())
}

/// `|s|`'s bits: for floats without a sign the bit patterns order as the values do, with the
/// infinity above every finite value and the NaNs above that.
fn magnitude_bits(s: f32) -> u32 {
    s.to_bits() & 0x7fff_ffff
}

pub(crate) fn check_rate(rate: u32) -> Result<()> {
    if (MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(SerError::UnsupportedSampleRate(rate))
    }
}

fn check_channels(channels: usize) -> Result<()> {
    match channels {
        0 => Err(SerError::NoAudio),
        c if c > MAX_CHANNELS => Err(SerError::TooManyChannels(c, MAX_CHANNELS)),
        _ => Ok(()),
    }
}

/// Decodes a whole file held in memory.
pub fn decode_bytes(bytes: &[u8], limits: &DecodeLimits) -> Result<DecodedAudio> {
    if bytes.is_empty() {
        return Err(SerError::Empty);
    }
    decode_source(Box::new(Cursor::new(bytes.to_vec())), limits)
}

/// Decodes a whole stream (a file, for example).
pub fn decode_source<'s>(source: Box<dyn MediaSource + 's>, limits: &DecodeLimits) -> Result<DecodedAudio> {
    let mut decoder = MonoDecoder::new(source)?;
    let mut samples = Vec::new();
    while let Some(block) = decoder.next_block()? {
        check_samples(block)?;
        samples.extend_from_slice(block);
        let seconds = samples.len() as f64 / decoder.sample_rate().max(1) as f64;
        if seconds > limits.max_seconds {
            return Err(SerError::TooLong { got: seconds, limit: limits.max_seconds });
        }
    }
    if samples.is_empty() {
        return Err(SerError::NoAudio);
    }
    Ok(DecodedAudio { samples, sample_rate: decoder.sample_rate(), channels: decoder.channels() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values that test every branch of the bit tricks: signed zeros, the clip level and the
    /// values either side of it, the largest finite value, infinities and NaNs.
    const EDGES: [f32; 11] = [
        0.0,
        -0.0,
        0.5,
        -0.75,
        CLIP_LEVEL,
        -CLIP_LEVEL,
        0.988_999_9,
        f32::MAX,
        f32::NEG_INFINITY,
        f32::INFINITY,
        f32::NAN,
    ];

    /// The plain loops these scans replaced.
    fn scalar_stats(samples: &[f32]) -> (f32, u64) {
        let (mut peak, mut clipped) = (0.0f32, 0u64);
        for &s in samples {
            peak = peak.max(s.abs());
            clipped += u64::from(s.abs() >= CLIP_LEVEL);
        }
        (peak, clipped)
    }

    fn scalar_check(samples: &[f32]) -> Result<()> {
        let mut peak = 0.0f32;
        for &s in samples {
            if !s.is_finite() {
                return Err(SerError::InvalidSamples);
            }
            peak = peak.max(s.abs());
        }
        if peak > MAX_SAMPLE_MAGNITUDE { Err(SerError::SamplesOutOfRange(peak)) } else { Ok(()) }
    }

    #[test]
    fn the_vectorised_scans_equal_the_plain_loops() {
        let mut checked = 0;
        // Every pair of edge values at every place in blocks of 1 to 19 samples.
        for len in 1..20usize {
            for (a, b) in EDGES.iter().flat_map(|&a| EDGES.iter().map(move |&b| (a, b))) {
                for at in 0..len {
                    let mut x: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin() * 0.3).collect();
                    x[at] = a;
                    x[len - 1 - at] = b;
                    let mut stats = SourceStats::default();
                    stats.add(&x);
                    let (peak, clipped) = scalar_stats(&x);
                    assert_eq!((stats.peak.to_bits(), stats.clipped), (peak.to_bits(), clipped), "{x:?}");
                    assert_eq!(check_samples(&x), scalar_check(&x), "{x:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20_000);
        assert_eq!(check_samples(&[0.1, -2000.0, 3.0]), Err(SerError::SamplesOutOfRange(2000.0)));
        assert_eq!(check_samples(&[]), Ok(()));
    }
}
