//! Re-render time of a large page in headless Chromium (Debian's
//! /usr/bin/chromium): `jankwasm serve` runs a 5,000-row table app and each
//! step changes one cell through the app's `handle`, then times the page's
//! render of the new state: `(view @state)` in the stub runtime, reading its
//! hiccup through the compact encoding, the keyed diff against the live DOM,
//! and the browser's style and layout of the change (forced by reading the
//! table's height). Goal: a median under one 60 fps frame (16 ms).
//! The collection of the view's garbage is not in it: the page runs it in a
//! task after the frame (here the next step's `handle` call, untimed,
//! reaches a safe point first). Printed besides: the medians of jankwasm's
//! part (the render call) and of Chromium's layout after it, and of the
//! layout after a bare change of one cell's text with no jank at all (the
//! floor the browser sets).
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

/// The durations in ms of `steps` timed renders in the page: whole, the
/// render call alone, and the layout after it.
struct Renders {
    total: Vec<f64>,
    render: Vec<f64>,
    layout: Vec<f64>,
}

fn times(value: &serde_json::Value) -> Vec<f64> {
    value
        .as_array()
        .expect("times")
        .iter()
        .filter_map(|t| t.as_f64())
        .collect()
}

fn measure(page: &browser::Page, steps: usize) -> Renders {
    let script = format!(
        "(() => {{
           const renderer = jankClient.renderer;
           const table = document.querySelector('#app table');
           const total = [], render = [], layout = [];
           for (let step = 0; step < {steps}; step++) {{
             const row = (step * 997) % {ROWS};
             renderer.app.dispatch(row);
             const started = performance.now();
             const error = renderer.render({{ force: false }});
             if (error) throw new Error(error);
             const rendered = performance.now();
             table.offsetHeight;
             const done = performance.now();
             total.push(done - started);
             render.push(rendered - started);
             layout.push(done - rendered);
             const cell = document.querySelectorAll('#app td.value')[row].textContent;
             if (Number(cell) < 1000) throw new Error(`row ${{row}} shows ${{cell}}`);
           }}
           return [total, render, layout];
         }})()"
    );
    let value = page.eval(&script);
    Renders {
        total: times(&value[0]),
        render: times(&value[1]),
        layout: times(&value[2]),
    }
}

/// The layout after `steps` bare changes of one cell's text, in ms (run
/// last: the renderer does not know of these changes).
fn bare_layout(page: &browser::Page, steps: usize) -> Vec<f64> {
    let script = format!(
        "(() => {{
           const table = document.querySelector('#app table');
           const cells = document.querySelectorAll('#app td.value');
           const times = [];
           for (let step = 0; step < {steps}; step++) {{
             const text = cells[(step * 997) % {ROWS}].firstChild;
             text.data = String(Number(text.data) + 1000);
             const started = performance.now();
             table.offsetHeight;
             times.push(performance.now() - started);
           }}
           return times;
         }})()"
    );
    times(&page.eval(&script))
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
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
    let Renders {
        total: mut times,
        render,
        layout,
    } = measure(&page, steps);
    bare_layout(&page, WARMUP);
    let bare = bare_layout(&page, steps);
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
    println!(
        "page_render: medians: the render call (view, encoding, read, diff, DOM writes) {:.2} ms, \
         Chromium's style and layout after it {:.2} ms; layout after a bare change of one cell's \
         text {:.2} ms",
        median(render),
        median(layout),
        median(bare),
    );
    runtime.block_on(server.shutdown());
}
