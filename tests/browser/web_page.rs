//! The demo page in headless Chromium: src/serve/web served by a tiny static
//! server, the stub runtime and patches from the jankwasm binary pushed by a
//! stand-in WebSocket server that speaks the page protocol (handshake,
//! patch, patch_ack, error). Checks the badge, rendering, real clicks, a view
//! edit keeping the count, the error overlay, and a reconnect with resync;
//! and the Emscripten back-end against a real MAIN_MODULE built with emcc.

use crate::browser;

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use base64::Engine as _;
use browser::{Browser, Page};
use jank_wasmtime_harness::STUB_WASM;
use pretty_assertions::assert_eq;
use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

const DEMO_APP: &str = include_str!("../../src/serve/web/demo/app.jank");
const WAIT: Duration = Duration::from_secs(20);

fn web_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/serve/web")
}

/// Serves the page as `jankwasm serve` lays it out, on a free loopback port:
/// index.html at /, src/serve/web under /_jankwasm/, with the stub and
/// config.json (naming the WebSocket server at `ws_port`) beside them; and
/// the files of `project`, if any, under /app/.
fn static_server(ws_port: u16, project: Option<PathBuf>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the static server");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let project = project.clone();
            std::thread::spawn(move || serve_file(stream, ws_port, project));
        }
    });
    port
}

fn serve_file(mut stream: TcpStream, ws_port: u16, project: Option<PathBuf>) {
    let mut request_line = String::new();
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = request_line.split(' ').nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let path = if path == "/" {
        "/_jankwasm/index.html"
    } else {
        path
    };
    let body = match path.strip_prefix("/_jankwasm/") {
        Some("jank_stub.wasm") => Some(STUB_WASM.to_vec()),
        Some("config.json") => Some(
            json!({"ws_url": format!("ws://127.0.0.1:{ws_port}/repl"), "ws_port": ws_port,
                   "stub_url": "/_jankwasm/jank_stub.wasm", "protocol": 1})
            .to_string()
            .into_bytes(),
        ),
        Some(file) if !file.contains("..") => std::fs::read(web_root().join(file)).ok(),
        Some(_) => None,
        None => match (path.strip_prefix("/app/"), &project) {
            (Some(file), Some(dir)) if !file.contains("..") => std::fs::read(dir.join(file)).ok(),
            _ => None,
        },
    };
    let content_type = match Path::new(path).extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    };
    let response = match body {
        Some(body) => {
            let mut head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            head.extend(body);
            head
        }
        None => {
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
        }
    };
    drop(stream.write_all(&response));
}

/// What the stand-in server saw from the page.
#[derive(Debug)]
enum Seen {
    Handshake(Value),
    Ack(Value),
}

/// What the test tells the stand-in server to do on the current connection.
enum Order {
    Send(Value),
    Close,
}

/// A WebSocket server speaking the page protocol, one connection at a time.
struct FakeServer {
    port: u16,
    seen: Receiver<Seen>,
    orders: Sender<Order>,
}

impl FakeServer {
    fn start() -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the WebSocket server");
        let port = listener.local_addr().expect("its address").port();
        let (seen_tx, seen) = channel();
        let (orders, orders_rx) = channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let Ok(socket) = tungstenite::accept(stream) else {
                    continue;
                };
                if !converse(socket, &seen_tx, &orders_rx) {
                    return;
                }
            }
        });
        FakeServer { port, seen, orders }
    }

    fn send(&self, message: Value) {
        self.orders
            .send(Order::Send(message))
            .expect("server thread");
    }

    fn close_connection(&self) {
        self.orders.send(Order::Close).expect("server thread");
    }

    fn next(&self) -> Seen {
        match self.seen.recv_timeout(WAIT) {
            Ok(seen) => seen,
            Err(RecvTimeoutError::Timeout) => panic!("the page sent nothing for {WAIT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server thread ended"),
        }
    }

    fn handshake(&self) -> Value {
        match self.next() {
            Seen::Handshake(message) => message,
            other => panic!("expected a handshake, got {other:?}"),
        }
    }

    fn ack(&self) -> Value {
        match self.next() {
            Seen::Ack(message) => message,
            other => panic!("expected a patch_ack, got {other:?}"),
        }
    }
}

