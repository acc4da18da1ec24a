//! Headless Chromium for end-to-end tests, through the DevTools protocol
//! (headless_chrome). `Browser::launch()` starts Debian's /usr/bin/chromium
//! with a fresh profile and the flags this machine's closed network needs;
//! `Page` evaluates JavaScript (awaiting promises, results as JSON), waits
//! for conditions and clicks like a user. A test binary includes it from its
//! `main.rs` with `#[path = "../common/browser.rs"] mod browser;`.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use headless_chrome::{LaunchOptions, Tab};
use serde_json::Value;

/// Where Debian's chromium package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Flags for a quiet browser: no background connections (refused on this
/// machine's closed network, many at a time), no first-run or sync; and
/// pages in background tabs keep full-speed timers, as two pages open side
/// by side in windows would.
const FLAGS: &[&str] = &[
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-quic",
    "--disable-component-update",
    "--disable-background-networking",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
];

pub struct Browser {
    browser: headless_chrome::Browser,
    _profile: tempfile::TempDir,
}

/// The browser's executable: $CHROMIUM, else /usr/bin/chromium.
fn executable() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMIUM))
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
        let flags: Vec<&OsStr> = FLAGS.iter().map(OsStr::new).collect();
        let options = LaunchOptions::default_builder()
            .path(Some(path))
            .headless(true)
            .sandbox(false)
            .enable_gpu(false)
            .user_data_dir(Some(profile.path().to_path_buf()))
            .args(flags)
            .idle_browser_timeout(Duration::from_secs(300))
            .build()
            .expect("chromium launch options");
        let browser = headless_chrome::Browser::new(options).expect("start chromium");
        Some(Browser {
            browser,
            _profile: profile,
        })
    }

    /// A new tab showing `url` once it has loaded.
    pub fn open(&self, url: &str) -> Page {
        let tab = self.browser.new_tab().expect("a new tab");
        tab.navigate_to(url)
            .and_then(|tab| tab.wait_until_navigated())
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        Page { tab }
    }
}

pub struct Page {
    tab: Arc<Tab>,
}

impl Page {
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
        let remote = self
            .tab
            .evaluate(&wrapped, true)
            .map_err(|e| e.to_string())?;
        let Some(Value::String(json)) = remote.value else {
            return Err(format!(
                "threw or returned no JSON: {}",
                remote.description.unwrap_or_default()
            ));
        };
        serde_json::from_str(&json).map_err(|e| format!("{e}: {json}"))
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

    /// Clicks the element `selector` finds, with real mouse events; the
    /// tab comes to the front first, as a user's click would bring it.
    pub fn click(&self, selector: &str) {
        self.tab
            .bring_to_front()
            .unwrap_or_else(|e| panic!("bring the tab to the front: {e}"));
        self.tab
            .wait_for_element(selector)
            .and_then(|element| element.click().map(|_| ()))
            .unwrap_or_else(|e| panic!("click {selector}: {e}"));
    }

    /// Types `text` with real key events into whatever has the focus.
    pub fn type_text(&self, text: &str) {
        self.tab
            .type_str(text)
            .unwrap_or_else(|e| panic!("type {text:?}: {e}"));
    }

    /// Presses one key (`"Enter"`, `"Escape"`) with real key events.
    pub fn press(&self, key: &str) {
        self.tab
            .press_key(key)
            .unwrap_or_else(|e| panic!("press {key}: {e}"));
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
