//! The engine in a Web Worker: the page's own wasm module, started again by
//! static/compute-worker.js, whose `main` finds no window and calls [`run`]. Jobs arrive and
//! updates leave as [`super::wire`] messages; the browser's decoder, which needs Web Audio,
//! is asked of the page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::DedicatedWorkerGlobalScope;

use super::engine::{Decode, Decoded, Engine};
use super::wire::{self, FromWorker, Packer, ToWorker, Unpacker};

/// Decodes the page was asked for: their answers, and the futures waiting for them.
#[derive(Default)]
struct Decodes {
    next: Cell<u32>,
    waiting: RefCell<Vec<(u32, js_sys::Function)>>,
    answers: RefCell<Vec<(u32, Decoded)>>,
}

/// Serves jobs until the page closes.
pub fn run() {
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&format!("ser worker: {info}").into())));
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post = {
        let scope = scope.clone();
        Rc::new(move |(message, transfer): (JsValue, Array)| {
            if let Err(e) = scope.post_message_with_transfer(&message, &transfer) {
                web_sys::console::error_1(&e);
            }
        })
    };
    let decodes = Rc::new(Decodes::default());
    let decode: Decode = {
        let (post, decodes) = (post.clone(), decodes.clone());
        Rc::new(move |bytes: Vec<u8>| {
            let (post, decodes) = (post.clone(), decodes.clone());
            Box::pin(async move {
                let request = decodes.next.get() + 1;
                decodes.next.set(request);
                let answered =
                    js_sys::Promise::new(&mut |resolve, _| decodes.waiting.borrow_mut().push((request, resolve)));
                post(wire::pack_decode(request, &bytes)?);
                let _ = JsFuture::from(answered).await;
                let mut answers = decodes.answers.borrow_mut();
                let at = answers.iter().position(|(r, _)| *r == request).ok_or("no answer")?;
                answers.swap_remove(at).1
            })
        })
    };
    let engine = {
        let post = post.clone();
        Engine::new(
            move |update| {
                let mut packer = Packer::default();
                let update = wire::pack_update(update, &mut packer);
                match packer.finish(&FromWorker::Update(update)) {
                    Ok(message) => post(message),
                    Err(e) => web_sys::console::error_1(&e.into()),
                }
            },
            decode,
        )
    };
    let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
        let (message, data) = match Unpacker::open::<ToWorker>(&event.data()) {
            Ok(opened) => opened,
            Err(e) => return web_sys::console::error_1(&format!("a message from the page: {e}").into()),
        };
        match message {
            ToWorker::Job(job) => match wire::unpack_job(job, &data) {
                Ok(job) => engine.send(job),
                Err(e) => web_sys::console::error_1(&e.into()),
            },
            ToWorker::Decoded { request, result } => {
                let result = result.map(|(samples, rate)| (data.f32s(samples), rate));
                decodes.answers.borrow_mut().push((request, result));
                let mut waiting = decodes.waiting.borrow_mut();
                if let Some(at) = waiting.iter().position(|(r, _)| *r == request) {
                    let _ = waiting.swap_remove(at).1.call0(&JsValue::NULL);
                }
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget(); // as long as the worker
    match Packer::default().finish(&FromWorker::Started) {
        Ok(message) => post(message),
        Err(e) => web_sys::console::error_1(&e.into()),
    }
}
