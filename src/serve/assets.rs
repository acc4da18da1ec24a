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

/// A browser file from `src/serve/web/`, compiled into the binary.
macro_rules! web_file {
    ($path:literal, $content_type:literal) => {
        Asset {
            path: $path,
            content_type: $content_type,
            bytes: include_bytes!(concat!("web/", $path)),
        }
    };
}

pub const ASSETS: &[Asset] = &[
    web_file!("index.html", "text/html; charset=utf-8"),
    web_file!("start.js", "text/javascript; charset=utf-8"),
    web_file!("client.js", "text/javascript; charset=utf-8"),
    web_file!("loader.js", "text/javascript; charset=utf-8"),
    web_file!("app-host.js", "text/javascript; charset=utf-8"),
    web_file!("edn.js", "text/javascript; charset=utf-8"),
    web_file!("hiccup.js", "text/javascript; charset=utf-8"),
    web_file!("decode.js", "text/javascript; charset=utf-8"),
    web_file!("events.js", "text/javascript; charset=utf-8"),
    web_file!("effects.js", "text/javascript; charset=utf-8"),
    Asset {
        path: "jank_stub.wasm",
        content_type: "application/wasm",
        bytes: jank_wasmtime_harness::STUB_WASM,
    },
];

/// The app `jankwasm serve` runs when given no project.
pub struct DemoApp {
    /// The name its forms carry in diagnostics and patches.
    pub file: &'static str,
    pub source: &'static str,
}

pub const DEMO: DemoApp = DemoApp {
    file: "demo/app.jank",
    source: include_str!("web/demo/app.jank"),
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
        let index = std::str::from_utf8(find(INDEX).unwrap().bytes).unwrap();
        assert!(index.contains("/_jankwasm/start.js"));
        for script in [
            "start.js",
            "client.js",
            "loader.js",
            "app-host.js",
            "edn.js",
            "hiccup.js",
            "decode.js",
            "events.js",
            "effects.js",
        ] {
            assert!(find(script).is_some(), "{script} is served");
        }
        let stub = find("jank_stub.wasm").unwrap();
        assert_eq!(&stub.bytes[..4], b"\0asm");
    }
}