/// Serves one connection until the test closes it (true) or the test is
/// gone (false).
fn converse(
    mut socket: WebSocket<TcpStream>,
    seen: &Sender<Seen>,
    orders: &Receiver<Order>,
) -> bool {
    socket
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(10)))
        .expect("a read timeout");
    loop {
        loop {
            match orders.try_recv() {
                Ok(Order::Send(message)) => {
                    if socket.send(Message::text(message.to_string())).is_err() {
                        return true;
                    }
                }
                Ok(Order::Close) => {
                    drop(socket.close(None));
                    drop(socket.flush());
                    return true;
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return false,
            }
        }
        match socket.read() {
            Ok(Message::Text(text)) => {
                let message: Value = serde_json::from_str(&text).expect("the page sends JSON");
                match message["type"].as_str() {
                    Some("handshake") => {
                        let ack =
                            json!({"type": "handshake_ack", "server": "fake", "version": "1.0.0"});
                        if socket.send(Message::text(ack.to_string())).is_err() {
                            return true;
                        }
                        drop(seen.send(Seen::Handshake(message)));
                    }
                    Some("patch_ack") => drop(seen.send(Seen::Ack(message))),
                    other => panic!("unexpected message type {other:?}"),
                }
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
}

/// A `patch` message for `source` compiled by `jankwasm emit --patch-id id`.
fn patch(source: &str, id: u64) -> Value {
    patch_for_abi(source, id, "extended")
}

/// As `patch`, for the helper set `abi` (`extended` or `seed`).
fn patch_for_abi(source: &str, id: u64, abi: &str) -> Value {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("app.jank");
    let output = dir.path().join("patch.wasm");
    std::fs::write(&input, source).expect("write the source");
    let run = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .args([
            "emit",
            "--frames",
            "--abi",
            abi,
            "--patch-id",
            &id.to_string(),
            "-o",
        ])
        .arg(&output)
        .arg(&input)
        .output()
        .expect("run jankwasm emit");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    patch_message(&std::fs::read(&output).expect("read the patch"), id)
}

fn patch_message(bytes: &[u8], id: u64) -> Value {
    json!({
        "type": "patch",
        "id": id,
        "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        "symbolName": format!("jank_patch_symbols_{id}"),
        "symbols": [],
        "timestamp": 0,
    })
}

/// The patches `jankwasm emit` makes of `source` and the namespaces it
/// requires (written beside its output, named by id), ids from `first_id`,
/// dependencies first.
fn program(source: &str, first_id: u64) -> Vec<Value> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let input = dir.path().join("app.jank");
    let output = dir.path().join("app.wasm");
    std::fs::write(&input, source).expect("write the source");
    let run = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .args(["emit", "--patch-id", &first_id.to_string(), "-o"])
        .arg(&output)
        .arg(&input)
        .current_dir(dir.path())
        .output()
        .expect("run jankwasm emit");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut patches = Vec::new();
    let mut id = first_id;
    loop {
        let dependency = dir.path().join(format!("jank_patch_symbols_{id}.wasm"));
        let Ok(bytes) = std::fs::read(&dependency) else {
            break;
        };
        patches.push(patch_message(&bytes, id));
        id += 1;
    }
    patches.push(patch_message(
        &std::fs::read(&output).expect("read the patch"),
        id,
    ));
    patches
}

/// The demo page, opened against a fake dev server that has sent it `app`
/// as patch 1 and seen it load.
fn page_running(browser: &Browser, app: &str) -> (FakeServer, Page) {
    let server = FakeServer::start();
    let http = static_server(server.port, None);
    let page = browser.open(&format!("http://127.0.0.1:{http}/"));
    server.handshake();
    server.send(patch(app, 1));
    assert_eq!(server.ack()["ok"], true);
    (server, page)
}

const H1: &str = "#app h1";
const PLUS: &str = "#app .buttons button:nth-child(2)";
const BADGE_CONNECTED: &str =
    "document.getElementById('jank-badge')?.dataset.status === 'connected'";
const OVERLAY_TEXT: &str = "(() => { const o = document.getElementById('jank-overlay'); return o && !o.hidden && o.textContent; })()";
const OVERLAY_HIDDEN: &str = "document.getElementById('jank-overlay')?.hidden === true";

fn heading_is(text: &str) -> String {
    format!(
        "document.querySelector('{H1}')?.textContent === {}",
        serde_json::to_string(text).expect("JSON")
    )
}

#[test]
fn the_demo_page_renders_clicks_hot_reloads_shows_errors_and_resyncs_after_a_reconnect() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let server = FakeServer::start();
    let http = static_server(server.port, None);
    let page = browser.open(&format!("http://127.0.0.1:{http}/"));

    assert_eq!(
        server.handshake(),
        json!({"type": "handshake", "client": "jank-wasm-browser", "version": "1.0.0",
               "last_patch_id": null})
    );
    page.wait_for(BADGE_CONNECTED, WAIT);
    assert!(page.text("#app").contains("Waiting for the app"));

    server.send(patch(DEMO_APP, 1));
    let ack = server.ack();
    assert_eq!(ack["id"], 1);
    assert_eq!(ack["ok"], true, "{ack}");
    assert_eq!(ack["error"], Value::Null);
    assert_eq!((&ack["output"], &ack["stderr"]), (&json!(""), &json!("")));
    assert!(ack["load_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{ack}");
    assert_eq!(
        ack["results"],
        json!([
            {"name": "demo.app/state", "value": "#'demo.app/state"},
            {"name": "demo.app/view", "value": "#'demo.app/view"},
            {"name": "demo.app/handle", "value": "#'demo.app/handle"}
        ])
    );
    page.wait_for(&heading_is("Count: 0"), WAIT);

    for _ in 0..3 {
        page.click(PLUS);
    }
    page.wait_for(&heading_is("Count: 3"), WAIT);
    assert_eq!(page.text("#app p"), "odd");

    // Editing the view changes the page; the count stays.
    server.send(patch(&DEMO_APP.replace("\"Count: \"", "\"Clicks: \""), 2));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(&heading_is("Clicks: 3"), WAIT);

    // A compile error from the server shows in the overlay; the page keeps
    // running the old definitions.
    server.send(json!({"type": "error", "kind": "compile",
                       "error": "demo/app.jank:10:4: error: unable to resolve symbol: cuont"}));
    let overlay = page.wait_for(OVERLAY_TEXT, WAIT);
    let overlay = overlay.as_str().unwrap();
    assert!(overlay.contains("Compile error"), "{overlay}");
    assert!(
        overlay.contains("unable to resolve symbol: cuont"),
        "{overlay}"
    );
    page.click(PLUS);
    page.wait_for(&heading_is("Clicks: 4"), WAIT);

    // A view that throws: the load succeeds, the render error is shown.
    server.send(patch(
        "(ns demo.app) (defn view [s] (throw (ex-info \"view broke\" {:count (:count s)})))",
        3,
    ));
    assert_eq!(server.ack()["ok"], true);
    let overlay = page.wait_for(
        "(() => { const t = document.getElementById('jank-overlay').textContent; return t.includes('view broke') && t; })()",
        WAIT,
    );
    assert!(
        overlay.as_str().unwrap().contains("{:count 4}"),
        "{overlay}"
    );

    // The next good load clears the overlay.
    server.send(patch(DEMO_APP, 4));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(OVERLAY_HIDDEN, WAIT);
    page.wait_for(&heading_is("Count: 4"), WAIT);

    // The server drops the connection: the badge turns, the page reconnects,
    // handshakes again, and takes the resent definitions with its state kept.
    server.close_connection();
    page.wait_for(
        "document.getElementById('jank-badge').dataset.status === 'disconnected'",
        WAIT,
    );
    assert_eq!(server.handshake()["last_patch_id"], 4);
    page.wait_for(BADGE_CONNECTED, WAIT);
    server.send(patch(&DEMO_APP.replace("\"Count: \"", "\"Again: \""), 5));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(&heading_is("Again: 4"), WAIT);
}

/// emcc, or None (after saying why) when it is missing outside CI.
fn emcc() -> Option<&'static str> {
    if Command::new("emcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some("emcc");
    }
    if std::env::var_os("CI").is_some() {
        panic!("emcc is not installed (.ci/run installs it)");
    }
    eprintln!("skipping: emcc not installed (.ci/run installs it)");
    None
}

/// A page that is an Emscripten MAIN_MODULE (tests/web/emscripten_main.c)
/// plus the client, in `dir`, served as /app/index.html.
fn build_main_module_page(emcc: &str, dir: &Path) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web/emscripten_main.c");
    let run = Command::new(emcc)
        .arg(&source)
        .args([
            "-O0",
            "-sMAIN_MODULE=2",
            "-sWASM_BIGINT",
            "-sFORCE_FILESYSTEM",
            "-sEXPORTED_RUNTIME_METHODS=ccall,FS",
            "-o",
        ])
        .arg(dir.join("main.js"))
        .output()
        .expect("run emcc");
    assert!(
        run.status.success(),
        "emcc failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::write(
        dir.join("index.html"),
        r#"<!doctype html><html><head><meta charset="utf-8"></head><body>
<script src="/app/main.js"></script>
<script type="module" src="/_jankwasm/start.js"></script>
</body></html>"#,
    )
    .expect("write the page");
}

