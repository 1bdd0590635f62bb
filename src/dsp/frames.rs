//! Centred framing of a stream, as librosa frames with `center=True, pad_mode="constant"`:
//! frame `t` covers samples `[t·hop − L/2, t·hop + L/2)`, zero outside the signal, and a
//! signal of `n` samples has `1 + n / hop` frames. Audio may arrive in blocks of any size;
//! only one frame's worth of samples is held back, so an hour of audio needs no more memory
//! than a second of it.

/// Cuts a stream of samples into centred frames.
pub struct CentredFrames {
    frame_length: usize,
    hop: usize,
    /// Samples from `origin` on (before the signal: the left zero padding).
    buffer: Vec<f32>,
    origin: isize,
    next_frame: usize,
    pushed: usize,
}

impl CentredFrames {
    pub fn new(frame_length: usize, hop: usize) -> Self {
        assert!(frame_length >= 2 && frame_length.is_multiple_of(2) && hop > 0, "frames need an even length and a hop");
        let half = frame_length / 2;
        Self { frame_length, hop, buffer: vec![0.0; half], origin: -(half as isize), next_frame: 0, pushed: 0 }
    }

    /// Frames of a signal of `n_samples` samples.
    pub fn count(n_samples: usize, hop: usize) -> usize {
        1 + n_samples / hop
    }

    /// Samples pushed so far.
    pub fn pushed(&self) -> usize {
        self.pushed
    }

    /// Frames handed out so far.
    pub fn frames_done(&self) -> usize {
        self.next_frame
    }

    /// Adds samples and calls `each(index, frame)` for every frame now complete.
    pub fn push(&mut self, samples: &[f32], mut each: impl FnMut(usize, &[f32])) {
        self.push_dyn(samples, &mut each)
    }

    /// [`Self::push`] without a copy of its code per closure (the page's wasm is sized).
    pub(crate) fn push_dyn(&mut self, samples: &[f32], each: &mut dyn FnMut(usize, &[f32])) {
        self.buffer.extend_from_slice(samples);
        self.pushed += samples.len();
        self.emit(each);
    }

    /// Ends the stream: the right zero padding completes the last frames. The framer is then
    /// ready for a new stream.
    pub fn finish(&mut self, mut each: impl FnMut(usize, &[f32])) {
        self.finish_dyn(&mut each)
    }

    /// [`Self::finish`] without a copy of its code per closure.
    pub(crate) fn finish_dyn(&mut self, each: &mut dyn FnMut(usize, &[f32])) {
        let half = self.frame_length / 2;
        self.buffer.resize(self.buffer.len() + half, 0.0);
        self.emit(each);
        debug_assert_eq!(self.next_frame, Self::count(self.pushed, self.hop));
        *self = Self::new(self.frame_length, self.hop);
    }

    fn emit(&mut self, each: &mut dyn FnMut(usize, &[f32])) {
        let half = (self.frame_length / 2) as isize;
        let end = self.origin + self.buffer.len() as isize;
        loop {
            let start = (self.next_frame * self.hop) as isize - half;
            if start + self.frame_length as isize > end {
                break;
            }
            let lo = (start - self.origin) as usize;
            each(self.next_frame, &self.buffer[lo..lo + self.frame_length]);
            self.next_frame += 1;
        }
        let keep_from = ((self.next_frame * self.hop) as isize - half - self.origin).max(0) as usize;
        let keep_from = keep_from.min(self.buffer.len());
        self.buffer.drain(..keep_from);
        self.origin += keep_from as isize;
    }
}

/// The centred frames of a whole signal, as [`CentredFrames`] cuts them, calling
/// `each(index, frame)` for each. Frames inside the signal are slices of it; only the few at
/// either end, which reach into the zero padding, are copied.
pub fn frame_all(signal: &[f32], frame_length: usize, hop: usize, mut each: impl FnMut(usize, &[f32])) {
    frame_all_dyn(signal, frame_length, hop, &mut each)
}

/// [`frame_all`] without a copy of its code per closure.
pub(crate) fn frame_all_dyn(signal: &[f32], frame_length: usize, hop: usize, each: &mut dyn FnMut(usize, &[f32])) {
    assert!(frame_length >= 2 && frame_length.is_multiple_of(2) && hop > 0, "frames need an even length and a hop");
    let half = frame_length / 2;
    let mut padded = Vec::new();
    for t in 0..CentredFrames::count(signal.len(), hop) {
        // The frame covers signal[t·hop − half .. t·hop + half), zero outside the signal.
        let (centre, n) = (t * hop, signal.len());
        if centre >= half && centre + half <= n {
            each(t, &signal[centre - half..centre + half]);
        } else {
            padded.clear();
            padded.resize(frame_length, 0.0);
            let (lo, hi) = (centre.saturating_sub(half), (centre + half).min(n));
            if lo < hi {
                let at = lo + half - centre;
                padded[at..at + hi - lo].copy_from_slice(&signal[lo..hi]);
            }
            each(t, &padded);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `frame_all`'s slices and padded copies are the frames the streaming framer cuts.
    #[test]
    fn frame_all_equals_the_streaming_framer() {
        for n in [0, 1, 5, 159, 160, 255, 256, 257, 400, 511, 512, 513, 1000, 1601] {
            let signal: Vec<f32> = (0..n).map(|i| 1.0 + i as f32).collect();
            for (length, hop) in [(512, 160), (8, 3), (2, 1), (16, 16), (4, 9)] {
                let mut streamed = Vec::new();
                let mut framer = CentredFrames::new(length, hop);
                for block in signal.chunks(97) {
                    framer.push(block, |t, f| streamed.push((t, f.to_vec())));
                }
                framer.finish(|t, f| streamed.push((t, f.to_vec())));
                let mut whole = Vec::new();
                frame_all(&signal, length, hop, |t, f| whole.push((t, f.to_vec())));
                assert_eq!(whole, streamed, "n = {n}, length = {length}, hop = {hop}");
            }
        }
    }
}
