//! The view: function components that render [`State`](super::state::State) and turn
//! clicks into [`Action`](super::state::Action)s or analysis jobs.

mod app;
mod export;
mod footer;
mod input_panel;
mod playback;
mod probabilities;
mod result_view;
mod status;
mod timeline;

pub use app::App;
