//! When the live readout may change its label. A projector that flips between two emotions
//! four times a second helps nobody, so a new verdict is named only once two readings in a row
//! agree on it. "listening…" (no speech in the window) is named at once, because it is never a
//! judgement on the voice, and so is the first verdict after it, so that speech is answered
//! within a reading; it then stays at least two readings like any other, since what replaces
//! it must be seen twice.
//!
//! Plain data, so the rule is unit-tested natively; [`crate::state::Live`] keeps one.

/// What a live reading says, for the readout's label.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verdict {
    /// No speech in the window (and what the readout says before the first reading).
    #[default]
    Listening,
    /// Speech, but the top probability is under the "not sure" threshold.
    Unsure,
    /// Speech, and this emotion (its index in the model's labels).
    Emotion(usize),
}

/// What one reading does to the label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Taken {
    /// A new label is named.
    Named,
    /// The label on show is confirmed.
    Kept,
    /// A new verdict, seen once: the label stays until a second reading agrees.
    Waiting,
}

/// The label on show and the new verdict waiting for a second reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settle {
    shown: Verdict,
    candidate: Option<Verdict>,
}

impl Settle {
    /// Takes the next reading's verdict.
    pub fn take(&mut self, verdict: Verdict) -> Taken {
        let shown = self.shown;
        let at_once = verdict == Verdict::Listening || shown == Verdict::Listening;
        if !(at_once || verdict == shown || self.candidate == Some(verdict)) {
            self.candidate = Some(verdict);
            return Taken::Waiting;
        }
        let named = shown != verdict;
        self.shown = verdict;
        self.candidate = None;
        if named { Taken::Named } else { Taken::Kept }
    }
}

#[cfg(test)]
mod tests {
    use super::{Settle, Taken, Verdict};
    use Verdict::{Emotion, Listening, Unsure};

    /// The labels on show after each reading ("listening…" before any is named).
    fn shown(readings: &[Verdict]) -> Vec<Verdict> {
        let mut settle = Settle::default();
        let mut label = Listening;
        readings
            .iter()
            .map(|&v| {
                match settle.take(v) {
                    Taken::Named => assert_ne!(label, v, "named, so new"),
                    Taken::Kept => assert_eq!(label, v, "kept, so the same"),
                    Taken::Waiting => return label,
                }
                label = v;
                label
            })
            .collect()
    }

    /// Runs of equal labels: (label, readings it stayed).
    fn runs(labels: &[Verdict]) -> Vec<(Verdict, usize)> {
        let mut runs: Vec<(Verdict, usize)> = Vec::new();
        for &l in labels {
            match runs.last_mut() {
                Some((last, n)) if *last == l => *n += 1,
                _ => runs.push((l, 1)),
            }
        }
        runs
    }

    #[test]
    fn a_new_verdict_needs_two_readings_in_a_row() {
        let (a, b) = (Emotion(0), Emotion(3));
        assert_eq!(shown(&[a, a, b, a, b, b]), [a, a, a, a, a, b]);
        assert_eq!(shown(&[a, b, Unsure, a, Unsure, Unsure]), [a, a, a, a, a, Unsure]);
    }

    #[test]
    fn the_first_verdict_after_a_pause_is_named_at_once_and_then_holds() {
        let (a, b) = (Emotion(1), Emotion(2));
        assert_eq!(shown(&[Listening, a, Unsure, Unsure, b, b]), [Listening, a, a, Unsure, Unsure, b]);
        assert_eq!(shown(&[a, b, b, Listening, b, a, a]), [a, a, b, Listening, b, b, a]);
    }

    #[test]
    fn listening_is_named_at_once() {
        let a = Emotion(4);
        assert_eq!(shown(&[a, a, a, Listening]), [a, a, a, Listening]);
    }

    /// What the page's live test asserts over a recording, here over every short sequence:
    /// a label that gives way to another (other than to "listening…") stayed two readings.
    #[test]
    fn no_label_but_listening_lasts_a_single_reading() {
        let all = [Listening, Unsure, Emotion(0), Emotion(1)];
        for n in 1..=7u32 {
            for code in 0..all.len().pow(n) {
                let readings: Vec<Verdict> = (0..n).map(|i| all[code / all.len().pow(i) % all.len()]).collect();
                let runs = runs(&shown(&readings));
                for w in runs.windows(2) {
                    let ((label, stayed), (next, _)) = (w[0], w[1]);
                    assert!(
                        stayed >= 2 || label == Listening || next == Listening,
                        "{label:?} shown for one reading in {readings:?}"
                    );
                }
            }
        }
    }
}
