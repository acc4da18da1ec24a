//! Headless Chromium for end-to-end tests, through the DevTools protocol.
//! `Browser::launch()` starts Debian's /usr/bin/chromium with a fresh
//! profile and the flags this machine's closed network needs; `Page`
//! evaluates JavaScript (awaiting promises, results as JSON), waits for
//! conditions, and clicks and types with real input events. A test binary
//! includes it from its `main.rs` with
//! `#[path = "../common/browser.rs"] mod browser;`.
//!
//! The protocol is spoken directly over tungstenite: the tests use six
//! methods (Target.createTarget and attachToTarget, Page.navigate and
//! bringToFront, Runtime.evaluate, Input.dispatch*Event), and a client crate
//! with the whole protocol generated (headless_chrome) was 80 s of CPU and
//! the longest step on the critical path of a clean CI build.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Where Debian's chromium package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Flags for a quiet browser: no background connections (refused on this
/// machine's closed network, many at a time), no first-run or sync; and
/// pages in background tabs keep full-speed timers, as two pages open side
/// by side in windows would.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-quic",
    "--disable-component-update",
    "--disable-background-networking",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--password-store=basic",
    "--remote-debugging-port=0",
];

/// How long one protocol call may go unanswered: a guard against a browser
/// that hangs, far above any call's time (conditions are waited for by
/// polling, with their own timeouts).
const CALL_LIMIT: Duration = Duration::from_secs(180);

/// How long `open` waits for a page's load and `click` for its element.
const PAGE_LIMIT: Duration = Duration::from_secs(60);

/// The browser's executable: $CHROMIUM, else /usr/bin/chromium.
fn executable() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMIUM))
}

/// The browser's DevTools WebSocket: one call at a time, answers matched by
/// id; events (none is enabled) are skipped.
struct Connection {
    socket: Mutex<WebSocket<MaybeTlsStream<TcpStream>>>,
    next_id: AtomicU64,
}

impl Connection {
    /// The result of `method`, sent to the page `session` (or the browser),
    /// or the protocol's error.
    fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut request = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            request["sessionId"] = Value::from(session);
        }
        let mut socket = self.socket.lock().unwrap_or_else(|e| e.into_inner());
        socket
            .send(Message::text(request.to_string()))
            .map_err(|e| format!("sending {method}: {e}"))?;
        loop {
            let text = match socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(e) => return Err(format!("waiting for the answer to {method}: {e}")),
            };
            let answer: Value = serde_json::from_str(&text)
                .map_err(|e| format!("an answer to {method} that is not JSON ({e}): {text}"))?;
            if answer["id"] != id {
                continue;
            }
            return match answer.get("error") {
                Some(error) => Err(format!("{method}: {error}")),
                None => Ok(answer["result"].clone()),
            };
        }
    }
}

pub struct Browser {
    process: Child,
    connection: Arc<Connection>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A headless Chromium, or None (after saying why) when it is not
    /// installed and CI is unset; with CI set a missing browser fails.
    pub fn launch() -> Option<Browser> {
        let path = executable();
        if !Path::new(&path).exists() {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "chromium is not installed at {} (.ci/run installs it)",
                    path.display()
                );
            }
            eprintln!("skipping: chromium not installed (.ci/run installs it)");
            return None;
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut process = Command::new(&path)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", path.display()));
        let stderr = process.stderr.take().expect("chromium's stderr is piped");
        let url = devtools_url(stderr);
        let (socket, _) =
            tungstenite::connect(&url).unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(CALL_LIMIT))
                .expect("a read timeout on the DevTools socket");
        }
        Some(Browser {
            process,
            connection: Arc::new(Connection {
                socket: Mutex::new(socket),
                next_id: AtomicU64::new(1),
            }),
            _profile: profile,
        })
    }

    /// A new tab showing `url` once it has loaded.
    pub fn open(&self, url: &str) -> Page {
        let call = |session, method, params| {
            self.connection
                .call(session, method, params)
                .unwrap_or_else(|e| panic!("open {url}: {e}"))
        };
        let target = call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let attached = call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        let page = Page {
            connection: Arc::clone(&self.connection),
            session: attached["sessionId"]
                .as_str()
                .unwrap_or_else(|| panic!("open {url}: no session in {attached}"))
                .to_string(),
        };
        let navigated = page.call("Page.navigate", json!({ "url": url }));
        if let Some(error) = navigated["errorText"].as_str() {
            panic!("open {url}: {error}");
        }
        page.wait_for(
            "location.href !== 'about:blank' && document.readyState === 'complete'",
            PAGE_LIMIT,
        );
        page
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Reads Chromium's stderr up to the line naming its DevTools endpoint, then
/// drains the rest on a thread (a full pipe would stop the browser).
fn devtools_url(stderr: std::process::ChildStderr) -> String {
    const PREFIX: &str = "DevTools listening on ";
    let mut lines = BufReader::new(stderr);
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => panic!("chromium exited before listening for DevTools:\n{seen}"),
            Ok(_) => {}
        }
        if let Some(url) = line.trim().strip_prefix(PREFIX) {
            let url = url.to_string();
            std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
            return url;
        }
        seen.push_str(&line);
    }
}

