//! Edit-to-live latency of `jankwasm serve` on loopback: an nREPL client
//! sends a changed `defn` over and over, and each edit is timed until the
//! page has loaded the patch. Two pages, one after the other:
//!
//! - a WebSocket client loading each patch into the stub runtime under
//!   wasmtime: timed from the `eval` leaving the client to the page sending
//!   its acknowledgement;
//! - the demo page in headless Chromium (Debian's /usr/bin/chromium): timed
//!   from the `eval` leaving the client to its `done` coming back, which the
//!   server sends only after the page acknowledged the load (the value is
//!   the page's). That bounds "eval received → page acknowledged" from above
//!   and includes the page's re-render, which runs before its ack goes out.
//!
//! Both also report the page's own patch load (compile, instantiate,
//! registry) from its acknowledgements. With the Chromium page connected it
//! then times the editors' tooling ops (`complete`, `completions`, `info`,
//! `lookup`, `eldoc`, `ns-list`), request sent to answer, for the
//! 50 ms goal.
//! Run: `cargo bench --bench serve_latency` (EDITS=N to change the count).

#[path = "../tests/common/browser.rs"]
mod browser;
#[path = "../tests/serve_support/mod.rs"]
mod serve_support;

use std::path::Path;
use std::time::{Duration, Instant};

use jankwasm::serve::protocol::ServerMessage;
use jankwasm::serve::Server;
use serve_support::{s, Nrepl, Page};

const WARMUP: usize = 20;

const APP: &str = "(ns demo.app)\n(defonce state (atom {:count 7}))\n\
(defn view [{:keys [count]}] [:main [:h1 \"Count: \" count]])\n\
(defn handle [event] nil)\n";

fn edit(n: usize) -> String {
    format!("(defn view [{{:keys [count]}}] [:main [:h1 \"Edit {n}: \" count]])")
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn report(page_kind: &str, timed: &str, mut latencies: Vec<Duration>, mut loads: Vec<Duration>) {
    latencies.sort();
    loads.sort();
    println!(
        "serve_latency ({page_kind}): nREPL eval sent -> {timed}, {} edits of a defn: \
         median {}, p90 {}, min {}, max {}",
        latencies.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.9)),
        ms(latencies[0]),
        ms(latencies[latencies.len() - 1]),
    );
    println!(
        "serve_latency ({page_kind}): of which the page's own patch load: median {}, p90 {}",
        ms(percentile(&loads, 0.5)),
        ms(percentile(&loads, 0.9)),
    );
}

fn milliseconds(ms: f64) -> Duration {
    Duration::from_secs_f64(ms / 1000.0)
}

/// An nREPL session on `server`, and a way to send an eval in it.
struct Editor {
    nrepl: Nrepl,
    session: String,
}

impl Editor {
    async fn connect(server: &Server) -> Editor {
        let mut nrepl = Nrepl::connect(server).await;
        let session = nrepl.request(&[("op", s("clone"))]).await[0]
            .str("new-session")
            .expect("session");
        Editor { nrepl, session }
    }

    async fn send_eval(&mut self, code: &str) -> String {
        self.nrepl
            .send(&[
                ("op", s("eval")),
                ("session", s(&self.session)),
                ("ns", s("demo.app")),
                ("code", s(code)),
            ])
            .await
    }
}

async fn wasmtime_page(dir: &Path, edits: usize) {
    let server = serve_support::start(dir).await;
    let (mut page, ack) = Page::connect(&server, None).await;
    for _ in 0..ack.replay {
        page.load_next().await;
    }
    let (loaded, mut loads) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(message) = page.try_next(Duration::from_secs(60)).await {
            if let ServerMessage::Patch(patch) = message {
                let ack = page.load(patch).await;
                let _ = loaded.send((Instant::now(), milliseconds(ack.load_ms.unwrap_or(0.0))));
            }
        }
    });
    let mut editor = Editor::connect(&server).await;
    let mut latencies = Vec::with_capacity(edits);
    let mut page_loads = Vec::with_capacity(edits);
    for n in 0..WARMUP + edits {
        let sent = Instant::now();
        let id = editor.send_eval(&edit(n)).await;
        let (acked, load) = loads.recv().await.expect("the page loads the patch");
        editor.nrepl.until_done(&id).await;
        if n >= WARMUP {
            latencies.push(acked - sent);
            page_loads.push(load);
        }
    }
    report(
        "WebSocket page on the wasmtime stub",
        "page ack sent",
        latencies,
        page_loads,
    );
    server.shutdown().await;
}

