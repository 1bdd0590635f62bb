//! The view: function components that render [`State`](crate::state::State) and turn
//! clicks into [`Action`](crate::state::Action)s or compute [`Job`](crate::compute::Job)s.

mod app;
mod compare;
mod download_image;
mod export;
mod footer;
mod input_panel;
mod limits;
mod live;
mod playback;
mod presenter;
mod probabilities;
mod quality;
mod result_view;
mod status;
mod timeline;
mod valence_arousal;
mod voice_panel;

pub use app::{App, AppProps};