pub struct Page {
    connection: Arc<Connection>,
    session: String,
}

/// A key `press` knows: its DOM key and code, its Windows key code, and the
/// text it types.
struct Key {
    name: &'static str,
    code: &'static str,
    key_code: u32,
    text: &'static str,
}

const KEYS: &[Key] = &[
    Key {
        name: "Enter",
        code: "Enter",
        key_code: 13,
        text: "\r",
    },
    Key {
        name: "Escape",
        code: "Escape",
        key_code: 27,
        text: "",
    },
    Key {
        name: "Tab",
        code: "Tab",
        key_code: 9,
        text: "",
    },
    Key {
        name: "Backspace",
        code: "Backspace",
        key_code: 8,
        text: "",
    },
];

impl Page {
    fn call(&self, method: &str, params: Value) -> Value {
        self.connection
            .call(Some(&self.session), method, params)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The JSON value of `expression` (awaited when it is a promise);
    /// undefined becomes null. A thrown exception panics with its text.
    pub fn eval(&self, expression: &str) -> Value {
        match self.try_eval(expression) {
            Ok(value) => value,
            Err(message) => panic!("evaluating {expression}: {message}"),
        }
    }

    fn try_eval(&self, expression: &str) -> Result<Value, String> {
        let wrapped = format!("(async () => JSON.stringify(await ({expression}) ?? null))()");
        let evaluated = self.connection.call(
            Some(&self.session),
            "Runtime.evaluate",
            json!({ "expression": wrapped, "awaitPromise": true, "returnByValue": true }),
        )?;
        if let Some(exception) = evaluated.get("exceptionDetails") {
            let text = exception["exception"]["description"]
                .as_str()
                .or(exception["text"].as_str())
                .unwrap_or("an exception");
            return Err(format!("threw {text}"));
        }
        let Some(json) = evaluated["result"]["value"].as_str() else {
            return Err(format!("returned no JSON: {}", evaluated["result"]));
        };
        serde_json::from_str(json).map_err(|e| format!("{e}: {json}"))
    }

    /// Waits until `condition` evaluates truthy and returns its value;
    /// panics after `timeout` with the last value and the page's text.
    pub fn wait_for(&self, condition: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        let mut last;
        loop {
            last = self.try_eval(condition);
            if let Ok(value) = &last {
                let truthy = !matches!(value, Value::Null | Value::Bool(false))
                    && value != &Value::from(0)
                    && value != &Value::from("");
                if truthy {
                    return value.clone();
                }
            }
            if started.elapsed() > timeout {
                let text = self.try_eval("document.body.innerText");
                panic!(
                    "timed out after {timeout:?} waiting for {condition}\nlast: {last:?}\npage text: {text:?}"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Clicks the element `selector` finds (waiting for it to appear), with
    /// real mouse events at its centre; the tab comes to the front first, as
    /// a user's click would bring it.
    pub fn click(&self, selector: &str) {
        self.call("Page.bringToFront", json!({}));
        let query = serde_json::to_string(selector).expect("a selector as JSON");
        let centre = self.wait_for(
            &format!(
                "(() => {{ const e = document.querySelector({query}); if (!e) return null; \
                 e.scrollIntoView({{block: 'center', inline: 'center'}}); \
                 const r = e.getBoundingClientRect(); \
                 return [r.left + r.width / 2, r.top + r.height / 2]; }})()"
            ),
            PAGE_LIMIT,
        );
        let (x, y) = (centre[0].clone(), centre[1].clone());
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// Types `text` with real key events into whatever has the focus.
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            let c = c.to_string();
            self.call(
                "Input.dispatchKeyEvent",
                json!({ "type": "keyDown", "key": c, "text": c, "unmodifiedText": c }),
            );
            self.call(
                "Input.dispatchKeyEvent",
                json!({ "type": "keyUp", "key": c }),
            );
        }
    }

    /// Presses one key (`"Enter"`, `"Escape"`, `"Tab"`, `"Backspace"`) with
    /// real key events.
    pub fn press(&self, key: &str) {
        let Some(key) = KEYS.iter().find(|k| k.name == key) else {
            panic!("press {key}: not a key this client knows");
        };
        let mut down = json!({
            "type": "keyDown",
            "key": key.name,
            "code": key.code,
            "windowsVirtualKeyCode": key.key_code,
        });
        if !key.text.is_empty() {
            down["text"] = Value::from(key.text);
        }
        self.call("Input.dispatchKeyEvent", down);
        self.call(
            "Input.dispatchKeyEvent",
            json!({
                "type": "keyUp",
                "key": key.name,
                "code": key.code,
                "windowsVirtualKeyCode": key.key_code,
            }),
        );
    }

    /// The text content of the element `selector` finds ("" when none does).
    pub fn text(&self, selector: &str) -> String {
        let query = serde_json::to_string(selector).expect("a selector as JSON");
        match self.eval(&format!("document.querySelector({query})?.textContent")) {
            Value::String(text) => text,
            _ => String::new(),
        }
    }
}
