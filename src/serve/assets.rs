//! The browser side the server hands out, built into the binary: the client
//! page and its scripts (under `/_jankwasm/`), the stub main module pages
//! run patches against, and the built-in demo app's jank source. This list
//! is the one place that names those files.

/// URL prefix of everything here, so it cannot clash with a project's files.
pub const PREFIX: &str = "/_jankwasm/";

/// One built-in file, served at `PREFIX` + `path`.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// The client page when the project has no `index.html` of its own.
pub const INDEX: &str = "index.html";

pub const ASSETS: &[Asset] = &[
    Asset {
        path: INDEX,
        content_type: "text/html; charset=utf-8",
        bytes: PLACEHOLDER_INDEX.as_bytes(),
    },
    Asset {
        path: "jank_stub.wasm",
        content_type: "application/wasm",
        bytes: jank_wasmtime_harness::STUB_WASM,
    },
];

/// Stands in for the browser client until its files are bundled here.
const PLACEHOLDER_INDEX: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>jankwasm serve</title></head>
<body><p>jankwasm serve is running. This build carries no browser client; see
<a href="/_jankwasm/config.json">/_jankwasm/config.json</a> for the WebSocket address.</p></body></html>
"#;

/// The app `jankwasm serve` runs when given no project.
pub struct DemoApp {
    /// The name its forms carry in diagnostics and patches.
    pub file: &'static str,
    pub source: &'static str,
}

pub const DEMO: DemoApp = DemoApp {
    file: "demo/app.jank",
    source: r#"(ns demo.app)

(defonce state (atom {:count 0}))

(defn view [s]
  [:div {:class "demo"}
   [:h1 "jankwasm"]
   [:p "Clicked " (:count s) " times"]
   [:button {:on-click "demo.app/click!"} "+1"]])

(defn click! []
  (swap! state update :count inc))
"#,
};

/// The built-in file at `path` (relative to `PREFIX`).
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|asset| asset.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_and_the_stub_are_listed() {
        assert!(find(INDEX).is_some());
        let stub = find("jank_stub.wasm").unwrap();
        assert_eq!(&stub.bytes[..4], b"\0asm");
    }
}
