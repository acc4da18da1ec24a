//! A source text cut into its top-level forms, each a slice of the text that
//! can be compiled on its own with its original line and column: the server
//! compiles, patches, replays and diffs (for file watching) one top-level form
//! at a time.

use crate::read::{Form, FormKind, Name, ReadEnv, Reader};
use crate::source::Pos;

/// One top-level form with the whitespace and comments before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment<'a> {
    /// From the end of the previous form to the end of this one.
    pub text: &'a str,
    /// Where `text` starts.
    pub start: Pos,
    /// Where the form itself starts.
    pub form_pos: Pos,
    /// The head symbol of a list form (`defn`, `ns`, …), as written.
    pub head: Option<String>,
}

impl Segment<'_> {
    /// What identifies the form's text for change detection: the segment
    /// without the whitespace before it (so moving a form down a line is no
    /// change, but editing a comment above it is).
    pub fn key(&self) -> &str {
        self.text.trim_start()
    }

    /// True when the form defines something (`def`, `defn`, `defonce`, …),
    /// judged from how it is written.
    pub fn looks_like_def(&self) -> bool {
        self.head.as_deref().is_some_and(|head| {
            let name = head.rsplit('/').next().unwrap_or(head);
            name.starts_with("def") || name == "declare"
        })
    }

    /// The segment's text preceded by enough newlines and spaces that the
    /// reader sees it at its original line and column.
    pub fn positioned_text(&self) -> String {
        positioned(self.text, self.start)
    }
}

/// `text` as if it started at `start` of a larger file.
pub fn positioned(text: &str, start: Pos) -> String {
    let lines = start.line.saturating_sub(1) as usize;
    let columns = start.col.saturating_sub(1) as usize;
    let mut out = String::with_capacity(lines + columns + text.len());
    out.extend(std::iter::repeat_n('\n', lines));
    out.extend(std::iter::repeat_n(' ', columns));
    out.push_str(text);
    out
}

/// Every keyword written in `text` (`:k`, `:ns/k`, `::k` resolved by `env`),
/// as printed; nothing when it does not read.
pub fn keywords(text: &str, env: &dyn ReadEnv) -> Vec<String> {
    let mut reader = Reader::new(text);
    let mut found = Vec::new();
    let mut pending: Vec<Form> = Vec::new();
    while let Ok(Some(form)) = reader.next_form(env) {
        pending.push(form);
        while let Some(form) = pending.pop() {
            match form.kind {
                FormKind::Keyword(name) => found.push(format!(":{name}")),
                FormKind::List(items) | FormKind::Vector(items) | FormKind::Set(items) => {
                    pending.extend(items)
                }
                FormKind::Map(entries) => {
                    for (key, value) in entries {
                        pending.push(key);
                        pending.push(value);
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// A read error while cutting: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub pos: Pos,
    pub message: String,
}

/// Cuts `text` (which starts at `origin`) into its top-level forms. Only the
/// syntax matters here, so aliases and namespaces are not resolved (the
/// compiler reads each form again with the real ones).
pub fn split(text: &str, origin: Pos) -> Result<Vec<Segment<'_>>, SplitError> {
    let positioned = positioned(text, origin);
    let prefix = positioned.len() - text.len();
    let mut reader = Reader::new(&positioned);
    let mut segments = Vec::new();
    let mut previous_end = prefix;
    let mut tracker = PosTracker::new(&positioned);
    loop {
        let form = match reader.next_form(&SyntaxOnly) {
            Ok(Some(form)) => form,
            Ok(None) => break,
            Err(error) => {
                return Err(SplitError {
                    pos: error.pos,
                    message: error.kind.to_string(),
                })
            }
        };
        let end = reader.offset();
        let head = match &form.kind {
            FormKind::List(items) => items.first().and_then(|first| match &first.kind {
                FormKind::Symbol(name) => Some(name.to_string()),
                _ => None,
            }),
            _ => None,
        };
        segments.push(Segment {
            text: &text[previous_end - prefix..end - prefix],
            start: tracker.pos_at(previous_end),
            form_pos: form.pos,
            head,
        });
        previous_end = end;
    }
    Ok(segments)
}

/// Line and column of byte offsets visited in increasing order.
struct PosTracker<'a> {
    text: &'a str,
    offset: usize,
    pos: Pos,
}

impl<'a> PosTracker<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            offset: 0,
            pos: Pos::new(1, 1),
        }
    }

    fn pos_at(&mut self, offset: usize) -> Pos {
        for c in self.text[self.offset..offset].chars() {
            if c == '\n' {
                self.pos = Pos::new(self.pos.line + 1, 1);
            } else {
                self.pos.col += 1;
            }
        }
        self.offset = offset;
        self.pos
    }
}

/// A reader environment that accepts every alias as a namespace of its own
/// name: enough to find where forms end.
struct SyntaxOnly;

impl ReadEnv for SyntaxOnly {
    fn current_ns(&self) -> &str {
        "user"
    }

    fn resolve_alias(&self, alias: &str) -> Option<String> {
        Some(alias.to_string())
    }

    fn syntax_quote_symbol(&self, name: &Name) -> Name {
        Name::qualified(
            name.ns.clone().unwrap_or_else(|| "user".to_string()),
            name.name.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cover_forms_with_their_leading_comments() {
        let text = "(ns app)\n\n;; the view\n(defn view [] 1)\n^:private (def x 2)";
        let segments = split(text, Pos::new(1, 1)).unwrap();
        let texts: Vec<&str> = segments.iter().map(|s| s.text).collect();
        assert_eq!(
            texts,
            [
                "(ns app)",
                "\n\n;; the view\n(defn view [] 1)",
                "\n^:private (def x 2)"
            ]
        );
        assert_eq!(segments[1].start, Pos::new(1, 9));
        assert_eq!(segments[1].form_pos, Pos::new(4, 1));
        assert_eq!(segments[1].key(), ";; the view\n(defn view [] 1)");
        assert_eq!(segments[1].head.as_deref(), Some("defn"));
        assert!(segments[2].looks_like_def());
        assert!(!segments[0].looks_like_def());
    }

    #[test]
    fn positions_follow_the_origin() {
        let segments = split("(f 1)\n  (g 2)", Pos::new(10, 5)).unwrap();
        assert_eq!(segments[0].form_pos, Pos::new(10, 5));
        assert_eq!(segments[1].form_pos, Pos::new(11, 3));
        let text = segments[1].positioned_text();
        let again = split(&text, Pos::new(1, 1)).unwrap();
        assert_eq!(again[0].form_pos, Pos::new(11, 3));
    }

    #[test]
    fn unknown_aliases_do_not_stop_the_cut() {
        let segments = split("(def k ::str/x) `(a/b c)", Pos::new(1, 1)).unwrap();
        assert_eq!(segments.len(), 2);
    }

    #[test]
    fn a_syntax_error_has_its_position() {
        let error = split("(def a 1)\n(defn b [] (", Pos::new(1, 1)).unwrap_err();
        assert_eq!(error.pos.line, 2);
    }
}