async fn chromium_page(dir: &Path, browser: &browser::Browser, edits: usize) {
    let server = serve_support::start(dir).await;
    let url = serve_support::http(&server, "/");
    let page = tokio::task::block_in_place(|| {
        let page = browser.open(&url);
        page.wait_for(
            "document.querySelector('#app h1')?.textContent === 'Count: 7'",
            Duration::from_secs(60),
        );
        page
    });
    let mut editor = Editor::connect(&server).await;
    let mut latencies = Vec::with_capacity(edits);
    for n in 0..WARMUP + edits {
        let sent = Instant::now();
        let id = editor.send_eval(&edit(n)).await;
        let answers = editor.nrepl.until_done(&id).await;
        let done = sent.elapsed();
        let values = serve_support::field(&answers, "value");
        assert_eq!(values, ["#'demo.app/view"], "edit {n}: {answers:?}");
        if n >= WARMUP {
            latencies.push(done);
        }
    }
    let (shown, loads) = tokio::task::block_in_place(|| {
        let shown = page.text("#app h1");
        let loads = page.eval(&format!(
            "window.jankClient.acks.slice(-{edits}).map((a) => a.load_ms)"
        ));
        (shown, loads)
    });
    assert_eq!(shown, format!("Edit {}: 7", WARMUP + edits - 1));
    tooling_ops(&mut editor, edits).await;
    let page_loads = loads
        .as_array()
        .expect("load times")
        .iter()
        .filter_map(|v| v.as_f64())
        .map(milliseconds)
        .collect();
    report(
        "headless Chromium demo page",
        "answer after the page's ack",
        latencies,
        page_loads,
    );
    server.shutdown().await;
}

/// Times each tooling op `rounds` times (after a warm-up) in the editor's
/// session, the page still connected, and reports every op and all of them.
async fn tooling_ops(editor: &mut Editor, rounds: usize) {
    let requests: [(&str, &str, &str); 6] = [
        ("complete", "symbol", "vi"),
        ("completions", "prefix", "ma"),
        ("info", "sym", "view"),
        ("lookup", "sym", "handle"),
        ("eldoc", "sym", "view"),
        ("ns-list", "filter-regexps", ""),
    ];
    let mut all = Vec::new();
    for (op, key, value) in requests {
        let mut latencies = Vec::with_capacity(rounds);
        for n in 0..WARMUP + rounds {
            let sent = Instant::now();
            let answers = editor
                .nrepl
                .request(&[
                    ("op", s(op)),
                    ("session", s(&editor.session)),
                    ("ns", s("demo.app")),
                    (key, s(value)),
                ])
                .await;
            let answered = sent.elapsed();
            assert!(
                !serve_support::statuses(&answers[0]).contains(&"error".to_string()),
                "{op}: {answers:?}"
            );
            if n >= WARMUP {
                latencies.push(answered);
            }
        }
        latencies.sort();
        println!(
            "serve_latency (tooling, Chromium page connected): {op}: median {}, p90 {}, max {}",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.9)),
            ms(latencies[latencies.len() - 1]),
        );
        all.extend(latencies);
    }
    all.sort();
    println!(
        "serve_latency (tooling, Chromium page connected): all {} requests: median {}, p90 {}, \
         p99 {}, max {} (goal: under 50 ms)",
        all.len(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.9)),
        ms(percentile(&all, 0.99)),
        ms(all[all.len() - 1]),
    );
}

fn main() {
    let edits: usize = std::env::var("EDITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temporary project");
    std::fs::write(dir.path().join("app.jank"), APP).expect("write app");
    runtime.block_on(wasmtime_page(dir.path(), edits));
    match browser::Browser::launch() {
        Some(browser) => runtime.block_on(chromium_page(dir.path(), &browser, edits)),
        None => println!("serve_latency: headless Chromium page skipped (not installed)"),
    }
}
