//! Shared helpers for the integration tests.
#![allow(dead_code)]

use jankwasm::diag::Failure;
use jankwasm::lower::{Abi, Patch, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;

pub const GGG: &str = r#"(ns eita
  (:require [clojure.set :as set]))

(defn ggg
  "Docstring here"
  ^:export
  [v]
  (println :FROM_CLJ_..._I_MEAN_JANK_IN_WASM!!
           (+ 50 v)
           (set/union #{999} (set (mapv #(* 3 %) [1 5 v]))))
  (+ 48 v))
"#;

pub fn compile(text: &str, patch_id: u64) -> Result<Patch, Failure> {
    let source = SourceFile::new("test.jank", text);
    Session::new().compile(
        &source,
        &PatchOptions {
            patch_id,
            abi: Abi::Extended,
        },
    )
}

pub fn compile_in(session: &mut Session, text: &str, patch_id: u64) -> Result<Patch, Failure> {
    let source = SourceFile::new("test.jank", text);
    session.compile(
        &source,
        &PatchOptions {
            patch_id,
            abi: Abi::Extended,
        },
    )
}

/// The error a program is rejected with, as `line:col: message`; a
/// compiler bug is not a rejection.
pub fn rejection(text: &str) -> String {
    match compile(text, 1) {
        Ok(_) => panic!("expected a compile error for {text}"),
        Err(Failure::Diagnostic(diagnostic)) => {
            format!("{}: {}", diagnostic.pos, diagnostic.message)
        }
        Err(Failure::Internal(internal)) => panic!("{internal} (for {text})"),
    }
}
