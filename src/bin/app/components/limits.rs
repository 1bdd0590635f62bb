//! "What this can and cannot do": four plain sentences near the top of the page (and in
//! presenter mode), so nobody in the room takes the answer for more than it is.

use yew::prelude::*;

/// The four points, in the order a class should hear them.
pub const LIMITS: [&str; 4] = [
    "It was trained on actors performing emotions, not on people in everyday life.",
    "It hears how something is said, not what is felt.",
    "It is wrong often, and more often for some voices than for others.",
    "Never use it to judge a person.",
];

#[function_component(Limits)]
pub fn limits() -> Html {
    html! {
        <section class="limits" data-testid="limits" aria-labelledby="limits-title">
            <h2 id="limits-title">{ "What this can and cannot do" }</h2>
            <ul>
                { for LIMITS.iter().map(|l| html! { <li>{ *l }</li> }) }
            </ul>
        </section>
    }
}
