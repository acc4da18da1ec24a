//! Project files as the watcher reports them: per file, the text of each
//! top-level form last compiled, so a save recompiles only the forms whose
//! text (or starting namespace) changed, and the hub's replay log keeps only
//! the effect forms the file still has.

use std::collections::{HashMap, HashSet};

use super::batch::{has_effects, Pending};
use super::wire::{diagnostics, segment_error};
use super::{CompileError, Compiled, Compiler, SegmentOutput};
use crate::diag::Diagnostic;
use crate::serve::forms;
use crate::serve::hub::Audience;
use crate::source::{Pos, SourceFile};

/// Per project file: for each top-level form last compiled, keyed by its
/// text and the namespace it started in, what compiling it gave.
pub(super) type FileForms = HashMap<(String, String), FormRecord>;

#[derive(Debug, Clone)]
pub(super) struct FormRecord {
    /// The namespace after the form (an `ns` form changes it).
    ns_after: String,
    /// Evaluated for effect (replayed by its text, not by a var).
    effect: bool,
    /// The user macros it expanded: it is recompiled when one is redefined.
    macros_used: Vec<String>,
    /// The compilation it was compiled in (`Compiler::generation`).
    generation: u64,
}

/// How many rounds of recompiling a redefined macro's users may redefine
/// macros in turn before the server stops following them.
const MAX_MACRO_RECOMPILE_ROUNDS: usize = 8;

impl Compiler {
    pub(super) fn compile_file(
        &mut self,
        file: &str,
        text: &str,
    ) -> Result<Compiled, CompileError> {
        self.generation += 1;
        let whole = SourceFile::new(file, text);
        let segments = forms::split(text, Pos::new(1, 1))
            .map_err(|e| diagnostics(&Diagnostic::new(&whole, e.pos, e.message), &whole))?;
        let previous = self.files.remove(file).unwrap_or_default();
        let checkpoint = self.session.checkpoint();
        let mut ns = "user".to_string();
        let mut recorded = FileForms::new();
        let mut pending = Vec::new();
        for segment in &segments {
            let key = (segment.key().to_string(), ns.clone());
            if let Some(known) = previous.get(&key) {
                ns = known.ns_after.clone();
                recorded.insert(key, known.clone());
                continue;
            }
            self.session.enter_ns(&ns);
            let SegmentOutput { patch, macros_used } =
                match self.compile_segment(file, segment, &mut pending) {
                    Ok(output) => output,
                    Err(error) => {
                        self.session.rollback(checkpoint);
                        // Keep what was compiled before, so the next save retries these forms.
                        self.files.insert(file.to_string(), previous);
                        return Err(segment_error(error, &whole));
                    }
                };
            let effect = patch.as_ref().is_some_and(|(_, patch)| has_effects(patch));
            ns = self.session.namespaces().current().to_string();
            recorded.insert(
                key,
                FormRecord {
                    ns_after: ns.clone(),
                    effect,
                    macros_used,
                    generation: self.generation,
                },
            );
            pending.push(Pending {
                pos: segment.form_pos,
                file: file.to_string(),
                patch,
                requested: true,
                file_form: effect.then(|| segment.key().to_string()),
            });
        }
        let forms = self.push(pending, Audience::Everyone);
        let effect_forms: HashSet<String> = recorded
            .iter()
            .filter(|(_, record)| record.effect)
            .map(|((text, _), _)| text.clone())
            .collect();
        self.hub.retain_file_forms(file, &effect_forms);
        self.files.insert(file.to_string(), recorded);
        self.file_texts.insert(file.to_string(), text.to_string());
        Ok(Compiled {
            ns,
            forms,
            errors: Vec::new(),
        })
    }

    pub(super) fn forget_file(&mut self, file: &str) {
        self.files.remove(file);
        self.file_texts.remove(file);
        self.hub.retain_file_forms(file, &HashSet::new());
    }

    /// Recompiles the project forms that expanded a macro the last
    /// compilation redefined, so pages run code built with the new macro
    /// (their state stays: only definitions are replaced).
    pub(super) fn recompile_macro_users(&mut self) {
        for _ in 0..MAX_MACRO_RECOMPILE_ROUNDS {
            let redefined = std::mem::take(&mut self.redefined_macros);
            if redefined.is_empty() {
                return;
            }
            let generation = self.generation;
            let mut stale: Vec<(String, String)> = Vec::new();
            for (file, forms) in &mut self.files {
                let before = forms.len();
                forms.retain(|_, record| {
                    record.generation == generation
                        || !record
                            .macros_used
                            .iter()
                            .any(|used| redefined.contains(used))
                });
                if forms.len() != before {
                    if let Some(text) = self.file_texts.get(file) {
                        stale.push((file.clone(), text.clone()));
                    }
                }
            }
            stale.sort();
            for (file, text) in stale {
                let result = self.compile_file(&file, &text);
                let _ = self.announce(result);
            }
        }
    }
}
