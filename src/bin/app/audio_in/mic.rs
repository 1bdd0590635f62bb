//! Recording from the microphone: getUserMedia → AudioWorklet (static/recorder-worklet.js)
//! posting Float32 chunks → a Vec here. The AudioContext runs at the device's own rate
//! (forcing a rate breaks Firefox); the core resamples afterwards.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, AudioWorkletNode, AudioWorkletNodeOptions, MediaStream, MediaStreamAudioSourceNode, MessageEvent,
};

use crate::web::{js_error_name, js_text};

/// The longest recording, in seconds; recording stops by itself there.
pub const MAX_SECONDS: f64 = 60.0;

/// Each chunk kept, as it arrives: (its samples, their rate, elapsed seconds, level 0..1,
/// reached the maximum).
pub type OnChunk = Box<dyn Fn(&[f32], u32, f64, f32, bool)>;

/// A finished recording: mono samples at the device's rate, and the frames the worklet posted
/// until it ended (at the maximum the last chunk is cut, so these can exceed the samples by
/// less than one chunk).
pub struct Recording {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
    pub posted: usize,
}

pub struct Recorder {
    context: AudioContext,
    stream: MediaStream,
    source: MediaStreamAudioSourceNode,
    node: AudioWorkletNode,
    samples: Rc<RefCell<Vec<f32>>>,
    posted: Rc<std::cell::Cell<usize>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    sample_rate: u32,
}

/// A plain sentence for a failed getUserMedia.
fn mic_error(e: JsValue) -> String {
    match js_error_name(&e).as_str() {
        "NotAllowedError" | "SecurityError" => "Microphone access was denied. Allow the microphone for this page in \
             the browser's site settings, or upload a file or try a sample clip instead."
            .into(),
        "NotFoundError" | "OverconstrainedError" => {
            "No microphone was found. Connect one, or upload a file or try a sample clip instead.".into()
        }
        "NotReadableError" | "AbortError" => {
            "The microphone could not be started: another program may be using it. Close it and try again.".into()
        }
        _ => format!("The microphone could not be started ({}).", js_text(e)),
    }
}

impl Recorder {
    pub async fn start(on_chunk: OnChunk) -> Result<Recorder, String> {
        let window = web_sys::window().ok_or("no window")?;
        let navigator = window.navigator();
        if !js_sys::Reflect::has(&navigator, &"mediaDevices".into()).unwrap_or(false) {
            return Err("Recording needs a secure page (https or localhost) in a browser with microphone support. \
                        You can still upload a file or try a sample clip."
                .into());
        }
        let devices = navigator.media_devices().map_err(mic_error)?;
        // Raw sound: echo cancellation and noise suppression change the voice the model hears.
        let audio = js_sys::Object::new();
        for key in ["echoCancellation", "noiseSuppression", "autoGainControl"] {
            js_sys::Reflect::set(&audio, &key.into(), &JsValue::FALSE).map_err(js_text)?;
        }
        let constraints = web_sys::MediaStreamConstraints::new();
        constraints.set_audio(&audio);
        let stream: MediaStream =
            JsFuture::from(devices.get_user_media_with_constraints(&constraints).map_err(mic_error)?)
                .await
                .map_err(mic_error)?
                .dyn_into()
                .map_err(js_text)?;
        match Self::connect(stream.clone(), on_chunk).await {
            Ok(r) => Ok(r),
            Err(e) => {
                stop_tracks(&stream);
                Err(e)
            }
        }
    }

    async fn connect(stream: MediaStream, on_chunk: OnChunk) -> Result<Recorder, String> {
        let fail = |e: JsValue| format!("The recorder could not be started ({}).", js_text(e));
        let context = AudioContext::new().map_err(fail)?;
        let sample_rate = context.sample_rate().round() as u32;
        let worklet = context.audio_worklet().map_err(fail)?;
        JsFuture::from(worklet.add_module("recorder-worklet.js").map_err(fail)?).await.map_err(fail)?;
        let source = context.create_media_stream_source(&stream).map_err(fail)?;
        let options = AudioWorkletNodeOptions::new();
        // No outputs: the node is a sink, processed without being connected to the speakers.
        options.set_number_of_outputs(0);
        let node = AudioWorkletNode::new_with_options(&context, "ser-recorder", &options).map_err(fail)?;

        let samples = Rc::new(RefCell::new(Vec::<f32>::with_capacity(sample_rate as usize * 10)));
        let max_len = (MAX_SECONDS * sample_rate as f64) as usize;
        let sink = samples.clone();
        let posted = Rc::new(std::cell::Cell::new(0));
        let count = posted.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Ok(chunk) = event.data().dyn_into::<js_sys::Float32Array>() else { return };
            let chunk = chunk.to_vec();
            let mut all = sink.borrow_mut();
            if all.len() >= max_len {
                return;
            }
            let room = max_len - all.len();
            if count.get() == 0 {
                crate::web::mark(crate::web::MARK_MIC_FIRST_CHUNK);
            }
            count.set(count.get() + chunk.len());
            let kept = &chunk[..chunk.len().min(room)];
            all.extend_from_slice(kept);
            let rms = (chunk.iter().map(|s| s * s).sum::<f32>() / chunk.len().max(1) as f32).sqrt();
            // -60 dBFS .. 0 dBFS onto 0..1: a meter that moves for speech at normal distance.
            let level = ((20.0 * rms.max(1e-6).log10() + 60.0) / 60.0).clamp(0.0, 1.0);
            let elapsed = all.len() as f64 / sample_rate as f64;
            let full = all.len() >= max_len;
            drop(all);
            on_chunk(kept, sample_rate, elapsed, level, full);
        });
        let port = node.port().map_err(fail)?;
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.connect_with_audio_node(&node).map_err(fail)?;
        let _ = context.resume();
        Ok(Recorder { context, stream, source, node, samples, posted, _on_message: on_message, sample_rate })
    }

    /// Stops and returns the recording.
    pub async fn stop(self) -> Recording {
        // Ask the worklet for its last partial chunk, and give it a moment to arrive.
        if let Ok(port) = self.node.port() {
            let _ = port.post_message(&JsValue::NULL);
        }
        gloo::timers::future::TimeoutFuture::new(60).await;
        // The handler is dropped with `self`: unhook it first so a late message finds nothing.
        if let Ok(port) = self.node.port() {
            port.set_onmessage(None);
        }
        let _ = self.source.disconnect();
        stop_tracks(&self.stream);
        // Closing the context takes the page's thread ~10 ms: a task of its own, so that with
        // what follows a stop (a minute's samples copied to the worker) no task nears 50 ms.
        crate::web::yield_now().await;
        if let Ok(p) = self.context.close() {
            let _ = JsFuture::from(p).await;
        }
        let samples = std::mem::take(&mut *self.samples.borrow_mut());
        Recording { samples, sample_rate: self.sample_rate, posted: self.posted.get() }
    }
}

fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}
