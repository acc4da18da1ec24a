//! The whole live loop with every real component: the `jankwasm serve`
//! binary running its built-in demo, two headless Chromium pages, Debian's
//! nREPL client (one JVM, driven a message at a time), curl, and a server
//! restart the pages ride out. The counter in the demo's `defonce` atom must
//! survive every edit, every bad edit and the restart.

use crate::browser;
use crate::serve_support;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use browser::{Browser, Page};
use serde_json::Value;
use serve_support::NREPL_JAR;

const WAIT: Duration = Duration::from_secs(30);

/// Three loopback ports free right now, so a restarted server can take the
/// same ones again.
fn free_ports() -> [u16; 3] {
    let listeners: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    let ports: Vec<u16> = listeners
        .iter()
        .map(|l| l.local_addr().expect("its address").port())
        .collect();
    [ports[0], ports[1], ports[2]]
}

/// `jankwasm serve` with no project (the built-in demo), its state files in
/// `dir`; what it prints is kept for failure messages.
struct ServeProcess {
    child: Child,
    printed: Arc<Mutex<String>>,
}

impl ServeProcess {
    fn start(dir: &Path, [http, ws, nrepl]: [u16; 3]) -> ServeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
            .args(["serve", "--http-port", &http.to_string()])
            .args(["--ws-port", &ws.to_string()])
            .args(["--nrepl-port", &nrepl.to_string()])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start jankwasm serve");
        let printed = Arc::new(Mutex::new(String::new()));
        let (banner_seen, banner) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        for (stream, banner_seen) in [
            (
                Box::new(stdout) as Box<dyn std::io::Read + Send>,
                Some(banner_seen),
            ),
            (Box::new(stderr), None),
        ] {
            let printed = Arc::clone(&printed);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if line.starts_with("nREPL server started") {
                        if let Some(seen) = &banner_seen {
                            let _ = seen.send(());
                        }
                    }
                    let mut printed = printed.lock().unwrap();
                    printed.push_str(&line);
                    printed.push('\n');
                }
            });
        }
        if banner.recv_timeout(WAIT).is_err() {
            let _ = child.kill();
            panic!(
                "jankwasm serve printed no banner:\n{}",
                printed.lock().unwrap()
            );
        }
        ServeProcess { child, printed }
    }

    fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
    }

    /// Ends the server abruptly, as a crash or a killed terminal would.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Debian's nREPL client in one JVM: each line written is an EDN request
/// map, each line read back the `combine-responses` of its answer.
struct NreplClient {
    child: Child,
    requests: ChildStdin,
    answers: BufReader<ChildStdout>,
}

const CLIENT: &str = r#"
(require '[nrepl.core :as nrepl] '[clojure.edn :as edn])
(let [port (Long/parseLong (first *command-line-args*))]
  (with-open [conn (nrepl/connect :host "127.0.0.1" :port port)]
    (let [session (nrepl/client-session (nrepl/client conn 60000))]
      (println :ready)
      (flush)
      (doseq [line (line-seq (java.io.BufferedReader. *in*))]
        (prn (nrepl/combine-responses (nrepl/message session (edn/read-string line))))
        (flush)))))
(shutdown-agents)
"#;

impl NreplClient {
    /// None when Debian's nREPL is missing outside CI.
    fn connect(dir: &Path, port: u16) -> Option<NreplClient> {
        if !serve_support::have_debian_nrepl() {
            return None;
        }
        let script = dir.join("nrepl-client.clj");
        std::fs::write(&script, CLIENT).expect("write the client script");
        let mut child = Command::new("clojure")
            .args(["-cp", NREPL_JAR])
            .arg(&script)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the nREPL client");
        let requests = child.stdin.take().expect("piped stdin");
        let mut answers = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut ready = String::new();
        answers.read_line(&mut ready).expect("the client starts");
        assert_eq!(ready.trim(), ":ready");
        Some(NreplClient {
            child,
            requests,
            answers,
        })
    }

