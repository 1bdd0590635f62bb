//! The voice baseline kept in this browser: one localStorage key holding the summary the core
//! wrote (`Baseline::to_json`: band statistics and model scores, never audio) and when it was
//! made. Nothing else about the person is stored.

use serde_json::{Value, json};

use crate::compute::SavedBaseline;

/// The one key the page writes.
pub const KEY: &str = "ser.voice-baseline";

/// What is under [`KEY`]: nothing, a baseline, or something unreadable (which is removed and
/// said once, like a baseline the model refuses).
pub enum Stored {
    Nothing,
    Baseline(SavedBaseline),
    Unreadable,
}

// web-sys's Storage binding is enabled by gloo's storage feature; gloo's own wrapper throws a
// JS exception where storage is off (private windows, strict settings), so it is not used.
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn load() -> Stored {
    let Some(text) = storage().and_then(|s| s.get_item(KEY).ok().flatten()) else {
        return Stored::Nothing;
    };
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        return Stored::Unreadable;
    };
    match (value.get("made_ms").and_then(Value::as_f64), value.get("summary")) {
        (Some(made_ms), Some(summary)) => Stored::Baseline(SavedBaseline { summary: summary.to_string(), made_ms }),
        _ => Stored::Unreadable,
    }
}

/// Keeps the baseline; `Err` where the browser refuses (storage off or full).
pub fn save(saved: &SavedBaseline) -> Result<(), ()> {
    let summary: Value = serde_json::from_str(&saved.summary).map_err(|_| ())?;
    let text = json!({ "made_ms": saved.made_ms, "summary": summary }).to_string();
    storage().ok_or(())?.set_item(KEY, &text).map_err(|_| ())
}

pub fn forget() {
    if let Some(s) = storage() {
        let _ = s.remove_item(KEY);
    }
}

/// When a baseline was made, in the person's local time: "30 Nov, 12:03".
pub fn made_at(made_ms: f64) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let date = js_sys::Date::new(&made_ms.into());
    let month = MONTHS.get(date.get_month() as usize).copied().unwrap_or("");
    format!("{} {month}, {:02}:{:02}", date.get_date(), date.get_hours(), date.get_minutes())
}
