//! The dev server, in one binary: HTTP, nREPL, WebSocket pages, file
//! watching, the bounded soak, and the bounded fuzz run of every untrusted
//! input (`jankwasm::fuzzing`).

#[path = "../serve_support/mod.rs"]
mod serve_support;

mod fuzz_bounded;
mod serve_editors;
mod serve_http;
mod serve_nrepl;
mod serve_soak;
mod serve_watch;
mod serve_ws;
