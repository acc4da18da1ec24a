//! Edit-to-live latency with a real browser: `jankwasm serve` on loopback, the
//! demo page in headless Chromium (Debian's /usr/bin/chromium), and an nREPL
//! client sending a changed `defn` over and over. Each edit is timed from
//! the nREPL `eval` leaving the client to its `done` coming back, which the
//! server sends only after the page has loaded the patch and acknowledged it
//! (the value is the page's), so the figure bounds "eval received → page
//! acknowledged" from above; it includes the page's re-render, which runs
//! before the acknowledgement goes out. Also reports the page's own patch
//! load time (wasm compile, instantiate, registry) from its acknowledgements.
//! Run: `cargo bench --bench browser_latency` (EDITS=N to change the count).

#[path = "../tests/common/browser.rs"]
mod browser;
#[path = "../tests/serve_support/mod.rs"]
mod serve_support;

use std::time::{Duration, Instant};

use serve_support::{s, Nrepl};

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let edits: usize = std::env::var("EDITS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let warmup = 20;
    let Some(browser) = browser::Browser::launch() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let dir = tempfile::tempdir().expect("temporary project");
        std::fs::write(
            dir.path().join("app.jank"),
            "(ns demo.app)\n(defonce state (atom {:count 7}))\n\
             (defn view [{:keys [count]}] [:main [:h1 \"Count: \" count]])\n\
             (defn handle [event] nil)\n",
        )
        .expect("write app");
        let server = serve_support::start(dir.path()).await;
        let url = serve_support::http(&server, "/");
        let page = tokio::task::block_in_place(|| {
            let page = browser.open(&url);
            page.wait_for(
                "document.querySelector('#app h1')?.textContent === 'Count: 7'",
                Duration::from_secs(60),
            );
            page
        });

        let mut nrepl = Nrepl::connect(&server).await;
        let session = nrepl.request(&[("op", s("clone"))]).await[0]
            .str("new-session")
            .expect("session");
        let mut latencies = Vec::with_capacity(edits);
        for edit in 0..warmup + edits {
            let code =
                format!("(defn view [{{:keys [count]}}] [:main [:h1 \"Edit {edit}: \" count]])");
            let sent = Instant::now();
            let id = nrepl
                .send(&[
                    ("op", s("eval")),
                    ("session", s(&session)),
                    ("ns", s("demo.app")),
                    ("code", s(&code)),
                ])
                .await;
            let answers = nrepl.until_done(&id).await;
            let done = sent.elapsed();
            let values = serve_support::field(&answers, "value");
            assert_eq!(values, ["#'demo.app/view"], "edit {edit}: {answers:?}");
            if edit >= warmup {
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
        assert_eq!(shown, format!("Edit {}: 7", warmup + edits - 1));
        let mut page_loads: Vec<Duration> = loads
            .as_array()
            .expect("load times")
            .iter()
            .filter_map(|v| v.as_f64())
            .map(|ms| Duration::from_secs_f64(ms / 1000.0))
            .collect();
        latencies.sort();
        page_loads.sort();
        println!(
            "browser_latency: nREPL eval sent -> answer (after the Chromium page loaded and \
             acknowledged the patch), {edits} edits of a defn: median {}, p90 {}, min {}, max {}",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.9)),
            ms(latencies[0]),
            ms(latencies[latencies.len() - 1]),
        );
        println!(
            "browser_latency: of which the page's own patch load: median {}, p90 {}",
            ms(percentile(&page_loads, 0.5)),
            ms(percentile(&page_loads, 0.9)),
        );
        server.shutdown().await;
    });
}
