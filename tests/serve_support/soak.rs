//! The soak run, shared by `tests/serve/serve_soak.rs` (bounded, in CI) and
//! `benches/soak.rs` (long): the `jankwasm serve` binary, many pages (the
//! stub runtime under wasmtime, each keeping its state across reconnects),
//! several nREPL clients editing at once, file saves, bad edits, pages that
//! drop and come back, and a server restart on the same ports. It records
//! what each page loaded and what each client last defined, so the caller
//! can check that no patch was lost or repeated and that every page ends
//! with the same definitions.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jank_wasmtime_harness::Runtime;
use jankwasm::serve::protocol::ServerMessage;
use tokio::sync::watch;

use super::{field, s, statuses, Nrepl, Page, PATIENCE};

/// How much a run does.
#[derive(Debug, Clone, Copy)]
pub struct SoakPlan {
    pub pages: usize,
    pub nrepl_clients: usize,
    /// Edits each nREPL client makes before the restart, and again after.
    pub edits_per_client: usize,
    /// File saves before the restart, and again after.
    pub file_saves: usize,
    /// Every this many loaded patches, a third of the pages drop their
    /// socket and come back.
    pub reconnect_every: usize,
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct SoakReport {
    /// Edits that were applied (evaluated without error).
    pub edits_applied: usize,
    /// Edits refused with a compile or runtime error, as they should be.
    pub bad_edits_refused: usize,
    /// Per page: the ids of the patches it loaded, in order.
    pub loaded_ids: Vec<Vec<u64>>,
    /// Per page: the acknowledgements it sent with `ok: false`.
    pub failed_loads: Vec<Vec<String>>,
    /// Per page: each checked var's value at the end.
    pub page_values: Vec<BTreeMap<String, String>>,
    /// Each checked var's last definition.
    pub expected_values: BTreeMap<String, String>,
    pub reconnects: usize,
    /// Server resident memory (kB) after the first half of the edits before
    /// the restart, after the second half, and its peak, from /proc.
    pub rss_kb_midway: u64,
    pub rss_kb_before_restart: u64,
    pub peak_rss_kb: u64,
}

const APP: &str = "(ns soak)\n(defonce hits (atom 0))\n(defn file-version [] 0)\n";

fn app_source(version: usize) -> String {
    format!("(ns soak)\n(defonce hits (atom 0))\n(defn file-version [] {version})\n")
}

/// The `jankwasm serve` process and its addresses.
struct ServerProcess {
    child: Child,
    http: SocketAddr,
    ws: SocketAddr,
    nrepl: SocketAddr,
}

impl ServerProcess {
    /// Starts the binary for `dir`, on free ports or on `ports` (http, ws,
    /// nREPL), and reads its addresses from the banner.
    fn start(dir: &Path, ports: Option<(u16, u16, u16)>) -> Self {
        let (http, ws, nrepl) = ports.unwrap_or((0, 0, 0));
        let mut child = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
            .args(["serve", "--http-port", &http.to_string()])
            .args(["--ws-port", &ws.to_string()])
            .args(["--nrepl-port", &nrepl.to_string()])
            .args(["--eval-timeout", "60"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jankwasm serve");
        let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        let mut next = || lines.next().and_then(Result::ok).unwrap_or_default();
        let first = next();
        let second = next();
        let address = |text: &str, after: &str, until: char| -> SocketAddr {
            text.split_once(after)
                .and_then(|(_, rest)| rest.split(until).next())
                .and_then(|addr| addr.parse().ok())
                .unwrap_or_else(|| panic!("no address after {after:?} in {text:?}"))
        };
        Self {
            http: address(&first, "http://", '/'),
            ws: address(&first, "ws://", '/'),
            nrepl: address(&second, "nrepl://", ' '),
            child,
        }
    }

    fn ports(&self) -> (u16, u16, u16) {
        (self.http.port(), self.ws.port(), self.nrepl.port())
    }

    /// Resident and peak resident memory, in kB.
    fn memory_kb(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let read = |key: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kb| kb.parse().ok())
                .unwrap_or(0)
        };
        (read("VmRSS:"), read("VmHWM:"))
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one page task hands back at the end.
struct PageOutcome {
    runtime: Runtime,
    loaded: Vec<u64>,
    failed: Vec<String>,
    reconnects: usize,
}

/// Loads every patch the server sends; comes back whenever the socket goes
/// (its own planned drop, or the server restarting) with its runtime and
/// state kept; ends when `stop` turns true and it has loaded `through`.
async fn run_page(
    index: usize,
    ws: watch::Receiver<SocketAddr>,
    mut stop: watch::Receiver<Option<u64>>,
    reconnect_every: usize,
    progress: Arc<Mutex<Vec<u64>>>,
) -> PageOutcome {
    let mut runtime = Runtime::new().expect("stub runtime");
    let mut last: Option<u64> = None;
    let mut loaded = Vec::new();
    let mut failed = Vec::new();
    let mut reconnects = 0;
    loop {
        let addr = *ws.borrow();
        let mut page = match Page::try_connect_with(addr, runtime, last).await {
            Ok((page, _)) => page,
            Err((back, _)) => {
                // The server is restarting: try again shortly.
                runtime = back;
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let mut since_connect = 0;
        let finished = loop {
            let through = *stop.borrow_and_update();
            if through.is_some_and(|through| last.is_some_and(|last| last >= through)) {
                break true;
            }
            let message = tokio::select! {
                message = page.try_next(Duration::from_secs(3600)) => message,
                _ = stop.changed() => continue,
            };
            match message {
                Some(ServerMessage::Patch(patch)) => {
                    let id = patch.id;
                    let (ack, sent) = page.try_load(patch).await;
                    if !ack.ok {
                        failed.push(ack.error.unwrap_or_default());
                    }
                    loaded.push(id);
                    last = last.max(Some(id));
                    lock(&progress)[index] = id;
                    if !sent {
                        break false;
                    }
                    since_connect += 1;
                    if index % 3 == 0 && reconnect_every > 0 && since_connect == reconnect_every {
                        break false;
                    }
                }
                Some(_) => {}
                None => break false,
            }
        };
        let (back, _) = page.disconnect().await;
        runtime = back;
        if finished {
            return PageOutcome {
                runtime,
                loaded,
                failed,
                reconnects,
            };
        }
        reconnects += 1;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// One nREPL client's edits: a var of its own redefined `edits` times, with
/// a form that does not compile and one that throws along the way.
async fn edit_loop(
    nrepl: SocketAddr,
    client: usize,
    first: usize,
    edits: usize,
) -> (usize, usize, String) {
    let mut connection = Nrepl::connect_to(&nrepl.to_string()).await;
    let mut applied = 0;
    let mut refused = 0;
    let mut last_value = String::new();
    for edit in first..first + edits {
        let value = (client * 100_000 + edit).to_string();
        let code = format!("(defn client-{client} [] {value})");
        let answer = connection
            .request(&[("op", s("eval")), ("ns", s("soak")), ("code", s(&code))])
            .await;
        assert_eq!(field(&answer, "value"), [format!("#'soak/client-{client}")]);
        applied += 1;
        last_value = value;
        if edit % 4 == 1 {
            let bad = connection
                .request(&[
                    ("op", s("eval")),
                    ("ns", s("soak")),
                    ("code", s("(defn broken [] (no-such-fn))")),
                ])
                .await;
            assert!(bad
                .iter()
                .any(|m| statuses(m).contains(&"eval-error".into())));
            refused += 1;
        }
        if edit % 4 == 3 {
            let thrown = connection
                .request(&[
                    ("op", s("eval")),
                    ("ns", s("soak")),
                    (
                        "code",
                        s("(do (swap! hits inc) (throw (ex-info \"boom\" {})))"),
                    ),
                ])
                .await;
            assert!(thrown
                .iter()
                .any(|m| statuses(m).contains(&"eval-error".into())));
            refused += 1;
        }
    }
    (applied, refused, last_value)
}

/// Saves the project file `saves` times, each save waiting until the new
/// definition answers over nREPL.
async fn save_loop(dir: PathBuf, nrepl: SocketAddr, first: usize, saves: usize) -> usize {
    let mut connection = Nrepl::connect_to(&nrepl.to_string()).await;
    for version in first..first + saves {
        std::fs::write(dir.join("app.jank"), app_source(version)).expect("save app.jank");
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let answer = connection
                .request(&[
                    ("op", s("eval")),
                    ("ns", s("soak")),
                    ("code", s("(file-version)")),
                ])
                .await;
            if field(&answer, "value") == [version.to_string()] {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "save {version} never took effect: {answer:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    first + saves - 1
}

/// A round of concurrent edits from every client and the file saver.
async fn edit_round(
    plan: &SoakPlan,
    dir: &Path,
    nrepl: SocketAddr,
    first: usize,
    report: &mut SoakReport,
) {
    let mut clients = Vec::new();
    for client in 0..plan.nrepl_clients {
        clients.push(tokio::spawn(edit_loop(
            nrepl,
            client,
            first,
            plan.edits_per_client,
        )));
    }
    let saves = tokio::spawn(save_loop(
        dir.to_path_buf(),
        nrepl,
        first + 1,
        plan.file_saves,
    ));
    for (client, task) in clients.into_iter().enumerate() {
        let (applied, refused, last) = task.await.expect("an nREPL client");
        report.edits_applied += applied;
        report.bad_edits_refused += refused;
        report
            .expected_values
            .insert(format!("client-{client}"), last);
    }
    let last_save = saves.await.expect("the file saver");
    report.edits_applied += plan.file_saves;
    report
        .expected_values
        .insert("file-version".into(), last_save.to_string());
}

/// A marker evaluated over HTTP: its patch id is the last one every page
/// must reach.
async fn marker(http: SocketAddr) -> u64 {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{http}/eval?ns=soak"))
        .body("(defn marker [] :end)")
        .send()
        .await
        .expect("POST /eval")
        .json()
        .await
        .expect("a JSON answer");
    answer["forms"][0]["patch_id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no patch id in {answer}"))
}

/// Runs `plan` against a fresh project; the report says what happened.
pub async fn run(plan: SoakPlan) -> SoakReport {
    let dir = tempfile::tempdir().expect("a temporary project");
    std::fs::write(dir.path().join("app.jank"), APP).expect("write app.jank");
    let server = ServerProcess::start(dir.path(), None);
    let (ws_addr, ws) = watch::channel(server.ws);
    let (stop_at, stop) = watch::channel(None);
    let progress = Arc::new(Mutex::new(vec![0; plan.pages]));
    let pages: Vec<_> = (0..plan.pages)
        .map(|index| {
            tokio::spawn(run_page(
                index,
                ws.clone(),
                stop.clone(),
                plan.reconnect_every,
                progress.clone(),
            ))
        })
        .collect();

    let mut report = SoakReport::default();
    let half = SoakPlan {
        edits_per_client: plan.edits_per_client / 2,
        file_saves: plan.file_saves / 2,
        ..plan
    };
    let rest = SoakPlan {
        edits_per_client: plan.edits_per_client - half.edits_per_client,
        file_saves: plan.file_saves - half.file_saves,
        ..plan
    };
    edit_round(&half, dir.path(), server.nrepl, 0, &mut report).await;
    report.rss_kb_midway = server.memory_kb().0;
    edit_round(&rest, dir.path(), server.nrepl, 1_000, &mut report).await;
    let (rss, peak) = server.memory_kb();
    report.rss_kb_before_restart = rss;
    report.peak_rss_kb = peak;

    let ports = server.ports();
    server.stop();
    let server = ServerProcess::start(dir.path(), Some(ports));
    ws_addr.send_replace(server.ws);
    edit_round(&plan, dir.path(), server.nrepl, 2_000, &mut report).await;
    report.peak_rss_kb = report.peak_rss_kb.max(server.memory_kb().1);

    let through = marker(server.http).await;
    stop_at.send_replace(Some(through));
    for task in pages {
        let mut outcome = tokio::time::timeout(PATIENCE, task)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "pages did not all reach patch {through}: {:?}",
                    lock(&progress)
                )
            })
            .expect("a page task");
        let values = report
            .expected_values
            .keys()
            .map(|name| {
                let value = outcome
                    .runtime
                    .call_var("soak", name, &[])
                    .map(|value| value.printed)
                    .unwrap_or_else(|error| format!("error: {error}"));
                (name.clone(), value)
            })
            .collect();
        report.page_values.push(values);
        report.loaded_ids.push(std::mem::take(&mut outcome.loaded));
        report.failed_loads.push(outcome.failed);
        report.reconnects += outcome.reconnects;
    }
    server.stop();
    report
}