#[test]
fn the_client_loads_patches_into_an_emscripten_main_module_through_its_file_system() {
    let Some(emcc) = emcc() else { return };
    let Some(browser) = Browser::launch() else {
        return;
    };
    let project = tempfile::tempdir().expect("a temporary directory");
    build_main_module_page(emcc, project.path());
    let server = FakeServer::start();
    let http = static_server(server.port, Some(project.path().to_path_buf()));
    let page = browser.open(&format!("http://127.0.0.1:{http}/app/index.html"));
    server.handshake();
    page.wait_for(BADGE_CONNECTED, WAIT);

    server.send(patch_for_abi(
        "(ns app) (defn f [x] x) (defn g [] 42)",
        5,
        "seed",
    ));
    let ack = server.ack();
    assert_eq!(
        ack,
        json!({"type": "patch_ack", "id": 5, "ok": true, "error": null, "load_ms": ack["load_ms"],
               "results": [], "output": "", "stderr": ""})
    );
    assert_eq!(
        page.eval("Module.ccall('loaded_log', 'string', [], [])"),
        "app/f:1;app/g=42;"
    );
    assert_eq!(
        page.eval("Module.FS.readdir('/tmp').filter((f) => f.startsWith('jank_patch_'))"),
        json!(["jank_patch_5.wasm"])
    );

    // A wrong export name: the runtime's -1 comes back as the error.
    let mut wrong = patch_for_abi("(ns app) (defn h [] 7)", 6, "seed");
    wrong["symbolName"] = json!("jank_patch_symbols_60");
    server.send(wrong);
    let ack = server.ack();
    assert_eq!(ack["ok"], false);
    assert_eq!(
        ack["error"],
        "jank_hot_reload_load_patch(/tmp/jank_patch_6.wasm, jank_patch_symbols_60) returned -1"
    );
    let overlay = page.wait_for(OVERLAY_TEXT, WAIT);
    assert!(
        overlay.as_str().unwrap().contains("returned -1"),
        "{overlay}"
    );

    server.send(patch_for_abi("(ns app) (defn h [] 7)", 7, "seed"));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(OVERLAY_HIDDEN, WAIT);
    assert_eq!(
        page.eval("Module.ccall('loaded_log', 'string', [], [])"),
        "app/f:1;app/g=42;app/h=7;"
    );
}

