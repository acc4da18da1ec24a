//! The WebSocket protocol between `jankwasm serve` and the pages it drives,
//! as serde types. It extends the seed prototype's messages
//! (docs/jank-runtime.md, "The prototype's network interface") without changing any of them.
//!
//! # Transport
//!
//! `ws://HOST:WS_PORT/repl` (any path works). One JSON object per text frame,
//! UTF-8, at most [`MAX_MESSAGE_BYTES`] from the page. Every message has a
//! `"type"`. Unknown fields are ignored on both sides. The handshake request
//! must carry an `Origin` header equal to the served HTTP origin (or none, for
//! non-browser clients); anything else is refused with HTTP 403.
//!
//! # Page → server
//!
//! ```text
//! {"type":"handshake", "client":"jank-wasm-browser", "version":"1.0.0",
//!  "last_patch_id":41}                                  // last_patch_id optional
//! {"type":"patch_ack", "id":42, "ok":true, "error":null, "load_ms":0.8,
//!  "results":[{"name":"app/view","value":"#'app/view"},
//!             {"name":"app","error":"{:boom 1}"}],
//!  "output":"printed to stdout", "stderr":"printed to stderr"}
//! {"type":"eval", "code":"(+ 1 2)", "ns":"app", "request_id":7, "timestamp":1700000000000}
//! ```
//!
//! - `handshake` is sent first, on every (re)connect. The server answers
//!   `handshake_ack`, then replays the current definitions, then sends live
//!   patches. Nothing is pushed to a page before its handshake.
//!   `last_patch_id` is the highest patch id the page has already loaded (a
//!   page that survived a server restart or a dropped socket): replay then
//!   skips patches it has, and the server's id counter moves past it so ids
//!   never repeat for that page. A fresh page omits it (or sends null).
//! - `patch_ack` answers every `patch`, replayed or live, once it is loaded
//!   or has failed. `ok` is false when loading failed as a whole (`error`
//!   says why: link error, missing export, trap); then `results` holds what
//!   ran before the failure, if anything. `results` has one element per
//!   registry entry that ran, in order: `name` is the entry's
//!   `qualified_name` (`"ns/name"` for defs, `"ns"` for evaluated forms) and
//!   exactly one of `value` (the value printed as `pr-str`: a def's value is
//!   its var, `#'ns/name`) or `error` (the thrown value, printed). An entry
//!   that throws stops the rest of that patch, as jank's registry does.
//!   `output`/`stderr` are what the runtime printed during the load; `load_ms`
//!   is the page's own timing of the load (decode to last entry). Only `id`
//!   and `ok` are required.
//! - `eval` asks the server to compile `code` (in `ns`, default `user`) and
//!   push it: its definitions to every page, as `POST /eval` does, its other
//!   forms to the sender only. The sender gets `eval_result` (its own
//!   values) or `error` with the same `request_id` (any JSON value).
//!
//! # Server → page
//!
//! ```text
//! {"type":"handshake_ack", "server":"jankwasm", "version":"0.1.0", "protocol":1, "replay":3}
//! {"type":"patch", "id":42, "data":"AGFzbQ…", "symbolName":"jank_patch_symbols_42",
//!  "symbols":[{"name":"app/view","signature":"1"}], "timestamp":1700000000000,
//!  "source":{"file":"app.jank","line":12,"column":1}}
//! {"type":"eval_result", "request_id":7, "result":"3", "values":["3"], "output":"", "errors":[]}
//! {"type":"error", "kind":"compile", "error":"app.jank:3:7: error: …",
//!  "diagnostics":[{"file":"app.jank","line":3,"column":7,"message":"…","rendered":"…"}],
//!  "request_id":null}
//! ```
//!
//! - `handshake_ack`: `replay` is how many `patch` messages follow as replay
//!   before live ones.
//! - `patch`: `data` is the SIDE_MODULE, base64 (standard alphabet, padded).
//!   Load it and call the export `symbolName` (`jank_patch_symbols_<id>`)
//!   through jank's registry, then answer `patch_ack`. Patches arrive in id
//!   order and must be loaded in arrival order. `symbols` lists the registry
//!   entries (`signature` is `"N"`, `"def"`, `"defonce"` or `"eval"`, see
//!   runtime-abi/jank_patch_abi.h). `source` is where the form starts.
//!   Patch ids, and so export names, never repeat for a page, even across
//!   server restarts.
//! - A `patch`'s `symbols` entry may carry `"hooks":["before-load"]` or
//!   `["after-load"]`: the def's metadata is `^:dev/before-load` or
//!   `^:dev/after-load`. A page calls every before-load fn it knows of
//!   (with no arguments) before loading each patch, and every after-load fn
//!   after it; a redefinition without the metadata stops that.
//! - `{"type":"stylesheet","path":"/css/app.css"}`: a `.css` file under the
//!   served directory was saved; pages reload the `<link rel="stylesheet">`
//!   whose URL has that path, without reloading the page.
//! - `eval_result` answers a page's `eval`: `values` has one printed value
//!   per top-level form (`result` is the last one, as the seed had it),
//!   `errors` the runtime errors.
//! - `error`: `kind` is `compile` (a compile error anywhere: broadcast to
//!   every page for its overlay, with `diagnostics`; nothing was pushed),
//!   `protocol` (a malformed or unexpected message from this page; the
//!   connection stays open) or `eval` (a page's `eval` failed otherwise).

