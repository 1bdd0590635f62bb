//! Resampling to the 16 kHz analysis rate: the right frequency, length, timing and level, and
//! no aliasing from content above the new Nyquist frequency.
#![cfg(not(target_arch = "wasm32"))]

use std::f64::consts::PI;

use realfft::RealFftPlanner;
use ser::audio::resample;
use ser::{PipelineOptions, SerError, analyse_samples};

const OUT_RATE: u32 = 16_000;

fn sine_at(freq: f64, sr: u32, len: usize, amp: f64, phase: f64) -> Vec<f32> {
    (0..len).map(|n| (amp * (2.0 * PI * freq * n as f64 / sr as f64 + phase).sin()) as f32).collect()
}

fn sine(freq: f64, sr: u32, seconds: f64, amp: f64) -> Vec<f32> {
    sine_at(freq, sr, (seconds * sr as f64).round() as usize, amp, 0.0)
}

/// 4-term Blackman–Harris window: side lobes below -92 dB, so a strong tone does not hide
/// weak components (or fake them) elsewhere in the spectrum.
fn blackman_harris(n: usize) -> Vec<f64> {
    let (a0, a1, a2, a3) = (0.35875, 0.48829, 0.14128, 0.01168);
    (0..n)
        .map(|i| {
            let x = 2.0 * PI * i as f64 / n as f64;
            a0 - a1 * x.cos() + a2 * (2.0 * x).cos() - a3 * (3.0 * x).cos()
        })
        .collect()
}

/// Power spectrum (|X|², window-normalised so a sine of amplitude A peaks near A²/4) and the bin
/// width in Hz.
fn power_spectrum(x: &[f32], sr: u32) -> (Vec<f64>, f64) {
    let n = x.len();
    let w = blackman_harris(n);
    let gain: f64 = w.iter().sum();
    let mut input: Vec<f64> = x.iter().zip(&w).map(|(&s, &w)| s as f64 * w).collect();
    let fft = RealFftPlanner::<f64>::new().plan_fft_forward(n);
    let mut out = fft.make_output_vec();
    fft.process(&mut input, &mut out).unwrap();
    (out.iter().map(|c| (c.norm() / gain).powi(2)).collect(), sr as f64 / n as f64)
}

