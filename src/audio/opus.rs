//! Opus, for the CLI only (the page decodes Opus with the browser's decoder).
//!
//! symphonia 0.6 demuxes Ogg and Matroska/WebM but has no Opus decoder. libopus decodes the
//! packets, through `symphonia-adapter-libopus` (a safe wrapper: this crate forbids `unsafe`);
//! this decoder adds what the Ogg and Matroska Opus mappings (RFC 7845, the WebM Opus mapping)
//! ask of a player:
//!
//! - output at 48 kHz, whatever rate the container names (the OpusHead's "input sample rate"
//!   is only what the encoder was fed, and Matroska's sampling frequency is informational);
//! - the channel count from the OpusHead (channel mapping family 0: mono or stereo);
//! - the first `pre-skip` samples dropped, however many packets they span (the adapter drops
//!   them from the first packet only);
//! - the OpusHead's output gain applied;
//! - the end trimming the demuxer marks on the last packet (Ogg's final granule position;
//!   symphonia's Matroska reader does not expose WebM's `DiscardPadding`, so a WebM file keeps
//!   its last packet's padding, at most one packet, typically 20 ms).

use symphonia::core::audio::{AsGenericAudioBufferRef, AudioBuffer, AudioMut, AudioSpec, GenericAudioBufferRef};
use symphonia::core::audio::{Channels, layouts};
use symphonia::core::codecs::CodecInfo;
use symphonia::core::codecs::audio::well_known::CODEC_ID_OPUS;
use symphonia::core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions, FinalizeResult};
use symphonia::core::codecs::registry::{RegisterableAudioDecoder, SupportedAudioCodec};
use symphonia::core::errors::{Result, unsupported_error};
use symphonia::core::packet::PacketRef;

/// Opus always decodes at 48 kHz here; pre-skip and granule positions count 48 kHz samples.
pub const OPUS_RATE: u32 = 48_000;

/// What an OpusHead (RFC 7845 §5.1) says that decoding needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpusHead {
    pub channels: usize,
    /// Samples (at 48 kHz, per channel) to drop from the start of the decoded stream.
    pub pre_skip: usize,
    /// The output gain, as a linear factor.
    pub gain: f32,
    pub mapping_family: u8,
}

impl OpusHead {
    /// Parses the identification header that Ogg and Matroska (CodecPrivate) both carry.
    pub fn parse(head: &[u8]) -> Option<Self> {
        if head.len() < 19 || &head[..8] != b"OpusHead" {
            return None;
        }
        // Version: the major version (upper nibble) must be 0 for this layout.
        if head[8] >> 4 != 0 {
            return None;
        }
        let gain_q8 = i16::from_le_bytes([head[16], head[17]]);
        Some(Self {
            channels: head[9] as usize,
            pre_skip: u16::from_le_bytes([head[10], head[11]]) as usize,
            gain: 10f32.powf(gain_q8 as f32 / (20.0 * 256.0)),
            mapping_family: head[18],
        })
    }
}

const SUPPORTED: &[SupportedAudioCodec] = &[SupportedAudioCodec {
    id: CODEC_ID_OPUS,
    info: CodecInfo { short_name: "opus", long_name: "Opus (libopus)", profiles: &[] },
}];

/// A symphonia audio decoder for Opus in Ogg or Matroska.
pub struct OpusDecoder {
    params: AudioCodecParameters,
    /// The adapter's decoder: libopus at 48 kHz, applying the packets' own trims.
    inner: Box<dyn AudioDecoder>,
    channels: usize,
    /// Pre-skip samples still to drop.
    skip_left: usize,
    gain: f32,
    interleaved: Vec<f32>,
    buf: AudioBuffer<f32>,
}

fn layout(channels: usize) -> Option<Channels> {
    match channels {
        1 => Some(layouts::CHANNEL_LAYOUT_MONO),
        2 => Some(layouts::CHANNEL_LAYOUT_STEREO),
        _ => None,
    }
}

impl OpusDecoder {
    fn try_new(params: &AudioCodecParameters, opts: &AudioDecoderOptions) -> Result<Self> {
        let head = params.extra_data.as_deref().and_then(OpusHead::parse);
        let (channels, pre_skip, gain) = match head {
            // Family 0 is one stream, mono or stereo; families 1 and 255 are multistream
            // (surround), which the single-stream decoder cannot read.
            Some(h) if h.mapping_family != 0 => return unsupported_error("opus: multistream channel mapping"),
            Some(h) => (h.channels, h.pre_skip, h.gain),
            // Matroska may omit the CodecPrivate; then the track's channels, and nothing to skip.
            None => (params.channels.as_ref().map_or(0, |c| c.count()), 0, 1.0),
        };
        let Some(channel_layout) = layout(channels) else {
            return unsupported_error("opus: only mono and stereo streams are supported");
        };
        // The inner decoder gets no OpusHead, so it skips nothing itself; pre-skip is done here.
        let mut inner_params = params.clone();
        inner_params.sample_rate = Some(OPUS_RATE);
        inner_params.channels = Some(channel_layout.clone());
        inner_params.extra_data = None;
        let inner = symphonia_adapter_libopus::OpusDecoder::try_registry_new(&inner_params, opts)?;
        Ok(Self {
            params: params.clone(),
            inner,
            channels,
            skip_left: pre_skip,
            gain,
            interleaved: Vec::new(),
            buf: AudioBuffer::new(AudioSpec::new(OPUS_RATE, channel_layout), 0),
        })
    }
}

