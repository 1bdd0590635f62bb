#![no_main]
//! `ser::pipeline::analyse_bytes`: decode → resample to 16 kHz → trim → MFCC, with trimming
//! and pause cutting picked from the input's last byte.

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let options = common::options_from(data);
    match ser::pipeline::analyse_bytes(data, &options) {
        Ok(analysis) => common::check_analysis(&analysis, &options),
        Err(err) => common::check_error(&err),
    }
});
