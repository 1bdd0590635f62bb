#![no_main]
//! `ser::audio::decode_bytes` on arbitrary bytes: symphonia's probe, demuxers and codecs.

use libfuzzer_sys::fuzz_target;
use ser::audio::{MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE};

mod common;

fuzz_target!(|data: &[u8]| {
    match ser::audio::decode_bytes(data, &common::limits()) {
        Ok(audio) => {
            assert!(!audio.samples.is_empty(), "Ok with no samples");
            assert!(audio.samples.iter().all(|s| s.is_finite()), "non-finite decoded sample");
            assert!((MIN_SAMPLE_RATE..=MAX_SAMPLE_RATE).contains(&audio.sample_rate), "rate {}", audio.sample_rate);
            assert!((1..=MAX_CHANNELS).contains(&audio.channels), "channels {}", audio.channels);
            assert!(audio.duration_s() <= common::MAX_SECONDS, "duration {} over the limit", audio.duration_s());
        }
        Err(err) => common::check_error(&err),
    }
});