/// A form app for the renderer: an input whose text lives in the state, a
/// keyed list that can be reversed, and a count of the view's runs.
const FORM_APP: &str = r#"(ns demo.app)
(defonce state (atom {:text "" :items ["a" "b" "c"]}))
(defonce renders (atom 0))
(defn view [{:keys [text items]}]
  (swap! renders inc)
  [:div
   [:input#new {:value text :on-input [:typed]}]
   [:p#length "length " (count text)]
   [:ul (for [item items] [:li {:key item} item])]
   [:button#reverse {:on-click :reverse} "reverse"]
   [:button#nothing {:on-click :nothing} "nothing"]
   [:button#bump {:on-click :bump} "bump"]])
(defn handle [event]
  (case (if (vector? event) (first event) event)
    :typed (swap! state assoc :text (:value (second event)))
    :reverse (swap! state update :items (comp vec reverse))
    :bump (swap! state update :bumps (fnil inc 0))
    nil))"#;

/// Evaluates `expression` after two animation frames, so a render the
/// events before it asked for has happened.
fn after_frames(expression: &str) -> String {
    format!(
        "new Promise((done, fail) => requestAnimationFrame(() => requestAnimationFrame(() => {{ try {{ done({expression}); }} catch (e) {{ fail(e); }} }})))"
    )
}

/// How many times the form app's view has run, read after two frames.
const RENDERS: &str = "(() => { const rt = jankClient.backend.runtime; \
    const count = rt.prStr(rt.invoke(rt.intern('clojure.core', 'deref'), [rt.deref(rt.intern('demo.app', 'renders'))])); \
    rt.safePoint(); return Number(count); })()";

#[test]
fn renders_patch_the_dom_in_place_so_focus_caret_and_typed_text_survive_events_and_reloads() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let (server, page) = page_running(&browser, FORM_APP);
    page.wait_for("document.querySelector('#new') !== null", WAIT);
    let renders = || page.eval(&after_frames(RENDERS));
    // Marks on DOM nodes: a node that is rebuilt loses its mark.
    page.eval("(() => { for (const li of document.querySelectorAll('li')) li.mark = li.textContent; document.querySelector('#new').mark = 'input'; return true; })()");

    page.click("#new");
    page.type_text("hello");
    page.wait_for(
        "document.querySelector('#length').textContent === 'length 5'",
        WAIT,
    );
    let focused = "(() => { const i = document.activeElement; return [i.id, i.mark, i.value, i.selectionStart]; })()";
    assert_eq!(page.eval(focused), json!(["new", "input", "hello", 5]));

    // A reload of the view keeps the input, its focus, caret and text.
    let runs_before_reload = renders();
    server.send(patch(&FORM_APP.replace("\"length \"", "\"chars: \""), 2));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(
        "document.querySelector('#length').textContent === 'chars: 5'",
        WAIT,
    );
    assert_eq!(page.eval(focused), json!(["new", "input", "hello", 5]));
    assert_eq!(renders(), json!(runs_before_reload.as_i64().unwrap() + 1));

    // Keyed items move instead of being rebuilt.
    page.click("#reverse");
    page.wait_for("document.querySelector('li').textContent === 'c'", WAIT);
    assert_eq!(
        page.eval("[...document.querySelectorAll('li')].map((li) => li.mark)"),
        json!(["c", "b", "a"])
    );

    // An event that changes nothing renders nothing; ten that change the
    // state in one task render once, at the next frame.
    let runs = renders().as_i64().unwrap();
    page.eval("document.querySelector('#nothing').click()");
    assert_eq!(renders(), json!(runs));
    page.eval("(() => { for (let i = 0; i < 10; i++) document.querySelector('#bump').click(); return true; })()");
    assert_eq!(renders(), json!(runs + 1));
    assert_eq!(
        page.eval("jankClient.backend.app.statePrinted()"),
        r#"{:text "hello", :items ["c" "b" "a"], :bumps 10}"#
    );

    // A view returning something that cannot be rendered: the HUD says
    // what, and the last good DOM stays, focus included.
    page.click("#new");
    server.send(patch(
        &FORM_APP.replace(
            "[:p#length \"length \" (count text)]",
            "[:p#length renders]",
        ),
        3,
    ));
    assert_eq!(server.ack()["ok"], true);
    let overlay = page.wait_for(OVERLAY_TEXT, WAIT);
    assert!(
        overlay
            .as_str()
            .unwrap()
            .contains("cannot render clojure.lang.Atom@"),
        "{overlay}"
    );
    assert_eq!(page.text("#length"), "chars: 5");
    assert_eq!(page.eval(focused), json!(["new", "input", "hello", 5]));
    server.send(patch(FORM_APP, 4));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(OVERLAY_HIDDEN, WAIT);
}

/// An app under other names than demo.app's, with reload hooks that log.
const HOOKED_APP: &str = r#"(ns shop.core)
(defonce db (atom {:n 1}))
(defonce hook-log (atom []))
(defn render [{:keys [n]}] [:h1 {:on-click :inc} "n = " n])
(defn on-event [e] (swap! db update :n inc))
(defn stop [] (swap! hook-log conj :before))
(defn start [] (swap! hook-log conj :after))"#;

#[test]
fn a_configured_app_runs_its_reload_hooks_and_a_saved_stylesheet_restyles_without_a_reload() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let project = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        project.path().join("index.html"),
        r#"<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/app/style.css"></head><body>
<div id="app" data-jank-app="shop.core" data-jank-state="db" data-jank-view="render" data-jank-handle="on-event"></div>
<script type="module" src="/_jankwasm/start.js"></script>
</body></html>"#,
    )
    .expect("write the page");
    let style = project.path().join("style.css");
    std::fs::write(&style, "h1 { color: rgb(200, 0, 0) }").expect("write the stylesheet");
    let server = FakeServer::start();
    let http = static_server(server.port, Some(project.path().to_path_buf()));
    let page = browser.open(&format!("http://127.0.0.1:{http}/app/index.html"));
    server.handshake();
    page.wait_for(BADGE_CONNECTED, WAIT);

    // The server marks hooks in the patch's symbols (from ^:dev/... metadata).
    let mut first = patch(HOOKED_APP, 1);
    first["symbols"] = json!([
        {"name": "shop.core/stop", "signature": "0", "hooks": ["before-load"]},
        {"name": "shop.core/start", "signature": "0", "hooks": ["after-load"]},
    ]);
    server.send(first);
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(
        "document.querySelector('h1')?.textContent === 'n = 1'",
        WAIT,
    );
    page.click("h1");
    let hook_log = "(() => { const rt = jankClient.backend.runtime; \
        const log = rt.prStr(rt.invoke(rt.intern('clojure.core', 'deref'), [rt.deref(rt.intern('shop.core', 'hook-log'))])); \
        rt.safePoint(); return log; })()";
    // Hooks run around the patches after the one defining them.
    assert_eq!(page.eval(hook_log), "[]");

    server.send(patch(&HOOKED_APP.replace("\"n = \"", "\"count \""), 2));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(
        "document.querySelector('h1')?.textContent === 'count 2'",
        WAIT,
    );
    assert_eq!(page.eval(hook_log), "[:before :after]");

    // A hook that throws is shown; the patch still loads.
    let mut throwing = patch(
        "(ns shop.core) (defn start [] (throw (ex-info \"start failed\" {})))",
        3,
    );
    throwing["symbols"] = json!([
        {"name": "shop.core/start", "signature": "0", "hooks": ["after-load"]},
    ]);
    server.send(throwing);
    assert_eq!(server.ack()["ok"], true);
    server.send(patch("(ns shop.core) (def unrelated 1)", 4));
    assert_eq!(server.ack()["ok"], true);
    let overlay = page.wait_for(OVERLAY_TEXT, WAIT);
    let overlay = overlay.as_str().unwrap();
    assert!(overlay.contains("Reload hook error"), "{overlay}");
    assert!(
        overlay.contains("shop.core/start (after-load)") && overlay.contains("start failed"),
        "{overlay}"
    );
    assert_eq!(page.eval(hook_log), "[:before :after :before :before]");
    // The next patch whose hooks succeed clears the HUD.
    server.send(patch(HOOKED_APP, 5));
    assert_eq!(server.ack()["ok"], true);
    server.send(patch("(ns shop.core) (def unrelated 2)", 6));
    assert_eq!(server.ack()["ok"], true);
    page.wait_for(OVERLAY_HIDDEN, WAIT);

    // A saved stylesheet: swapped in place, the page and its state stay.
    let color = "getComputedStyle(document.querySelector('h1')).color";
    assert_eq!(page.eval(color), "rgb(200, 0, 0)");
    page.eval("window.notReloaded = true");
    std::fs::write(&style, "h1 { color: rgb(0, 0, 200) }").expect("save the stylesheet");
    server.send(json!({"type": "stylesheet", "path": "/app/style.css"}));
    page.wait_for(&format!("{color} === 'rgb(0, 0, 200)'"), WAIT);
    assert_eq!(page.eval("window.notReloaded === true"), true);
    assert_eq!(
        page.eval("document.querySelectorAll('link[rel=stylesheet]').length"),
        1
    );
    assert_eq!(page.text("h1"), "n = 2");
}

/// An app using jank.browser's effects from its `init`; an event schedules
/// a timer whose callback throws.
const EFFECTS_APP: &str = r#"(ns demo.app (:require [jank.browser :as b]))
(defonce state (atom {:ticks 0 :fetched nil :failed nil :frame nil}))
(defn view [{:keys [ticks fetched failed frame]}]
  [:div [:p#ticks "ticks " ticks] [:p#fetched (str "fetched " fetched)]
   [:p#failed (str "failed " failed)] [:p#frame (str "frame " frame)]])
(defn handle [_] (b/set-timeout #(throw (ex-info "tick failed" {})) 0))
(defn init []
  (b/set-title! "effects in jank")
  (b/local-storage-set! "greeting" "hello")
  (b/log "init ran")
  (b/set-timeout #(swap! state update :ticks inc) 5)
  (let [never (b/set-timeout #(swap! state update :ticks + 100) 10)]
    (b/clear-timeout never))
  (b/request-animation-frame (fn [t] (swap! state assoc :frame (number? t))))
  (b/fetch "/no-such-file.txt" (fn [r] (swap! state assoc :fetched (:status r))))
  (b/fetch "http://127.0.0.1:9/unreachable" (fn [r] (swap! state assoc :failed (:ok r)))))"#;

#[test]
fn jank_browser_effects_run_in_the_page_and_failures_are_shown_while_the_render_stays() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let server = FakeServer::start();
    let http = static_server(server.port, None);
    let page = browser.open(&format!("http://127.0.0.1:{http}/"));
    server.handshake();
    for message in program(EFFECTS_APP, 1) {
        server.send(message);
        assert_eq!(server.ack()["ok"], true);
    }
    // A response of any status is an answer; no response is a failure,
    // given to the callback and shown in the HUD.
    page.wait_for(
        "document.querySelector('#fetched')?.textContent === 'fetched 404'",
        WAIT,
    );
    page.wait_for(
        "document.querySelector('#failed')?.textContent === 'failed false'",
        WAIT,
    );
    let overlay = page.wait_for(OVERLAY_TEXT, WAIT);
    let overlay = overlay.as_str().unwrap();
    assert!(
        overlay.contains("Fetch failed") && overlay.contains("http://127.0.0.1:9/unreachable: "),
        "{overlay}"
    );
    page.wait_for(
        "document.querySelector('#ticks')?.textContent === 'ticks 1'",
        WAIT,
    );
    assert_eq!(page.text("#frame"), "frame true");
    assert_eq!(page.eval("document.title"), "effects in jank");
    assert_eq!(page.eval("localStorage.getItem('greeting')"), "hello");

    // A callback that throws is shown; the last render stays.
    page.eval("jankClient.backend.app.dispatch(null)");
    page.wait_for(
        "document.getElementById('jank-overlay').textContent.includes('tick failed')",
        WAIT,
    );
    assert!(page.text("#jank-overlay").contains("Effect callback error"));
    // The cleared timer never fired.
    assert_eq!(
        page.eval(&after_frames(
            "document.querySelector('#ticks').textContent"
        )),
        "ticks 1"
    );
    // Every fired, cleared or answered callback was let go.
    assert_eq!(
        page.eval(
            "jankClient.backend.effects.timers.size + jankClient.backend.effects.frames.size"
        ),
        0
    );
}

/// A list app for the encoded renderer: items keyed by a `:key` attribute
/// or, for even ids, by `^{:key id}` metadata; a fragment, a seq and a
/// checkbox the app controls inside a wrapper.
const LIST_APP: &str = r#"(ns demo.app)
(defonce state (atom ["title" []]))
(defn item [[id text flag]]
  (if (even? id)
    ^{:key id} [:li.even [:span text] (when flag [:b "!"])]
    [:li {:key id :class (when flag "on")} text [:i id]]))
(defn view [[title items]]
  [:div [:h2 title]
   [:ul (map item items)]
   [:<> [:p "n " (count items)] (for [x (take 2 items)] [:em (str x)])]
   [:p.opts [:input#box {:type "checkbox" :checked (odd? (count items))}]]])
(defn handle [v] (reset! state v))"#;

/// Random edits of the list, each rendered; after each, the page's DOM is
/// compared with a fresh render of the same view into an empty element.
/// Answers the first difference, or null.
const RANDOM_EDITS: &str = r#"(async () => {
  const { renderInto } = await import('/_jankwasm/hiccup.js');
  const { decodeValue } = await import('/_jankwasm/decode.js');
  const renderer = jankClient.renderer;
  const app = renderer.app;
  let seed = 7;
  const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  let items = [];
  let next = 0;
  let title = 't';
  for (let step = 0; step < 300; step++) {
    const op = random(7);
    if (op <= 1 || items.length === 0) items.splice(random(items.length + 1), 0, [next++, `x${next}`, false]);
    else if (op === 2) items.splice(random(items.length), 1);
    else if (op === 3) { const [moved] = items.splice(random(items.length), 1); items.splice(random(items.length + 1), 0, moved); }
    else if (op === 4) { const i = random(items.length); items[i] = [items[i][0], `${items[i][1]}y`, items[i][2]]; }
    else if (op === 5) { const i = random(items.length); items[i] = [items[i][0], items[i][1], !items[i][2]]; }
    else title = `t${step}`;
    app.dispatch([title, items.map((item) => [...item])]);
    const error = renderer.render({ force: false });
    if (error) throw new Error(error);
    const fresh = document.createElement('div');
    renderInto(fresh, decodeValue(app.view({ force: true })), () => {});
    const got = renderer.element.innerHTML;
    const checked = renderer.element.querySelector('#box').checked;
    if (got !== fresh.innerHTML || checked !== (items.length % 2 === 1)) {
      return { step, got, checked, want: fresh.innerHTML };
    }
  }
  window.listItems = items;
  return null;
})()"#;

#[test]
fn encoded_renders_skip_unchanged_elements_and_match_a_fresh_render_with_metadata_keys() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let (_server, page) = page_running(&browser, LIST_APP);
    page.wait_for(
        "document.querySelector('#app h2')?.textContent === 'title'",
        WAIT,
    );
    assert_eq!(page.eval(RANDOM_EDITS), Value::Null);

    // A change of one item's text writes that one text node in place and
    // nothing else: no element made, moved or re-attributed.
    let mutations = page.eval(
        "(() => {
           const items = window.listItems.map((item) => [...item]);
           const at = items.findIndex(([id], i) => id % 2 === 1 && i >= 2);
           if (at < 0) throw new Error('no odd item past the first two');
           items[at][1] = 'changed';
           const observer = new MutationObserver(() => {});
           observer.observe(jankClient.renderer.element,
             { subtree: true, childList: true, attributes: true, characterData: true });
           jankClient.renderer.app.dispatch([document.querySelector('#app h2').textContent, items]);
           const error = jankClient.renderer.render({ force: false });
           if (error) throw new Error(error);
           const records = observer.takeRecords();
           observer.disconnect();
           window.listItems = items;
           return records.map((r) => [r.type, r.target.nodeType, r.target.data]);
         })()",
    );
    assert_eq!(mutations, json!([["characterData", 3, "changed"]]));

    // Items keyed by metadata move with their elements: marks set on the
    // elements follow the items through a reversal.
    let reversed = page.eval(
        "(() => {
           const items = window.listItems;
           for (const li of document.querySelectorAll('li')) li.mark = li.firstChild.textContent;
           jankClient.renderer.app.dispatch(['reversed', [...items].reverse()]);
           const error = jankClient.renderer.render({ force: false });
           if (error) throw new Error(error);
           const lis = [...document.querySelectorAll('li')];
           return [lis.length === items.length && lis.length > 5,
                   lis.filter((li) => li.classList.contains('even')).length > 2,
                   lis.every((li) => li.mark === li.firstChild.textContent)];
         })()",
    );
    assert_eq!(reversed, json!([true, true, true]));

    // A checkbox the app checks (an odd count) and the user unchecks is
    // checked again by the next render, though nothing around it changed.
    page.eval(
        "(() => { const items = window.listItems; \
           window.oddItems = items.length % 2 === 1 ? items : items.slice(1); \
           jankClient.renderer.app.dispatch(['odd', window.oddItems]); \
           return jankClient.renderer.render({ force: false }); })()",
    );
    assert_eq!(page.eval("document.querySelector('#box').checked"), true);
    page.click("#box");
    assert_eq!(page.eval("document.querySelector('#box').checked"), false);
    page.eval(
        "(() => { jankClient.renderer.app.dispatch(['again', window.oddItems]); \
           return jankClient.renderer.render({ force: false }); })()",
    );
    assert_eq!(page.text("#app h2"), "again");
    assert_eq!(page.eval("document.querySelector('#box').checked"), true);
}

/// A table large enough that its view's garbage is worth a collection.
const TABLE_APP: &str = r#"(ns demo.app)
(defonce state (atom (vec (range 5000))))
(defn row [i value] [:tr {:key i} [:td i] [:td.value value]])
(defn view [cells] [:table [:tbody (map-indexed row cells)]])
(defn handle [i] (swap! state update i + 1000))"#;

/// Renders three times; after each render and after the next task, the
/// collector's count of collections and of objects (jank_host_gc_stats).
const RENDER_THEN_A_TASK: &str = r#"(async () => {
  const renderer = jankClient.renderer;
  const rt = renderer.app.runtime;
  const stats = () => {
    const at = rt.exports.jank_host_gc_stats() >>> 0;
    const view = new DataView(rt.memory.buffer);
    return [view.getUint32(at, true), view.getUint32(at + 4, true)];
  };
  const seen = [];
  for (let i = 0; i < 3; i++) {
    const error = renderer.render({ force: true });
    if (error) throw new Error(error);
    const rendered = stats();
    await new Promise((done) => setTimeout(done, 0));
    seen.push([rendered, stats()]);
  }
  return seen;
})()"#;

#[test]
fn a_render_leaves_its_garbage_to_a_collection_in_a_task_after_it() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let (_server, page) = page_running(&browser, TABLE_APP);
    page.wait_for("document.querySelectorAll('#app tr').length === 5000", WAIT);
    let seen = page.eval(RENDER_THEN_A_TASK);
    let seen = seen.as_array().expect("three renders");
    assert_eq!(seen.len(), 3);
    for pair in seen {
        let count = |at: usize, field: usize| pair[at][field].as_u64().expect("a count");
        // The render itself collected nothing: its view's objects are all
        // still there. The task after it collected them.
        assert_eq!(count(1, 0), count(0, 0) + 1, "one collection after {pair}");
        assert!(
            count(1, 1) * 2 < count(0, 1),
            "most objects freed after {pair}"
        );
    }
}

#[test]
/// One wasm frame a level (a recursion's direct call is inlined): V8's
/// default stack holds 10,000 of them, and the loader's limit of 10,500
/// nested calls makes a deeper one a StackOverflowError the program can
/// catch. A recursion with larger levels (more locals live across the
/// call) exhausts the engine's stack first: a trap naming the fn, and the
/// page goes on.
fn a_plain_recursion_ten_thousand_deep_runs_in_the_page_and_deeper_is_catchable() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let source = "(ns deep.app)\n\
                  (defn deep [n] (if (zero? n) 0 (inc (deep (dec n)))))\n\
                  (defn wide [n] (let [a (str n) b (str a) c [a b]] (if (zero? n) 0 (+ (count a) (wide (dec n)) (count b) (count c)))))\n\
                  (deep 10000)\n\
                  (try (deep 100000) (catch StackOverflowError e (ex-message e)))";
    let (server, page) = page_running(&browser, "(ns deep.app)");
    server.send(patch(source, 2));
    let ack = server.ack();
    assert_eq!(ack["ok"], true, "{ack}");
    let results = ack["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 4, "{ack}");
    assert_eq!(results[2], json!({"name": "deep.app", "value": "10000"}));
    assert_eq!(
        results[3],
        json!({"name": "deep.app", "value": "\"stack overflow: more than 10500 nested calls, calling deep.app/deep\""})
    );
    // Uncaught, it is the program's exception, not a trap.
    server.send(patch("(ns deep.app) (declare deep) (deep 100000)", 3));
    let ack = server.ack();
    assert_eq!(ack["ok"], false, "{ack}");
    let error = ack["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("deep.app: uncaught exception: ")
            && error.contains("java.lang.StackOverflowError")
            && error.contains("more than 10500 nested calls, calling deep.app/deep"),
        "{error}"
    );
    // Larger levels: the engine's stack runs out first.
    server.send(patch("(ns deep.app) (declare wide) (wide 100000)", 4));
    let ack = server.ack();
    assert_eq!(ack["ok"], false, "{ack}");
    let error = ack["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(
            "wasm trap while registering deep.app (eval): StackOverflowError: \
             the engine's call stack ran out in deep.app/wide ("
        ) && error.contains("app.jank:3:1)"),
        "{error}"
    );
    // The calls the trap cut short no longer count: the full depth is back.
    server.send(patch("(ns deep.app) (declare deep) (deep 10000)", 5));
    let ack = server.ack();
    assert_eq!(
        ack["results"],
        json!([{"name": "deep.app", "value": "10000"}]),
        "{ack}"
    );
    drop(page);
}