impl AudioDecoder for OpusDecoder {
    fn reset(&mut self) {
        // After a seek the stream goes on; the pre-skip belongs to its start only.
        self.inner.reset();
    }

    fn codec_info(&self) -> &CodecInfo {
        &SUPPORTED[0].info
    }

    fn codec_params(&self) -> &AudioCodecParameters {
        &self.params
    }

    fn decode_ref(&mut self, packet: &PacketRef<'_>) -> Result<GenericAudioBufferRef<'_>> {
        let decoded = self.inner.decode_ref(packet)?;
        let frames = decoded.frames();
        self.interleaved.resize(frames * self.channels, 0.0);
        decoded.copy_to_slice_interleaved(&mut self.interleaved[..]);
        let skip = self.skip_left.min(frames);
        self.skip_left -= skip;
        let kept = &mut self.interleaved[skip * self.channels..];
        if self.gain != 1.0 {
            kept.iter_mut().for_each(|s| *s *= self.gain);
        }
        let kept_frames = frames - skip;
        self.buf.clear();
        if self.buf.capacity() < kept_frames {
            self.buf.grow_capacity(kept_frames);
        }
        self.buf.render_uninit(Some(kept_frames));
        self.buf.copy_from_slice_interleaved(&&*kept);
        Ok(self.buf.as_generic_audio_buffer_ref())
    }

    fn finalize(&mut self) -> FinalizeResult {
        FinalizeResult::default()
    }

    fn last_decoded(&self) -> GenericAudioBufferRef<'_> {
        self.buf.as_generic_audio_buffer_ref()
    }
}

impl RegisterableAudioDecoder for OpusDecoder {
    fn try_registry_new(params: &AudioCodecParameters, opts: &AudioDecoderOptions) -> Result<Box<dyn AudioDecoder>> {
        Ok(Box::new(Self::try_new(params, opts)?))
    }

    fn supported_codecs() -> &'static [SupportedAudioCodec] {
        SUPPORTED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(channels: u8, pre_skip: u16, gain_q8: i16, family: u8) -> Vec<u8> {
        let mut h = b"OpusHead".to_vec();
        h.push(1);
        h.push(channels);
        h.extend_from_slice(&pre_skip.to_le_bytes());
        h.extend_from_slice(&16_000u32.to_le_bytes());
        h.extend_from_slice(&gain_q8.to_le_bytes());
        h.push(family);
        h
    }

    #[test]
    fn opus_head_fields() {
        let h = OpusHead::parse(&head(2, 312, 0, 0)).unwrap();
        assert_eq!((h.channels, h.pre_skip, h.gain, h.mapping_family), (2, 312, 1.0, 0));
        // +6.02 dB (Q7.8: 6.0206 * 256 = 1541) doubles the amplitude.
        let loud = OpusHead::parse(&head(1, 0, 1541, 0)).unwrap();
        assert!((loud.gain - 2.0).abs() < 1e-3, "{}", loud.gain);
        assert_eq!(OpusHead::parse(&head(1, 0, 0, 0)[..18]), None);
        assert_eq!(OpusHead::parse(b"OpusTags\x01\x01\x38\x01\x80\x3e\0\0\0\0\0"), None);
        let mut v2 = head(1, 0, 0, 0);
        v2[8] = 0x10;
        assert_eq!(OpusHead::parse(&v2), None);
    }

    fn params(extra: Option<Vec<u8>>) -> AudioCodecParameters {
        let mut p = AudioCodecParameters::new();
        p.for_codec(CODEC_ID_OPUS).with_sample_rate(16_000).with_channels(layouts::CHANNEL_LAYOUT_MONO);
        if let Some(e) = extra {
            p.with_extra_data(e.into_boxed_slice());
        }
        p
    }

    #[test]
    fn surround_is_refused_and_mono_or_stereo_accepted() {
        let opts = AudioDecoderOptions::default();
        assert!(OpusDecoder::try_new(&params(Some(head(6, 312, 0, 1))), &opts).is_err());
        assert!(OpusDecoder::try_new(&params(Some(head(3, 312, 0, 0))), &opts).is_err());
        for ch in [1, 2] {
            let d = OpusDecoder::try_new(&params(Some(head(ch, 312, 0, 0))), &opts).unwrap();
            assert_eq!((d.channels, d.skip_left), (ch as usize, 312));
        }
        // No OpusHead: the track's channels, nothing skipped.
        let d = OpusDecoder::try_new(&params(None), &opts).unwrap();
        assert_eq!((d.channels, d.skip_left), (1, 0));
    }
}
