//! The waveplot with playback: an audio player for the analysed signal, a cursor that follows
//! it, and click-to-seek. The canvas itself is drawn by the result view.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::timers::callback::Interval;
use web_sys::HtmlAudioElement;
use yew::prelude::*;

use crate::plots::waveform::{INSET_LEFT, INSET_RIGHT};

#[derive(Properties, PartialEq)]
pub struct PlaybackProps {
    pub canvas: NodeRef,
    pub audio_url: Option<String>,
    pub duration_s: f64,
    pub children: Html,
}

#[function_component(Playback)]
pub fn playback(props: &PlaybackProps) -> Html {
    let audio = use_node_ref();
    let position = use_state(|| 0.0f64);
    let ticker: Rc<RefCell<Option<Interval>>> = use_mut_ref(|| None);
    // The cursor appears once playback has started or the user has picked a place.
    let started = use_state(|| false);

    let sync = {
        let (audio, position, started) = (audio.clone(), position.clone(), started.clone());
        move || {
            if let Some(a) = audio.cast::<HtmlAudioElement>() {
                position.set(a.current_time());
                if a.current_time() > 0.0 && !*started {
                    started.set(true);
                }
            }
        }
    };
    // ~25 updates a second while playing; timeupdate alone is too coarse for a smooth cursor.
    let onplay = {
        let (ticker, sync) = (ticker.clone(), sync.clone());
        Callback::from(move |_: Event| {
            let sync = sync.clone();
            *ticker.borrow_mut() = Some(Interval::new(40, sync));
        })
    };
    let onstop = {
        let (ticker, sync) = (ticker.clone(), sync.clone());
        Callback::from(move |_: Event| {
            ticker.borrow_mut().take();
            sync();
        })
    };
    let onseeked = {
        let sync = sync.clone();
        Callback::from(move |_: Event| sync())
    };
    let seek = {
        let (audio, canvas, duration) = (audio.clone(), props.canvas.clone(), props.duration_s);
        Callback::from(move |e: MouseEvent| {
            let (Some(a), Some(c)) = (audio.cast::<HtmlAudioElement>(), canvas.cast::<web_sys::HtmlElement>()) else {
                return;
            };
            let width = c.client_width() as f64 - INSET_LEFT - INSET_RIGHT;
            let fraction = ((e.offset_x() as f64 - INSET_LEFT) / width.max(1.0)).clamp(0.0, 1.0);
            a.set_current_time(fraction * duration);
        })
    };

    let fraction = (*position / props.duration_s.max(1e-6)).clamp(0.0, 1.0);
    let cursor = format!("left: calc({INSET_LEFT}px + (100% - {}px) * {fraction:.5})", INSET_LEFT + INSET_RIGHT);
    html! {
        <figure class="wave">
            <figcaption>
                { "Waveform. " }
                <span class="swatch silence" aria-hidden="true"></span>
                { "Shaded: silence removed before analysis. Click the plot to jump there." }
            </figcaption>
            <div class="wave-plot" onclick={seek}>
                <canvas ref={props.canvas.clone()} class="plot wave-canvas" role="img"
                        aria-label="Waveform of the recording over time, with removed silence shaded"></canvas>
                <div class={classes!("cursor", (!*started).then_some("idle"))} style={cursor} aria-hidden="true"></div>
            </div>
            { props.children.clone() }
            if let Some(url) = &props.audio_url {
                <audio ref={audio} class="player" controls=true preload="auto" src={url.clone()}
                       aria-label="Play the analysed audio"
                       {onplay} onpause={onstop.clone()} onended={onstop} {onseeked}
                       ontimeupdate={Callback::from(move |_: Event| sync())}></audio>
            }
        </figure>
    }
}
