//! Edit-to-live latency of `jankwasm serve`: from an nREPL `eval` of a
//! changed `defn` leaving the editor to the page having loaded the patch and
//! sent its acknowledgement. The page is a WebSocket client that loads each
//! patch into the stub runtime under wasmtime (the Chromium page is measured
//! separately). Run: `cargo bench --bench serve_latency` (EDITS=N to change
//! the number of edits).

#[path = "../tests/serve_support/mod.rs"]
mod serve_support;

use std::time::{Duration, Instant};

use jankwasm::serve::protocol::ServerMessage;
use serve_support::{s, Nrepl, Page};

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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let dir = tempfile::tempdir().expect("temporary project");
        std::fs::write(
            dir.path().join("app.jank"),
            "(ns app)\n(defonce clicks (atom 0))\n(defn view [] [:p \"clicks \" @clicks])\n",
        )
        .expect("write app");
        let server = serve_support::start(dir.path()).await;
        let (mut page, ack) = Page::connect(&server, None).await;
        for _ in 0..ack.replay {
            page.load_next().await;
        }
        let (loaded, mut loads) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(message) = page.try_next(Duration::from_secs(60)).await {
                if let ServerMessage::Patch(patch) = message {
                    let ack = page.load(patch).await;
                    let load = Duration::from_secs_f64(ack.load_ms.unwrap_or(0.0) / 1000.0);
                    let _ = loaded.send((Instant::now(), load));
                }
            }
        });

        let mut nrepl = Nrepl::connect(&server).await;
        let session = nrepl.request(&[("op", s("clone"))]).await[0]
            .str("new-session")
            .expect("session");
        let mut latencies = Vec::with_capacity(edits);
        let mut page_loads = Vec::with_capacity(edits);
        for edit in 0..warmup + edits {
            let code = format!(
                "(defn view [] [:div {{:class \"counter\"}} [:p \"edit {edit}: \" @clicks]])"
            );
            let sent = Instant::now();
            let id = nrepl
                .send(&[
                    ("op", s("eval")),
                    ("session", s(&session)),
                    ("ns", s("app")),
                    ("code", s(&code)),
                ])
                .await;
            let (acked, load) = loads.recv().await.expect("the page loads the patch");
            nrepl.until_done(&id).await;
            if edit >= warmup {
                latencies.push(acked - sent);
                page_loads.push(load);
            }
        }
        latencies.sort();
        page_loads.sort();
        println!(
            "serve_latency: nREPL eval sent -> page ack sent, {edits} edits of a defn \
             (WebSocket page loading into the wasmtime stub): median {}, p90 {}, min {}, max {}",
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.9)),
            ms(latencies[0]),
            ms(latencies[latencies.len() - 1]),
        );
        println!(
            "serve_latency: of which the page's own load (wasmtime compile + registry): median {}",
            ms(percentile(&page_loads, 0.5)),
        );
        server.shutdown().await;
    });
}
