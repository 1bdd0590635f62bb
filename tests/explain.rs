//! The occlusion map is faithful to the model: hiding the patches it ranks highest lowers the
//! predicted emotion's probability far more than hiding as many patches at random. A map that
//! only followed loudness, or noise, would not pass; the loudest patches are measured too, as
//! the control the map must beat.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::time::Instant;

use ser::model::{Explanation, explain};
use ser::{EmotionModel, Features, PipelineOptions, analyse_bytes};

const DRAWS: usize = 20;
/// Clips with no speech in them. Their maps are averaged in, but a steady tone has nothing to
/// find: every patch holds the same sound, each one alone changes the answer by about nothing,
/// and hiding ten at once does what hiding any ten does (its top tenth measured -0.04 against
/// -0.12 at random).
const SYNTHETIC: [&str; 3] = ["tone_440", "white_noise", "silence_both_ends"];

fn clips() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut clips = Vec::new();
    for dir in ["tests/fixtures/librosa", "static/samples"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "flac"))
            .collect();
        found.sort();
        clips.extend(found);
    }
    assert!(clips.len() >= 10, "{clips:?}");
    clips
}

/// `k` distinct patches drawn by a seeded generator (a partial Fisher-Yates shuffle).
fn random_patches(map: &Explanation, k: usize, seed: u64) -> Vec<(usize, usize)> {
    let mut all = map.ranked();
    all.sort();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    for i in 0..k {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let j = i + ((state >> 33) as usize) % (all.len() - i);
        all.swap(i, j);
    }
    all.truncate(k);
    all
}

/// The `k` patches with the highest mean level: the map a loudness meter would draw.
fn loudest_patches(map: &Explanation, features: &Features, k: usize) -> Vec<(usize, usize)> {
    let mut all: Vec<((usize, usize), f32)> = map
        .ranked()
        .into_iter()
        .map(|(t, b)| {
            let frames = t * map.patch_frames..((t + 1) * map.patch_frames).min(map.frames);
            let bands = b * map.patch_bands..((b + 1) * map.patch_bands).min(map.bands);
            let n = (frames.len() * bands.len()) as f32;
            let sum: f32 = frames.flat_map(|f| bands.clone().map(move |m| features.log_mel_frame(f)[m])).sum();
            ((t, b), sum / n)
        })
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    all.into_iter().take(k).map(|(p, _)| p).collect()
}

#[test]
fn hiding_the_most_salient_tenth_lowers_the_answer_far_more_than_a_random_tenth() {
    let model = EmotionModel::embedded().unwrap();
    let (mut top_sum, mut random_sum, mut loud_sum) = (0.0f64, 0.0f64, 0.0f64);
    let (mut speech_top, mut speech_random, mut speech_beaten, mut speech_clips) = (0.0f64, 0.0f64, 0, 0);
    let clips = clips();
    for clip in &clips {
        let name = clip.file_name().unwrap().to_string_lossy();
        let analysis = analyse_bytes(&std::fs::read(clip).unwrap(), &PipelineOptions::default()).unwrap();
        let features = &analysis.features;
        let started = Instant::now();
        let map = explain(&model, features).unwrap();
        let took = started.elapsed();

        let e = map.emotion;
        let base = map.prediction.probabilities[e] as f64;
        let n = map.saliency.len() * map.saliency[0].len();
        let k = n.div_ceil(10);
        let drop = |patches: &[(usize, usize)]| {
            base - map.run_masked(&model, features, patches).unwrap().probabilities[e] as f64
        };
        let top = drop(&map.ranked()[..k]);
        let random = (0..DRAWS as u64).map(|seed| drop(&random_patches(&map, k, seed))).sum::<f64>() / DRAWS as f64;
        let loud = drop(&loudest_patches(&map, features, k));
        eprintln!(
            "{name}: {} frames, {n} patches, explained in {:.0} ms; {} at {base:.3}; hiding {k} patches: \
             most salient -{top:.3}, random -{random:.3} (mean of {DRAWS}), loudest -{loud:.3}",
            map.frames,
            took.as_secs_f64() * 1e3,
            map.prediction.emotion(),
        );
        top_sum += top;
        random_sum += random;
        loud_sum += loud;
        if !SYNTHETIC.iter().any(|s| name.starts_with(s)) {
            speech_top += top;
            speech_random += random;
            speech_beaten += usize::from(top > random);
            speech_clips += 1;
        }
    }
    let n = clips.len() as f64;
    let (top, random, loud) = (top_sum / n, random_sum / n, loud_sum / n);
    let (speech_top, speech_random) = (speech_top / speech_clips as f64, speech_random / speech_clips as f64);
    eprintln!(
        "mean over all {} clips: most salient 10 % -{top:.3}, random 10 % -{random:.3}, loudest 10 % -{loud:.3}; \
         over the {speech_clips} speech clips: most salient -{speech_top:.3}, random -{speech_random:.3}, \
         salient beat random on {speech_beaten}",
        clips.len()
    );
    assert!(top >= 2.0 * random && top >= random + 0.2, "most salient -{top:.3} vs random -{random:.3}");
    assert!(top >= loud + 0.1, "most salient -{top:.3} vs loudest -{loud:.3}");
    assert!(
        speech_top >= 2.0 * speech_random && speech_top >= speech_random + 0.25,
        "speech: -{speech_top:.3} vs -{speech_random:.3}"
    );
    assert_eq!(speech_beaten, speech_clips, "on speech the map beats chance on every clip");
}

/// How long a 4 s clip takes natively (printed, not asserted: it depends on the machine).
#[test]
fn time_to_explain_a_four_second_clip() {
    let model = EmotionModel::embedded().unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/librosa/ravdess_01_angry.flac");
    // Untrimmed, so the model input is the whole 4.1 s (411 frames).
    let options = PipelineOptions { trim: false, ..PipelineOptions::default() };
    let analysis = analyse_bytes(&std::fs::read(path).unwrap(), &options).unwrap();
    let started = Instant::now();
    let map = explain(&model, &analysis.features).unwrap();
    let took = started.elapsed();
    let started = Instant::now();
    model.predict(&analysis.features).unwrap();
    let one = started.elapsed();
    eprintln!(
        "{:.2} s clip ({} frames, {} patches): explained in {:.0} ms natively; one model run {:.1} ms",
        analysis.duration_s(),
        map.frames,
        map.saliency.len() * map.saliency[0].len(),
        took.as_secs_f64() * 1e3,
        one.as_secs_f64() * 1e3
    );
    assert_eq!(map.frames, 411);
}