fn peak_bin(p: &[f64], skip: usize) -> usize {
    (skip..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap()
}

fn db(x: f64) -> f64 {
    10.0 * x.max(1e-30).log10()
}

fn mean_square(x: &[f32]) -> f64 {
    x.iter().map(|&s| (s as f64).powi(2)).sum::<f64>() / x.len() as f64
}

/// The middle of a signal, without `edge` samples at each end, where start-up and end
/// transients of the filter have died out.
fn middle(x: &[f32], edge: usize) -> &[f32] {
    assert!(x.len() > 2 * edge + 256, "signal too short: {}", x.len());
    &x[edge..x.len() - edge]
}

/// Least-squares amplitude and phase of a tone of known frequency: x[n] ≈ A sin(ω n + φ).
fn fit_tone(x: &[f32], start: usize, freq: f64, sr: u32) -> (f64, f64) {
    let (mut ss, mut sc, mut cc, mut xs, mut xc) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (i, &v) in x.iter().enumerate() {
        let t = 2.0 * PI * freq * (start + i) as f64 / sr as f64;
        let (s, c) = t.sin_cos();
        ss += s * s;
        sc += s * c;
        cc += c * c;
        xs += v as f64 * s;
        xc += v as f64 * c;
    }
    // Solve [ss sc; sc cc] [a; b] = [xs; xc] for x ≈ a sin + b cos.
    let det = ss * cc - sc * sc;
    let a = (xs * cc - xc * sc) / det;
    let b = (xc * ss - xs * sc) / det;
    ((a * a + b * b).sqrt(), b.atan2(a))
}

fn wrap(phase: f64) -> f64 {
    (phase + PI).rem_euclid(2.0 * PI) - PI
}

// ---------------------------------------------------------------------------------------------

#[test]
fn a_1khz_tone_at_44k1_stays_a_1khz_tone() {
    let x = sine(1000.0, 44_100, 1.0, 0.5);
    let y = resample(&x, 44_100, OUT_RATE).unwrap();
    let (p, bin) = power_spectrum(middle(&y, 800), OUT_RATE);
    let peak = peak_bin(&p, 2) as f64 * bin;
    assert!((peak - 1000.0).abs() <= bin, "peak at {peak} Hz (bin {bin:.2} Hz)");
    // Level: the pass band is flat at 1 kHz.
    let (amp, _) = fit_tone(middle(&y, 800), 800, 1000.0, OUT_RATE);
    assert!((amp / 0.5 - 1.0).abs() < 0.01, "amplitude {amp}, expected 0.5");
}

#[test]
fn output_length_is_duration_times_16k() {
    for (len, sr) in [(44_100usize, 44_100u32), (44_101, 44_100), (12_345, 44_100), (100_000, 48_000), (777, 22_050)] {
        let y = resample(&vec![0.1f32; len], sr, OUT_RATE).unwrap();
        let want = len as f64 * OUT_RATE as f64 / sr as f64;
        assert!(
            (y.len() as f64 - want).abs() <= 2.0,
            "{len} samples at {sr} Hz gave {} at 16 kHz, expected about {want:.1}",
            y.len()
        );
    }
}

/// Output sample n must line up with input time n / 16000: the filter delay is removed.
#[test]
fn output_is_time_aligned_with_the_input() {
    // A steady tone: its phase at 16 kHz matches the phase the ideal tone has at the same time.
    // 250 Hz has a 4 ms period, so any delay under ±2 ms shows as a phase error.
    for sr in [44_100u32, 48_000, 22_050, 8_000, 96_000] {
        let x = sine_at(250.0, sr, sr as usize, 0.5, 0.3);
        let y = resample(&x, sr, OUT_RATE).unwrap();
        let (amp, phase) = fit_tone(middle(&y, 1600), 1600, 250.0, OUT_RATE);
        let delay_ms = -wrap(phase - 0.3) / (2.0 * PI * 250.0) * 1000.0;
        assert!((amp - 0.5).abs() < 0.01, "{sr} Hz: amplitude {amp}");
        assert!(delay_ms.abs() < 0.05, "{sr} Hz: output is shifted by {delay_ms:.4} ms");
    }

    // A burst after silence starts where it started in the input.
    let sr = 44_100;
    let onset = 13_230; // 0.3 s
    let mut x = vec![0.0f32; onset];
    x.extend(sine_at(1000.0, sr, 22_050, 0.5, PI / 2.0)); // starts at its crest
    x.extend(vec![0.0f32; 8_820]);
    let y = resample(&x, sr, OUT_RATE).unwrap();
    let first = y.iter().position(|s| s.abs() > 0.25).expect("the burst is in the output");
    let shift_ms = (first as f64 / OUT_RATE as f64 - onset as f64 / sr as f64) * 1000.0;
    assert!(shift_ms.abs() <= 1.0, "burst starts {shift_ms:.3} ms away from where it did");
    // And ends where it ended.
    let last = y.iter().rposition(|s| s.abs() > 0.25).unwrap();
    let end_ms = (last as f64 / OUT_RATE as f64 - (onset + 22_050) as f64 / sr as f64) * 1000.0;
    assert!(end_ms.abs() <= 1.0, "burst ends {end_ms:.3} ms away from where it did");
}

/// 7.9 kHz is just below the new Nyquist frequency: the tone may be attenuated by the
/// anti-aliasing filter, but nothing may appear anywhere else in the band.
#[test]
fn a_tone_just_below_8khz_creates_nothing_else_in_band() {
    let sr = 48_000;
    let x = sine(7_900.0, sr, 1.0, 0.5);
    let input_db = db(0.5f64.powi(2) / 4.0);
    let y = resample(&x, sr, OUT_RATE).unwrap();
    let (p, bin) = power_spectrum(middle(&y, 1600), OUT_RATE);
    let tone_bin = (7_900.0 / bin).round() as usize;
    // Everything more than 100 Hz away from the tone.
    let guard = (100.0 / bin).ceil() as usize;
    let (worst_bin, worst) = p
        .iter()
        .enumerate()
        .filter(|(k, _)| k.abs_diff(tone_bin) > guard)
        .map(|(k, &v)| (k, v))
        .fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let tone =
        p[tone_bin.saturating_sub(guard)..=(tone_bin + guard).min(p.len() - 1)].iter().cloned().fold(0.0, f64::max);
    eprintln!(
        "7.9 kHz: tone at {:.1} dB re input, strongest other component {:.1} dB re input at {:.0} Hz",
        db(tone) - input_db,
        db(worst) - input_db,
        worst_bin as f64 * bin
    );
    assert!(
        db(worst) - input_db <= -60.0,
        "spurious component at {:.0} Hz, {:.1} dB below the input tone",
        worst_bin as f64 * bin,
        input_db - db(worst)
    );
    assert!(db(tone) >= db(worst), "the tone is weaker than what surrounds it");
}

/// Tones above the new Nyquist frequency are removed, not folded back to 16 kHz − f.
#[test]
fn tones_above_8khz_are_removed_not_aliased() {
    let sr = 48_000;
    for freq in [9_000.0, 10_000.0, 11_000.0, 12_000.0] {
        let x = sine(freq, sr, 1.0, 0.5);
        let y = resample(&x, sr, OUT_RATE).unwrap();
        // Compare the steady part: a sine switched on abruptly has a broadband click at its edges.
        let out_db = db(mean_square(middle(&y, 1600)));
        let in_db = db(mean_square(&x));
        assert!(out_db - in_db <= -50.0, "{freq} Hz: output only {:.1} dB below the input", in_db - out_db);
        let (p, bin) = power_spectrum(middle(&y, 1600), OUT_RATE);
        let alias = 16_000.0 - freq;
        let k = (alias / bin).round() as usize;
        let around = p[k - 3..=k + 3].iter().cloned().fold(0.0, f64::max);
        assert!(
            db(around) - db(0.0625) <= -50.0,
            "{freq} Hz: alias at {alias} Hz is only {:.1} dB below the input tone",
            db(0.0625) - db(around)
        );
    }
}

/// Every sample rate we accept gives a 16 kHz signal of the right length with the tone intact.
#[test]
fn every_supported_rate_gives_the_right_length_and_tone() {
    let options = PipelineOptions { trim: false, ..PipelineOptions::default() };
    for sr in [8_000u32, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 192_000] {
        for seconds in [0.75, 1.2345] {
            let x = sine(440.0, sr, seconds, 0.5);
            let a = analyse_samples(&x, sr, &options).unwrap_or_else(|e| panic!("{sr} Hz: {e}"));
            assert_eq!(a.sample_rate, OUT_RATE);
            let want = x.len() as f64 * OUT_RATE as f64 / sr as f64;
            assert!(
                (a.signal.len() as f64 - want).abs() <= 2.0,
                "{sr} Hz, {seconds} s: {} samples at 16 kHz, expected about {want:.1}",
                a.signal.len()
            );
            assert!((a.duration_s() - x.len() as f64 / sr as f64).abs() < 2e-4, "{sr} Hz");
            let (amp, _) = fit_tone(middle(&a.signal, 1600), 1600, 440.0, OUT_RATE);
            assert!((amp - 0.5).abs() < 0.01, "{sr} Hz: tone amplitude {amp}");
            let (p, bin) = power_spectrum(middle(&a.signal, 1600), OUT_RATE);
            let peak = peak_bin(&p, 2) as f64 * bin;
            assert!((peak - 440.0).abs() <= bin, "{sr} Hz: peak at {peak} Hz");
        }
    }
}

#[test]
fn sixteen_khz_input_passes_through_unchanged() {
    let x = sine(440.0, OUT_RATE, 1.0, 0.5);
    assert_eq!(resample(&x, OUT_RATE, OUT_RATE).unwrap(), x);
    let a = analyse_samples(&x, OUT_RATE, &PipelineOptions::default()).unwrap();
    assert_eq!(a.signal, x);
}

#[test]
fn empty_input_resamples_to_nothing() {
    assert!(resample(&[], 44_100, OUT_RATE).unwrap().is_empty());
}

/// The decoder refuses rates outside 8–192 kHz; samples handed in directly (from a microphone
/// or the browser) must be refused the same way.
#[test]
fn rates_outside_8_to_192_khz_are_unsupported() {
    for sr in [0u32, 1, 4_000, 7_999, 192_001, 384_000] {
        // One second of a tone at 1/20 of the rate (1000 samples for the degenerate rates).
        let len = if sr < 1000 { 1000 } else { sr as usize };
        let x: Vec<f32> = (0..len).map(|n| (0.5 * (2.0 * PI * n as f64 / 20.0).sin()) as f32).collect();
        let err = analyse_samples(&x, sr, &PipelineOptions::default())
            .map(|a| a.signal.len())
            .expect_err(&format!("{sr} Hz was accepted"));
        assert_eq!(err, SerError::UnsupportedSampleRate(sr), "{sr} Hz");
        assert!(err.to_string().contains("between 8 kHz and 192 kHz"), "{err}");
    }
}

#[test]
fn the_edges_of_the_supported_range_are_accepted() {
    for sr in [8_000u32, 192_000] {
        let x = sine(300.0, sr, 1.0, 0.5);
        assert!(analyse_samples(&x, sr, &PipelineOptions::default()).is_ok(), "{sr} Hz");
    }
}

/// The pass band reaches close to the new Nyquist frequency for every input rate, as librosa's
/// default resampler (soxr "HQ") does: the top mel bands (6.5–8 kHz) carry the energy of
/// fricatives. rubato's filter length follows the FFT sizes the resampler is planned with; with
/// a fixed input chunk split into sub-chunks it was 160 output points for 44.1 kHz, 86 for 48 and
/// 96 kHz and 22 for 192 kHz, and 48 kHz input lost 14.5 dB at 7 kHz.
#[test]
fn the_pass_band_is_flat_to_7khz_for_every_rate() {
    let mut report = String::new();
    let mut worst: f64 = 0.0;
    for sr in [11_025u32, 22_050, 44_100, 48_000, 96_000, 192_000] {
        report += &format!("\n{sr} Hz:");
        for freq in [1_000.0, 4_000.0, 6_000.0, 7_000.0] {
            if freq >= sr as f64 / 2.0 {
                continue;
            }
            let x = sine(freq, sr, 0.5, 0.5);
            let y = resample(&x, sr, OUT_RATE).unwrap();
            let (amp, _) = fit_tone(middle(&y, 1600), 1600, freq, OUT_RATE);
            let gain_db = 20.0 * (amp / 0.5).log10();
            report += &format!(" {freq} Hz {gain_db:+.2} dB;");
            worst = worst.max(gain_db.abs());
        }
    }
    assert!(worst <= 1.0, "pass band not flat to 7 kHz (worst {worst:.1} dB):{report}");
}