    /// Evaluates `code` in `ns` as an editor does, from `file` at `line`:1.
    fn eval(&mut self, ns: &str, code: &str, file: &str, line: u32) -> String {
        let edn_string = |s: &str| serde_json::to_string(s).expect("a string as JSON");
        writeln!(
            self.requests,
            "{{:op \"eval\" :ns {} :code {} :file {} :line {line} :column 1}}",
            edn_string(ns),
            edn_string(code),
            edn_string(file),
        )
        .expect("send to the client");
        let mut answer = String::new();
        self.answers
            .read_line(&mut answer)
            .expect("the client answers");
        answer
    }
}

impl Drop for NreplClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `curl POST /eval?ns=demo.app`: the status and the JSON answer.
fn curl_eval(http_port: u16, code: &str) -> (u16, Value) {
    let output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "30"])
        .args(["--write-out", "\n%{http_code}", "--data-binary", "@-"])
        .arg(format!("http://127.0.0.1:{http_port}/eval?ns=demo.app"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut curl| {
            curl.stdin
                .take()
                .expect("piped stdin")
                .write_all(code.as_bytes())?;
            curl.wait_with_output()
        })
        .expect("run curl");
    let text = String::from_utf8_lossy(&output.stdout);
    let (body, status) = text.rsplit_once('\n').expect("curl wrote the status");
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status.parse().expect("an HTTP status"), json)
}

fn heading(page: &Page) -> String {
    page.text("#app h1")
}

fn wait_heading(page: &Page, expected: &str) {
    let expected_json = serde_json::to_string(expected).unwrap();
    page.wait_for(
        &format!("document.querySelector('#app h1')?.textContent === {expected_json}"),
        WAIT,
    );
}

fn wait_status(page: &Page, status: &str) {
    page.wait_for(
        &format!("document.querySelector('#jank-badge')?.dataset.status === '{status}'"),
        WAIT,
    );
}

/// Types `code` into the page's REPL box, submits it and returns what the
/// box shows once the answer is in.
fn repl(page: &Page, code: &str) -> String {
    let code_json = serde_json::to_string(code).unwrap();
    page.eval(&format!(
        "(() => {{ const form = document.querySelector('#jank-repl');
                  form.querySelector('output').textContent = '';
                  form.querySelector('input').value = {code_json};
                  form.requestSubmit(); }})()"
    ));
    match page.wait_for(
        "document.querySelector('#jank-repl output').textContent",
        WAIT,
    ) {
        Value::String(text) => text,
        other => panic!("the REPL box shows {other}"),
    }
}

/// Every patch the page loaded, in order: each loaded, and no id twice.
fn loaded_patch_ids(page: &Page) -> Vec<u64> {
    let acks =
        page.eval("window.jankClient.acks.map((a) => ({id: a.id, ok: a.ok, error: a.error}))");
    let acks = acks.as_array().expect("an array of acks");
    for ack in acks {
        assert_eq!(ack["ok"], Value::Bool(true), "a patch failed: {ack}");
    }
    let ids: Vec<u64> = acks
        .iter()
        .map(|a| a["id"].as_u64().expect("an id"))
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "a patch id came twice: {ids:?}");
    ids
}

const PLUS: &str = "#app button#plus";

