//! Re-render time of a large page in headless Chromium (Debian's
//! /usr/bin/chromium): `jankwasm serve` runs a 5,000-row table app and each
//! step changes one cell through the app's `handle`, then times the page's
//! render of the new state: `(view @state)` in the stub runtime, reading its
//! hiccup through the compact encoding, the keyed diff against the live DOM,
//! and the browser's style and layout of the change (forced by reading the
//! table's height). Goal: a median under one 60 fps frame (16 ms).
//! Run: `cargo bench --bench page_render` (STEPS=N to change the count).

#[path = "../tests/common/browser.rs"]
mod browser;
#[path = "../tests/serve_support/mod.rs"]
mod serve_support;

use std::time::Duration;

const ROWS: usize = 5_000;
const WARMUP: usize = 10;

/// The built-in page renders the namespace demo.app.
fn app() -> String {
    format!(
        "(ns demo.app)\n\
         (defonce state (atom {{:cells (vec (range {ROWS}))}}))\n\
         (defn row [i value] [:tr {{:key i}} [:td i] [:td.value value] [:td \"row \" i]])\n\
         (defn view [{{:keys [cells]}}] [:table [:tbody (map-indexed row cells)]])\n\
         (defn handle [i] (swap! state update-in [:cells i] + 1000))\n"
    )
}

/// Runs `steps` timed renders in the page; their durations in ms.
fn measure(page: &browser::Page, steps: usize) -> Vec<f64> {
    let script = format!(
        "(() => {{
           const renderer = jankClient.renderer;
           const table = document.querySelector('#app table');
           const times = [];
           for (let step = 0; step < {steps}; step++) {{
             const row = (step * 997) % {ROWS};
             renderer.app.dispatch(row);
             const started = performance.now();
             const error = renderer.render({{ force: false }});
             if (error) throw new Error(error);
             table.offsetHeight;
             times.push(performance.now() - started);
             const cell = document.querySelectorAll('#app td.value')[row].textContent;
             if (Number(cell) < 1000) throw new Error(`row ${{row}} shows ${{cell}}`);
           }}
           return times;
         }})()"
    );
    page.eval(&script)
        .as_array()
        .expect("render times")
        .iter()
        .filter_map(|t| t.as_f64())
        .collect()
}

fn main() {
    let steps: usize = std::env::var("STEPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let Some(browser) = browser::Browser::launch() else {
        println!("page_render: skipped (chromium not installed)");
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary project");
    std::fs::write(dir.path().join("app.jank"), app()).expect("write app");
    let server = runtime.block_on(serve_support::start(dir.path()));
    let url = serve_support::http(&server, "/");
    let page = browser.open(&url);
    page.wait_for(
        &format!("document.querySelectorAll('#app tr').length === {ROWS}"),
        Duration::from_secs(120),
    );
    measure(&page, WARMUP);
    let mut times = measure(&page, steps);
    times.sort_by(f64::total_cmp);
    let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
    println!(
        "page_render: {ROWS}-row table, one cell changed, {steps} renders in headless Chromium: \
         median {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.9),
        times[0],
        times[times.len() - 1],
    );
    runtime.block_on(server.shutdown());
}
