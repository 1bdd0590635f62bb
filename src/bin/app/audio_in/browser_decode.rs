//! Fallback decoding with the browser's `decodeAudioData` (m4a, webm/opus, …).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AudioBuffer, AudioContext};

use crate::web::js_text;

/// Decodes to mono (channels averaged, as the core does) at the context's rate.
pub async fn browser_decode(bytes: &[u8]) -> Result<(Vec<f32>, u32), String> {
    let context = AudioContext::new().map_err(js_text)?;
    let result = decode_with(&context, bytes).await;
    if let Ok(p) = context.close() {
        let _ = JsFuture::from(p).await;
    }
    result
}

async fn decode_with(context: &AudioContext, bytes: &[u8]) -> Result<(Vec<f32>, u32), String> {
    // decodeAudioData detaches its buffer, so give it a copy.
    let buffer = js_sys::Uint8Array::from(bytes).buffer();
    let promise = context.decode_audio_data(&buffer).map_err(js_text)?;
    let audio: AudioBuffer = JsFuture::from(promise).await.map_err(js_text)?.dyn_into().map_err(js_text)?;
    let channels = audio.number_of_channels();
    let mut mono = vec![0.0f32; audio.length() as usize];
    for c in 0..channels {
        let data = audio.get_channel_data(c).map_err(js_text)?;
        for (m, s) in mono.iter_mut().zip(data) {
            *m += s;
        }
    }
    if channels > 1 {
        let scale = 1.0 / channels as f32;
        mono.iter_mut().for_each(|m| *m *= scale);
    }
    Ok((mono, audio.sample_rate().round() as u32))
}
