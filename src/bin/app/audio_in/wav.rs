//! A minimal mono WAV writer: 16-bit PCM for playing back exactly the signal that was
//! analysed, 32-bit float for saving a recording exactly as it was analysed.

/// The 44-byte header of a mono 16-bit WAV of `n_samples` samples, with room for the data
/// that [`append_pcm16`] adds (in as many pieces as the caller likes).
pub fn header_pcm16(n_samples: usize, sample_rate: u32) -> Vec<u8> {
    header(n_samples, sample_rate, 1, 2)
}

/// A mono 32-bit float WAV (format 3) of `samples`: the core decodes it to the same numbers.
pub fn float32(samples: &[f32], sample_rate: u32) -> Vec<u8> {
    let mut out = header(samples.len(), sample_rate, 3, 4);
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn header(n_samples: usize, sample_rate: u32, format: u16, bytes: u16) -> Vec<u8> {
    let data_len = (n_samples * bytes as usize) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&format.to_le_bytes()); // 1: PCM, 3: IEEE float
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * bytes as u32).to_le_bytes()); // bytes per second
    out.extend_from_slice(&bytes.to_le_bytes()); // block align
    out.extend_from_slice(&(8 * bytes).to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out
}

pub fn append_pcm16(samples: &[f32], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + samples.len() * 2, 0);
    for (bytes, &s) in out[start..].chunks_exact_mut(2).zip(samples) {
        let v = (s.clamp(-1.0, 1.0) * 32767.0).round() as i16;
        bytes.copy_from_slice(&v.to_le_bytes());
    }
}