use serde::{Deserialize, Serialize};

/// Version of this protocol, sent in `handshake_ack`.
pub const PROTOCOL_VERSION: u32 = 1;
/// The largest message the server accepts from a page.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// A message a page sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PageMessage {
    Handshake(Handshake),
    PatchAck(PatchAck),
    Eval(PageEval),
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handshake {
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// The highest patch id this page has loaded already.
    #[serde(default)]
    pub last_patch_id: Option<u64>,
}

/// A page's report on loading one patch. The headless runtime produces the
/// same report, so every caller handles one shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchAck {
    pub id: u64,
    pub ok: bool,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub load_ms: Option<f64>,
    #[serde(default)]
    pub results: Vec<EntryResult>,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub stderr: String,
}

/// What one registry entry did: exactly one of `value` and `error` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryResult {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageEval {
    pub code: String,
    #[serde(default)]
    pub ns: Option<String>,
    #[serde(default)]
    pub request_id: Option<serde_json::Value>,
    #[serde(default)]
    pub timestamp: Option<f64>,
}

/// A message the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    HandshakeAck(HandshakeAck),
    Patch(PatchMessage),
    EvalResult(EvalResult),
    Error(ErrorMessage),
    Stylesheet(StylesheetMessage),
}

/// A stylesheet of the project was saved: pages swap it in without a reload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StylesheetMessage {
    /// Its URL path on the HTTP server, `/css/app.css`.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeAck {
    pub server: String,
    pub version: String,
    pub protocol: u32,
    /// How many replayed `patch` messages follow.
    pub replay: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchMessage {
    pub id: u64,
    /// The SIDE_MODULE bytes, base64.
    pub data: String,
    #[serde(rename = "symbolName")]
    pub symbol_name: String,
    pub symbols: Vec<SymbolInfo>,
    /// Milliseconds since the Unix epoch when the patch was compiled.
    pub timestamp: u64,
    #[serde(default)]
    pub source: Option<SourceRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolInfo {
    pub name: String,
    pub signature: String,
    /// The reload hooks the def's metadata makes it: `"before-load"`,
    /// `"after-load"` (from `^:dev/before-load`, `^:dev/after-load`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<String>,
}

/// Where a form starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    #[serde(default)]
    pub request_id: Option<serde_json::Value>,
    /// The last form's value.
    pub result: Option<String>,
    pub values: Vec<String>,
    pub output: String,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    Compile,
    Protocol,
    Eval,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorMessage {
    pub kind: ErrorKind,
    /// Human-readable, possibly several lines.
    pub error: String,
    #[serde(default)]
    pub diagnostics: Vec<DiagnosticReport>,
    #[serde(default)]
    pub request_id: Option<serde_json::Value>,
}

/// A compile error located in a file, as every interface reports it (the
/// `error` message, `POST /eval`'s 400 answer, nREPL's `err`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiagnosticReport {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// `file:line:col: error: message`, the source line and a caret.
    pub rendered: String,
}

impl ServerMessage {
    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a string.
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(r#"{{"type":"error","kind":"protocol","error":"unserializable message: {e}"}}"#)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_with_only_required_fields_parses() {
        let message: PageMessage =
            serde_json::from_str(r#"{"type":"patch_ack","id":3,"ok":false}"#).unwrap();
        assert_eq!(
            message,
            PageMessage::PatchAck(PatchAck {
                id: 3,
                ok: false,
                ..PatchAck::default()
            })
        );
    }

    #[test]
    fn patch_uses_the_seed_field_names() {
        let text = ServerMessage::Patch(PatchMessage {
            id: 9,
            data: "AA==".into(),
            symbol_name: "jank_patch_symbols_9".into(),
            symbols: vec![SymbolInfo {
                name: "user/f".into(),
                signature: "1".into(),
                hooks: Vec::new(),
            }],
            timestamp: 5,
            source: None,
        })
        .to_json();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["type"], "patch");
        assert_eq!(value["symbolName"], "jank_patch_symbols_9");
        assert_eq!(value["data"], "AA==");
        assert_eq!(value["symbols"][0]["name"], "user/f");
    }

    #[test]
    fn seed_handshake_without_extensions_parses() {
        let message: PageMessage = serde_json::from_str(
            r#"{"type":"handshake","client":"jank-wasm-browser","version":"1.0.0"}"#,
        )
        .unwrap();
        assert!(matches!(
            message,
            PageMessage::Handshake(Handshake {
                last_patch_id: None,
                ..
            })
        ));
    }
}