#[test]
fn editor_curl_and_page_edits_reach_two_pages_through_a_restart_keeping_state() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let dir = tempfile::tempdir().expect("a state directory");
    let ports @ [http, _, nrepl_port] = free_ports();
    let mut server = ServeProcess::start(dir.path(), ports);
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".nrepl-port")).expect(".nrepl-port written"),
        nrepl_port.to_string(),
    );
    let url = format!("http://127.0.0.1:{http}/");
    let page_a = browser.open(&url);
    let page_b = browser.open(&url);
    for page in [&page_a, &page_b] {
        wait_status(page, "connected");
        wait_heading(page, "Count: 0");
    }

    // Each page has its own runtime and its own count.
    for _ in 0..3 {
        page_a.click("#app .buttons button:nth-child(2)");
    }
    wait_heading(&page_a, "Count: 3");
    page_b.click("#app .buttons button:nth-child(2)");
    wait_heading(&page_b, "Count: 1");

    // The editor redefines the view: both pages change, both counts stay.
    let Some(mut editor) = NreplClient::connect(dir.path(), nrepl_port) else {
        return;
    };
    let answer = editor.eval(
        "demo.app",
        "(defn view [{:keys [count]}]\n  [:main [:h1 \"Clicks: \" count]\n   [:button#plus {:on-click :increment} \"+\"]])",
        "app.jank",
        9,
    );
    assert!(
        answer.contains(r##":value ["#'demo.app/view"]"##),
        "{answer}"
    );
    wait_heading(&page_a, "Clicks: 3");
    wait_heading(&page_b, "Clicks: 1");

    // curl redefines the handler: a click now adds 10.
    let (status, json) = curl_eval(
        http,
        "(defn handle [event]\n  (case event :increment (swap! state update :count + 10) nil))",
    );
    assert_eq!(status, 200, "{json}");
    assert_eq!(json["values"], serde_json::json!(["#'demo.app/handle"]));
    page_a.click(PLUS);
    wait_heading(&page_a, "Clicks: 13");

    // Bad code from the editor: the error names the place, the overlay shows
    // it, and the page keeps running the definitions it had.
    let answer = editor.eval(
        "demo.app",
        "(defn view [state]\n  (no-such-fn state))",
        "app.jank",
        20,
    );
    assert!(answer.contains("eval-error"), "{answer}");
    assert!(answer.contains("app.jank:21:4"), "{answer}");
    assert!(answer.contains("no-such-fn"), "{answer}");
    for page in [&page_a, &page_b] {
        let overlay = page.wait_for(
            "!document.querySelector('#jank-overlay').hidden && document.querySelector('#jank-overlay pre').textContent",
            WAIT,
        );
        assert!(
            overlay.as_str().is_some_and(|t| t.contains("no-such-fn")),
            "{overlay}"
        );
    }
    page_a.click(PLUS);
    wait_heading(&page_a, "Clicks: 23");
    let (status, json) = curl_eval(http, "(let [x] x)");
    assert_eq!(status, 400, "{json}");
    let diagnostic = &json["diagnostics"][0];
    assert_eq!(
        (&diagnostic["line"], &diagnostic["column"]),
        (&Value::from(1), &Value::from(6)),
        "{json}"
    );
    assert!(
        diagnostic["message"]
            .as_str()
            .is_some_and(|m| m.contains("even number of forms")),
        "{json}"
    );
    assert_eq!(heading(&page_b), "Clicks: 1");

    // The page's own REPL box: each page gets its own values back, and
    // what it runs for effect stays in that page.
    assert_eq!(repl(&page_a, "(:count @state)"), "=> 23");
    assert_eq!(repl(&page_b, "(:count @state)"), "=> 1");
    assert_eq!(
        repl(&page_b, "(swap! state update :count inc)"),
        "=> {:count 2}"
    );
    wait_heading(&page_b, "Clicks: 2");
    assert_eq!(heading(&page_a), "Clicks: 23");
    let failed = repl(&page_a, "(+ 1 undefined-thing)");
    assert!(failed.contains("undefined-thing"), "{failed}");
    drop(editor);

    // The server dies and comes back on the same ports: the pages reconnect,
    // receive the current definitions (the demo's own view again) with new
    // patch ids, and keep their counts.
    let ids_before = loaded_patch_ids(&page_a);
    let printed_before = server.printed();
    server.kill();
    for page in [&page_a, &page_b] {
        wait_status(page, "disconnected");
    }
    let server = ServeProcess::start(dir.path(), ports);
    for page in [&page_a, &page_b] {
        wait_status(page, "connected");
    }
    wait_heading(&page_a, "Count: 23");
    wait_heading(&page_b, "Count: 2");
    let ids_after = loaded_patch_ids(&page_a);
    let newest_before = ids_before.iter().max().copied().unwrap_or(0);
    assert!(
        ids_after[ids_before.len()..]
            .iter()
            .all(|id| *id > newest_before),
        "ids after the restart {ids_after:?} reuse ids before it {ids_before:?}"
    );

    // And the restarted server patches them like the first one did.
    let (status, json) = curl_eval(
        http,
        "(defn view [{:keys [count]}] [:main [:h1 \"After restart: \" count]])",
    );
    assert_eq!(
        status,
        200,
        "{json}\nfirst server:\n{printed_before}\nsecond:\n{}",
        server.printed()
    );
    wait_heading(&page_a, "After restart: 23");
    wait_heading(&page_b, "After restart: 2");
    loaded_patch_ids(&page_b);
}
