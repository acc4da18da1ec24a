//! Completion and var docs for editors, asked of the session's namespaces
//! from the namespace the editor is in (or `user`, when that one does not
//! exist yet).

use super::{Candidate, Compiler, VarDoc};
use crate::analyze::namespaces::CompletionKind;
use crate::read::Name;

impl Compiler {
    pub(super) fn complete(&mut self, ns: &str, prefix: &str) -> Vec<Candidate> {
        self.enter_existing(ns);
        if prefix.starts_with(':') {
            return self
                .keywords
                .iter()
                .filter(|keyword| keyword.starts_with(prefix))
                .map(|keyword| Candidate {
                    candidate: keyword.clone(),
                    ns: None,
                    kind: "keyword",
                    arglists: Vec::new(),
                    doc: None,
                })
                .collect();
        }
        self.session
            .namespaces()
            .completions(prefix)
            .into_iter()
            .map(|completion| Candidate {
                candidate: completion.text,
                ns: completion.ns,
                kind: match completion.kind {
                    CompletionKind::Function => "function",
                    CompletionKind::Macro => "macro",
                    CompletionKind::SpecialForm => "special-form",
                    CompletionKind::Var => "var",
                    CompletionKind::Namespace => "namespace",
                },
                arglists: completion.arglists,
                doc: completion.doc,
            })
            .collect()
    }

    pub(super) fn lookup(&mut self, ns: &str, symbol: &str) -> Option<VarDoc> {
        self.enter_existing(ns);
        let name = match symbol.split_once('/') {
            Some((qualifier, name)) if !qualifier.is_empty() && !name.is_empty() => {
                Name::qualified(qualifier, name)
            }
            _ => Name::bare(symbol),
        };
        let namespaces = self.session.namespaces();
        let var = namespaces.resolve_var(&name)?;
        let info = namespaces.var_info(&var)?;
        let (file, pos) = match &info.defined_at {
            Some((file, pos)) => (Some(file.to_string()), Some(*pos)),
            None => (None, None),
        };
        Some(VarDoc {
            ns: var.ns.clone(),
            name: var.name.clone(),
            doc: info.doc.clone(),
            arglists: info.arglists.clone(),
            file,
            line: pos.map(|p| p.line),
            column: pos.map(|p| p.col),
        })
    }
}
