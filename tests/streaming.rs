//! Streaming equals whole-clip processing: audio fed in blocks of any size through the
//! resampler, the framer, the log-mel stream and the silence detector gives exactly what the
//! same audio gives in one piece. This is what lets an hour-long file be analysed from disk in
//! bounded memory with the arithmetic of a short clip.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use ser::audio::MonoResampler;
use ser::dsp::CentredFrames;
use ser::dsp::{FeatureExtractor, FeatureParams, LogMelStream, SilenceParams};
use ser::dsp::{frame_power, kept_intervals, kept_intervals_from_power, mean_square};

/// Splits `x` at the given (sorted, deduplicated) cut points.
fn blocks<'a>(x: &'a [f32], cuts: &[usize]) -> Vec<&'a [f32]> {
    let mut points: Vec<usize> = cuts.iter().map(|&c| c % (x.len() + 1)).collect();
    points.push(0);
    points.push(x.len());
    points.sort_unstable();
    points.dedup();
    points.windows(2).map(|w| &x[w[0]..w[1]]).collect()
}

fn signal(max_len: usize) -> impl Strategy<Value = Vec<f32>> {
    (1..max_len, any::<u64>()).prop_map(|(len, seed)| {
        let mut state = seed | 1;
        (0..len)
            .map(|n| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let noise = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
                0.5 * (n as f32 * 0.07).sin() * (n as f32 * 0.0011).sin() + 0.05 * noise
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn resampling_in_blocks_equals_resampling_the_whole(
        x in signal(40_000),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
        rate in prop::sample::select(vec![8_000u32, 11_025, 22_050, 44_100, 48_000, 96_000, 192_000, 16_000]),
    ) {
        let whole = MonoResampler::new(rate, 16_000).unwrap().process_all(&x).unwrap();
        let mut streamed = Vec::new();
        let mut r = MonoResampler::new(rate, 16_000).unwrap();
        for block in blocks(&x, &cuts) {
            r.process_into_buffer(block, &mut streamed).unwrap();
        }
        r.flush_into_buffer(&mut streamed).unwrap();
        prop_assert_eq!(streamed.len(), r.output_len_for(x.len()));
        prop_assert_eq!(&streamed, &whole);
        // The resampler is ready for a second stream, which gives the same output.
        let again = r.process_all(&x).unwrap();
        prop_assert_eq!(again, whole);
    }

    #[test]
    fn framing_in_blocks_gives_librosas_centred_frames(
        x in signal(6_000),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        half in 1usize..300,
        hop in 1usize..400,
    ) {
        let length = 2 * half;
        let mut framer = CentredFrames::new(length, hop);
        let mut frames: Vec<(usize, Vec<f32>)> = Vec::new();
        for block in blocks(&x, &cuts) {
            framer.push(block, |t, f| frames.push((t, f.to_vec())));
        }
        framer.finish(|t, f| frames.push((t, f.to_vec())));
        prop_assert_eq!(frames.len(), CentredFrames::count(x.len(), hop));
        for (i, (t, frame)) in frames.iter().enumerate() {
            prop_assert_eq!(*t, i);
            // Sample k of frame t is x[t·hop − half + k], zero outside the signal.
            for (k, v) in frame.iter().enumerate() {
                let at = (t * hop + k) as isize - half as isize;
                let want = if at >= 0 && (at as usize) < x.len() { x[at as usize] } else { 0.0 };
                prop_assert_eq!(*v, want, "frame {} sample {}", t, k);
            }
        }
    }

    #[test]
    fn log_mel_in_blocks_equals_the_whole_clip(
        x in signal(12_000),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let params = FeatureParams::default();
        let whole = FeatureExtractor::new(&params).compute(&x);
        let mut stream = LogMelStream::new(&params);
        let mut rows = Vec::new();
        for block in blocks(&x, &cuts) {
            stream.push(block, |row| rows.extend_from_slice(row));
        }
        stream.finish(|row| rows.extend_from_slice(row));
        let peak = rows.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let extractor = FeatureExtractor::new(&params);
        let mut mfcc = vec![0.0; params.n_mfcc];
        prop_assert_eq!(rows.len(), whole.n_frames * params.n_mels);
        for (t, row) in rows.chunks_exact_mut(params.n_mels).enumerate() {
            extractor.finish_frame(row, peak, &mut mfcc);
            prop_assert_eq!(&*row, whole.log_mel_frame(t));
            prop_assert_eq!(&mfcc[..], whole.mfcc_frame(t));
        }
    }

    #[test]
    fn silence_from_streamed_frame_power_equals_the_whole_clip(
        x in signal(30_000),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
        max_pause in prop::option::of(0usize..4_000),
    ) {
        let p = SilenceParams { top_db: 30.0, frame_length: 2048, hop_length: 512 };
        let mut framer = CentredFrames::new(p.frame_length, p.hop_length);
        let mut power = Vec::new();
        for block in blocks(&x, &cuts) {
            framer.push(block, |_, f| power.push(mean_square(f)));
        }
        framer.finish(|_, f| power.push(mean_square(f)));
        prop_assert_eq!(&power, &frame_power(&x, p.frame_length, p.hop_length));
        prop_assert_eq!(
            kept_intervals_from_power(&power, x.len(), &p, max_pause),
            kept_intervals(&x, &p, max_pause)
        );
    }
}

/// The page resamples microphone and browser-decoded audio in steps; any step size gives
/// what the one-call path gives, and the same refusals.
#[test]
fn resampling_in_steps_equals_the_one_call_path() {
    use ser::pipeline::{Resampling, to_analysis_rate};
    use ser::{PipelineOptions, SerError, Stepwise};
    let options = PipelineOptions::default();
    let x: Vec<f32> = (0..100_000).map(|n| 0.4 * (n as f32 * 0.031).sin() * (n as f32 * 0.0007).sin()).collect();
    let whole = to_analysis_rate(&x, 44_100, &options).unwrap();
    for step in [1usize, 999, 4096, 1 << 20] {
        let mut r = Resampling::new(&x, 44_100, &options).unwrap();
        let mut last = 0.0;
        while !r.step(step).unwrap() {
            assert!(r.progress() >= last);
            last = r.progress();
        }
        assert_eq!(r.finish().unwrap(), whole, "steps of {step}");
    }
    assert_eq!(Resampling::new(&x, 4_000, &options).err(), Some(SerError::UnsupportedSampleRate(4_000)));
    assert_eq!(Resampling::new(&[0.0, f32::NAN], 44_100, &options).err(), Some(SerError::InvalidSamples));
    let dc = vec![0.3f32; 88_200];
    assert_eq!(Resampling::new(&dc, 44_100, &options).unwrap().finish().err(), Some(SerError::Silent));
}
