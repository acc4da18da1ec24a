//! Project files as the watcher reports them: per file, the text of each
//! top-level form last compiled, so a save recompiles only the forms whose
//! text (or starting namespace) changed, and the hub's replay log keeps only
//! the effect forms the file still has.

use std::collections::{HashMap, HashSet};

use super::batch::{has_effects, Pending};
use super::wire::{diagnostics, segment_error};
use super::{CompileError, Compiled, Compiler};
use crate::diag::Diagnostic;
use crate::serve::forms;
use crate::serve::hub::Audience;
use crate::source::{Pos, SourceFile};

/// Per project file: for each top-level form last compiled, keyed by its
/// text and the namespace it started in, the namespace after it and whether
/// it is evaluated for effect.
pub(super) type FileForms = HashMap<(String, String), (String, bool)>;

impl Compiler {
    pub(super) fn compile_file(
        &mut self,
        file: &str,
        text: &str,
    ) -> Result<Compiled, CompileError> {
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
                ns = known.0.clone();
                recorded.insert(key, known.clone());
                continue;
            }
            self.session.enter_ns(&ns);
            let patch = match self.compile_segment(file, segment) {
                Ok(patch) => patch,
                Err(error) => {
                    self.session.rollback(checkpoint);
                    // Keep what was compiled before, so the next save retries these forms.
                    self.files.insert(file.to_string(), previous);
                    return Err(segment_error(error, &whole));
                }
            };
            let effect = patch.as_ref().is_some_and(|(_, patch)| has_effects(patch));
            ns = self.session.namespaces().current().to_string();
            recorded.insert(key, (ns.clone(), effect));
            pending.push(Pending {
                pos: segment.form_pos,
                file: file.to_string(),
                patch,
                file_form: effect.then(|| segment.key().to_string()),
            });
        }
        let forms = self.push(pending, Audience::Everyone);
        let effect_forms: HashSet<String> = recorded
            .iter()
            .filter(|(_, (_, effect))| *effect)
            .map(|((text, _), _)| text.clone())
            .collect();
        self.hub.retain_file_forms(file, &effect_forms);
        self.files.insert(file.to_string(), recorded);
        Ok(Compiled {
            ns,
            forms,
            errors: Vec::new(),
        })
    }

    pub(super) fn forget_file(&mut self, file: &str) {
        self.files.remove(file);
        self.hub.retain_file_forms(file, &HashSet::new());
    }
}
