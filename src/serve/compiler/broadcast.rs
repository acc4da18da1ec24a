//! What leaves the compiler thread for pages: a batch's patches, pushed to
//! the hub together so no page sees half of one, and compile errors, sent
//! to every page for its error overlay.

use std::time::{SystemTime, UNIX_EPOCH};

use super::batch::Pending;
use super::wire::{record, render_all};
use super::{CompileError, Compiled, CompiledForm, Compiler};
use crate::analyze::ast::VarRef;
use crate::serve::hub::Audience;
use crate::serve::protocol::{ErrorKind, ErrorMessage, ServerMessage};

impl Compiler {
    /// Compile errors also go to every page, for its error overlay.
    pub(super) fn announce(
        &self,
        result: Result<Compiled, CompileError>,
    ) -> Result<Compiled, CompileError> {
        if let Err(CompileError::Diagnostics(diagnostics)) = &result {
            self.hub.broadcast(&ServerMessage::Error(ErrorMessage {
                kind: ErrorKind::Compile,
                error: render_all(diagnostics),
                diagnostics: diagnostics.clone(),
                request_id: None,
            }));
        }
        result
    }

    /// Pushes the forms that have a patch, all in one go so no page sees
    /// half of a batch. Notes the macros they define.
    pub(super) fn push(&mut self, pending: Vec<Pending>, audience: Audience) -> Vec<CompiledForm> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut records = Vec::new();
        let mut positions = Vec::with_capacity(pending.len());
        for form in pending {
            positions.push((form.pos, form.patch.is_some(), form.requested));
            if let Some((id, patch)) = form.patch {
                for entry in &patch.entries {
                    let var = entry.qualified_name.split_once('/');
                    let is_macro = var.is_some_and(|(ns, name)| {
                        self.session
                            .namespaces()
                            .var_info(&VarRef {
                                ns: ns.to_string(),
                                name: name.to_string(),
                            })
                            .is_some_and(|info| info.is_macro)
                    });
                    if is_macro {
                        self.redefined_macros.push(entry.qualified_name.clone());
                    }
                }
                records.push(record(
                    id,
                    patch,
                    self.session.namespaces(),
                    &form.file,
                    form.pos,
                    form.file_form,
                    timestamp,
                ));
            }
        }
        let mut deliveries = self.hub.push(records, audience).into_iter();
        positions
            .into_iter()
            .filter_map(|(pos, pushed, requested)| {
                let delivery = if pushed { deliveries.next() } else { None };
                requested.then_some(CompiledForm { pos, delivery })
            })
            .collect()
    }
}
