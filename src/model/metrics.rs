//! Classification figures for `ser eval`: accuracy, unweighted average recall (UAR),
//! macro-F1, per-class precision/recall/F1 and the confusion matrix; and how well the
//! confidence matches the accuracy (expected calibration error).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    pub label: String,
    pub support: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    pub n: usize,
    pub accuracy: f64,
    /// Mean recall over the classes that occur in the truth.
    pub uar: f64,
    /// Mean F1 over the classes that occur in the truth.
    pub macro_f1: f64,
    pub per_class: Vec<ClassScore>,
    /// Row = true label, column = predicted label, both in `labels` order.
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<usize>>,
}

/// Scores `(truth, predicted)` pairs. Labels the model cannot predict still count, as errors.
pub fn score(model_labels: &[String], pairs: &[(String, String)]) -> Metrics {
    let mut labels: Vec<String> = model_labels.to_vec();
    for (truth, pred) in pairs {
        for l in [truth, pred] {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
    }
    let index = |l: &str| labels.iter().position(|x| x == l).unwrap_or(0);
    let k = labels.len();
    let mut confusion = vec![vec![0usize; k]; k];
    for (truth, pred) in pairs {
        confusion[index(truth)][index(pred)] += 1;
    }
    let n = pairs.len();
    let correct: usize = (0..k).map(|i| confusion[i][i]).sum();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut per_class = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let support: usize = confusion[i].iter().sum();
        if support == 0 {
            continue;
        }
        let predicted: usize = (0..k).map(|r| confusion[r][i]).sum();
        let tp = confusion[i][i];
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        per_class.push(ClassScore { label: label.clone(), support, precision, recall, f1 });
    }
    let classes = per_class.len().max(1) as f64;
    Metrics {
        n,
        accuracy: ratio(correct, n),
        uar: per_class.iter().map(|c| c.recall).sum::<f64>() / classes,
        macro_f1: per_class.iter().map(|c| c.f1).sum::<f64>() / classes,
        per_class,
        labels,
        confusion,
    }
}

/// Expected calibration error of the top probability: `bins` equal-width bins of confidence
/// (upper-closed, as `models/train/calibrate.py`), |accuracy − mean confidence| in each,
/// weighted by its share of the predictions. `predictions` are (probabilities, true index).
pub fn expected_calibration_error(predictions: &[(Vec<f32>, usize)], bins: usize) -> f64 {
    let mut count = vec![0usize; bins];
    let mut right = vec![0usize; bins];
    let mut confidence = vec![0.0f64; bins];
    for (p, truth) in predictions {
        let (best, &top) = p.iter().enumerate().fold((0, &p[0]), |b, (i, v)| if *v > *b.1 { (i, v) } else { b });
        let bin = ((top as f64 * bins as f64).ceil() as usize).clamp(1, bins) - 1;
        count[bin] += 1;
        right[bin] += usize::from(best == *truth);
        confidence[bin] += top as f64;
    }
    let n = predictions.len().max(1) as f64;
    (0..bins)
        .filter(|&b| count[b] > 0)
        .map(|b| count[b] as f64 / n * (right[b] as f64 / count[b] as f64 - confidence[b] / count[b] as f64).abs())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_error_by_hand() {
        // Bin (0.5, 0.6]: two predictions at 0.55 / 0.58, one right: |0.5 - 0.565| = 0.065.
        // Bin (0.9, 1.0]: two at 0.95, both right: |1 - 0.95| = 0.05. Equal shares: 0.0575.
        let p = |top: f32, at: usize| {
            let mut v = vec![(1.0 - top) / 3.0; 4];
            v[at] = top;
            v
        };
        let preds = vec![(p(0.55, 0), 0), (p(0.58, 1), 2), (p(0.95, 3), 3), (p(0.95, 2), 2)];
        assert!((expected_calibration_error(&preds, 10) - 0.0575).abs() < 1e-6);
        // Always right at full confidence: no error.
        assert_eq!(expected_calibration_error(&[(vec![1.0, 0.0], 0)], 10), 0.0);
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn figures_by_hand() {
        let labels = vec![s("a"), s("b"), s("c")];
        let pairs = vec![
            (s("a"), s("a")),
            (s("a"), s("b")),
            (s("b"), s("b")),
            (s("b"), s("b")),
            (s("x"), s("a")), // a label the model cannot predict counts as an error
        ];
        let m = score(&labels, &pairs);
        assert_eq!(m.n, 5);
        assert!((m.accuracy - 3.0 / 5.0).abs() < 1e-12);
        // recalls: a = 1/2, b = 2/2, x = 0 → UAR = 0.5 (c has no support and is left out)
        assert!((m.uar - 0.5).abs() < 1e-12);
        let a = m.per_class.iter().find(|c| c.label == "a").unwrap();
        assert!((a.precision - 0.5).abs() < 1e-12);
        assert_eq!(m.confusion[m.labels.iter().position(|l| l == "x").unwrap()][0], 1);
        assert_eq!(m.per_class.len(), 3);
    }
}
