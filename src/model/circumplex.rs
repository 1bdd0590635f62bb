//! Where a result sits on Russell's circumplex of affect: valence (unpleasant to pleasant) and
//! arousal (sleepy to aroused), derived from the 8 categories' probabilities. The model was
//! never trained on valence or arousal; this is a fixed re-drawing of its categorical answer,
//! and is labelled so wherever it is shown.
//!
//! Russell (1980, "A circumplex model of affect", J. Personality and Social Psychology 39(6),
//! 1161–1178) places affect concepts on a circle: pleasure 0°, excitement 45°, arousal 90°,
//! distress 135°, displeasure 180°, depression 225°, sleepiness 270°, relaxation 315°. Each of
//! our emotions is put on that circle (unit radius) by our own reading of which of those
//! concepts it lies between; neutral is the centre. The point is the probability-weighted mean
//! of the positions, so a confident "angry" lands near the rim and an undecided result near
//! the middle.

use super::Prediction;

/// Angle on the circumplex in degrees (0° pleasure, 90° arousal), or `None` for the centre.
/// Emotions not listed (another model's labels) count as the centre.
pub fn circumplex_angle(emotion: &str) -> Option<f64> {
    match emotion {
        "happy" => Some(30.0),     // between pleasure and excitement
        "surprised" => Some(70.0), // between excitement and arousal
        "angry" => Some(110.0),    // between arousal and distress
        "fearful" => Some(125.0),  // near distress, more aroused than disgust
        "disgust" => Some(155.0),  // between distress and displeasure
        "sad" => Some(210.0),      // between displeasure and depression
        "calm" => Some(315.0),     // relaxation
        _ => None,                 // neutral: neither pleasant nor unpleasant, neither aroused nor sleepy
    }
}

/// Valence and arousal, each in [-1, 1], of a prediction.
///
/// ```
/// use std::sync::Arc;
/// use ser::Prediction;
/// use ser::model::valence_arousal;
///
/// let labels = Arc::new(["neutral", "happy", "sad"].map(String::from).to_vec());
/// let sure_sad = Prediction { labels: labels.clone(), probabilities: vec![0.0, 0.0, 1.0], unsure_below: None };
/// let (valence, arousal) = valence_arousal(&sure_sad);
/// assert!(valence < -0.8 && arousal < -0.4);
/// let neutral = Prediction { labels, probabilities: vec![1.0, 0.0, 0.0], unsure_below: None };
/// assert_eq!(valence_arousal(&neutral), (0.0, 0.0));
/// ```
pub fn valence_arousal(prediction: &Prediction) -> (f32, f32) {
    let (mut valence, mut arousal) = (0.0f64, 0.0f64);
    for (label, p) in prediction.iter() {
        if let Some(degrees) = circumplex_angle(label) {
            let (sin, cos) = degrees.to_radians().sin_cos();
            valence += p as f64 * cos;
            arousal += p as f64 * sin;
        }
    }
    (valence as f32, arousal as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const LABELS: [&str; 8] = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"];

    fn certain(emotion: &str) -> Prediction {
        let labels = Arc::new(LABELS.map(String::from).to_vec());
        let probabilities = LABELS.iter().map(|l| if *l == emotion { 1.0 } else { 0.0 }).collect();
        Prediction { labels, probabilities, unsure_below: None }
    }

    /// The quadrants a reader expects: happy pleasant and aroused, angry and fearful unpleasant
    /// and aroused, sad unpleasant and low, calm pleasant and low, neutral the centre.
    #[test]
    fn each_emotion_lands_in_its_quadrant() {
        let quadrant = |e: &str| {
            let (v, a) = valence_arousal(&certain(e));
            assert!((v * v + a * a - 1.0).abs() < 1e-5 || e == "neutral", "{e} is on the rim");
            (v.signum() as i32, a.signum() as i32)
        };
        assert_eq!(quadrant("happy"), (1, 1));
        assert_eq!(quadrant("surprised"), (1, 1));
        assert_eq!(quadrant("angry"), (-1, 1));
        assert_eq!(quadrant("fearful"), (-1, 1));
        assert_eq!(quadrant("disgust"), (-1, 1));
        assert_eq!(quadrant("sad"), (-1, -1));
        assert_eq!(quadrant("calm"), (1, -1));
        assert_eq!(valence_arousal(&certain("neutral")), (0.0, 0.0));
        // Anger is more aroused than disgust, sadness less pleasant than calm.
        assert!(valence_arousal(&certain("angry")).1 > valence_arousal(&certain("disgust")).1);
    }

    /// The point is the probability-weighted mean: half happy, half sad lies between them, and
    /// an even spread over all 8 sits inside the circle.
    #[test]
    fn a_mixed_result_is_the_weighted_mean_of_the_positions() {
        let labels = Arc::new(LABELS.map(String::from).to_vec());
        let mut half = vec![0.0f32; 8];
        half[2] = 0.5;
        half[3] = 0.5;
        let (v, a) = valence_arousal(&Prediction { labels: labels.clone(), probabilities: half, unsure_below: None });
        let (hv, ha) = valence_arousal(&certain("happy"));
        let (sv, sa) = valence_arousal(&certain("sad"));
        assert!((v - (hv + sv) / 2.0).abs() < 1e-6 && (a - (ha + sa) / 2.0).abs() < 1e-6);
        let even = Prediction { labels, probabilities: vec![0.125; 8], unsure_below: None };
        let (v, a) = valence_arousal(&even);
        assert!(v * v + a * a < 0.25, "{v} {a}");
    }
}
