//! Tokens: which characters end them, and what a symbol-like token means
//! (`nil`, `true`, `false`, a keyword, an auto-resolved `::keyword` or a
//! symbol), with Clojure's rules for valid names.

use super::error::ReadErrorKind;
use super::form::{FormKind, Name};
use super::ReadEnv;

/// Clojure treats `,` as whitespace.
pub(super) fn is_whitespace(c: char) -> bool {
    c.is_whitespace() || c == ','
}

/// Characters with a reader macro of their own; they end a number token.
pub(super) fn is_macro(c: char) -> bool {
    matches!(
        c,
        '"' | ';'
            | '\''
            | '@'
            | '^'
            | '`'
            | '~'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '\\'
            | '%'
            | '#'
    )
}

/// Macro characters that also end a symbol token: `#`, `'` and `%` may
/// appear inside symbols (`x#`, `a'`, `a%b`).
pub(super) fn is_terminating_macro(c: char) -> bool {
    is_macro(c) && !matches!(c, '#' | '\'' | '%')
}

pub(super) fn ends_symbol_token(c: char) -> bool {
    is_whitespace(c) || is_terminating_macro(c)
}

/// Interprets a token that is not a number.
pub(super) fn interpret(token: &str, env: &dyn ReadEnv) -> Result<FormKind, ReadErrorKind> {
    let invalid = || ReadErrorKind::InvalidToken(token.to_string());
    match token {
        "nil" => return Ok(FormKind::Nil),
        "true" => return Ok(FormKind::Bool(true)),
        "false" => return Ok(FormKind::Bool(false)),
        _ => {}
    }
    // `::` may only start a token, never appear inside one.
    let mut after_first = token.chars();
    after_first.next();
    if after_first.as_str().contains("::") {
        return Err(invalid());
    }
    if let Some(body) = token.strip_prefix("::") {
        let name = split_name(body).ok_or_else(invalid)?;
        let ns = match &name.ns {
            Some(alias) => env
                .resolve_alias(alias)
                .ok_or_else(|| ReadErrorKind::UnknownAlias {
                    alias: alias.clone(),
                    token: token.to_string(),
                })?,
            None => env.current_ns().to_string(),
        };
        return Ok(FormKind::Keyword(Name::qualified(ns, name.name)));
    }
    if let Some(body) = token.strip_prefix(':') {
        return split_name(body).map(FormKind::Keyword).ok_or_else(invalid);
    }
    split_name(token).map(FormKind::Symbol).ok_or_else(invalid)
}

/// Splits `ns/name` at the first `/` and checks both parts the way
/// Clojure's symbol pattern does: `/` alone and `ns//` name the division
/// function, neither part may be empty or end in `:`, and a name may not
/// contain another `/`. Unlike Clojure, a name after `/` may start with a
/// digit, so that `#:a{:1 x}` (which makes `:a/1`) prints readable text.
pub(super) fn split_name(body: &str) -> Option<Name> {
    if body == "/" {
        return Some(Name::bare("/"));
    }
    let name = match body.split_once('/') {
        None => Name::bare(body),
        Some((ns, name)) => {
            if ns.is_empty() || (name != "/" && name.contains('/')) {
                return None;
            }
            Name::qualified(ns, name)
        }
    };
    let part_ok = |part: &str| !part.is_empty() && !part.ends_with(':');
    (part_ok(&name.name) && name.ns.as_deref().is_none_or(part_ok)).then_some(name)
}

/// The character a named character literal (`\newline`) stands for.
pub(super) fn named_char(name: &str) -> Option<char> {
    Some(match name {
        "newline" => '\n',
        "space" => ' ',
        "tab" => '\t',
        "backspace" => '\u{8}',
        "formfeed" => '\u{c}',
        "return" => '\r',
        _ => return None,
    })
}

/// The name a character prints with, when it has one.
pub(super) fn char_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\n' => "newline",
        ' ' => "space",
        '\t' => "tab",
        '\u{8}' => "backspace",
        '\u{c}' => "formfeed",
        '\r' => "return",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names_like_clojure() {
        assert_eq!(split_name("a.b/c"), Some(Name::qualified("a.b", "c")));
        assert_eq!(split_name("/"), Some(Name::bare("/")));
        assert_eq!(
            split_name("clojure.core//"),
            Some(Name::qualified("clojure.core", "/"))
        );
        assert_eq!(split_name("a/"), None);
        assert_eq!(split_name("/a"), None);
        assert_eq!(split_name("a/b/c"), None);
        assert_eq!(split_name("a/1"), Some(Name::qualified("a", "1")));
        assert_eq!(split_name("a:"), None);
        assert_eq!(split_name("a:/b"), None);
        assert_eq!(split_name(""), None);
        assert_eq!(split_name("1"), Some(Name::bare("1")));
    }

    #[test]
    fn macro_characters() {
        assert!(is_terminating_macro('('));
        assert!(!is_terminating_macro('#'));
        assert!(is_macro('#'));
        assert!(is_whitespace(','));
        assert!(ends_symbol_token('@'));
        assert!(!ends_symbol_token('\''));
    }
}
