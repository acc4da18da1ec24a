//! The wire side of a compilation: a patch as the hub keeps and sends it
//! (bytes, registry symbols with their reload hooks, replay keys and the
//! patch message's JSON), and failures as diagnostic reports.

use std::sync::Arc;

use base64::Engine as _;

use super::batch::EVAL_SIGNATURE;
use super::{CompileError, SegmentError};
use crate::analyze::ast::VarRef;
use crate::analyze::namespaces::Namespaces;
use crate::diag::{Diagnostic, Failure};
use crate::lower::Patch;
use crate::serve::hub::{PatchRecord, ReplayKey};
use crate::serve::protocol::{
    DiagnosticReport, PatchMessage, ServerMessage, SourceRef, SymbolInfo,
};
use crate::source::{Pos, SourceFile};

pub(super) fn render_all(diagnostics: &[DiagnosticReport]) -> String {
    diagnostics.iter().map(|d| d.rendered.as_str()).collect()
}

pub(super) fn record(
    id: u64,
    patch: Patch,
    namespaces: &Namespaces,
    file: &str,
    pos: Pos,
    file_form: Option<String>,
    timestamp: u64,
) -> PatchRecord {
    let symbols: Vec<SymbolInfo> = patch
        .entries
        .iter()
        .map(|entry| SymbolInfo {
            name: entry.qualified_name.clone(),
            signature: entry.signature.clone(),
            hooks: reload_hooks(namespaces, &entry.qualified_name),
        })
        .collect();
    let mut replay_keys: Vec<ReplayKey> = patch
        .entries
        .iter()
        .filter(|entry| entry.signature != EVAL_SIGNATURE)
        .map(|entry| ReplayKey::Var(entry.qualified_name.clone()))
        .collect();
    if let Some(text) = file_form {
        replay_keys.push(ReplayKey::FileForm {
            file: file.to_string(),
            text,
        });
    }
    let message = ServerMessage::Patch(PatchMessage {
        id,
        data: base64::engine::general_purpose::STANDARD.encode(&patch.bytes),
        symbol_name: patch.symbols_export.clone(),
        symbols: symbols.clone(),
        timestamp,
        source: Some(SourceRef {
            file: file.to_string(),
            line: pos.line,
            column: pos.col,
        }),
    });
    PatchRecord {
        id,
        bytes: Arc::from(patch.bytes),
        symbols_export: patch.symbols_export,
        symbols,
        json: message.to_json().into(),
        replay_keys,
    }
}

/// The reload hooks the var `ns/name` is, by its metadata.
fn reload_hooks(namespaces: &Namespaces, qualified_name: &str) -> Vec<String> {
    let Some((ns, name)) = qualified_name.split_once('/') else {
        return Vec::new();
    };
    let var = VarRef {
        ns: ns.to_string(),
        name: name.to_string(),
    };
    namespaces
        .var_info(&var)
        .map(|info| {
            info.reload_hooks
                .iter()
                .map(|h| h.name().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn report(diagnostic: &Diagnostic, whole: &SourceFile) -> DiagnosticReport {
    DiagnosticReport {
        file: diagnostic.file.to_string(),
        line: diagnostic.pos.line,
        column: diagnostic.pos.col,
        message: diagnostic.message.clone(),
        rendered: diagnostic.render(whole),
    }
}

/// A compiler bug is reported where user errors are, at the start of its form.
pub(super) fn failure_report(failure: &Failure, whole: &SourceFile) -> DiagnosticReport {
    match failure {
        Failure::Diagnostic(diagnostic) => report(diagnostic, whole),
        Failure::Internal(internal) => DiagnosticReport {
            file: internal.file.to_string(),
            line: internal.pos.line,
            column: internal.pos.col,
            message: format!("internal compiler error: {}", internal.message),
            rendered: internal.to_string(),
        },
    }
}

pub(super) fn diagnostics(diagnostic: &Diagnostic, whole: &SourceFile) -> CompileError {
    CompileError::Diagnostics(vec![report(diagnostic, whole)])
}

pub(super) fn segment_error(error: SegmentError, whole: &SourceFile) -> CompileError {
    match error {
        SegmentError::Failure(failure) => {
            CompileError::Diagnostics(vec![failure_report(&failure, whole)])
        }
        SegmentError::PatchIds(error) => error.into(),
    }
}
