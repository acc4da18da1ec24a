//! Java regex syntax (what `#"..."` and `re-pattern` take) compiled with
//! fancy-regex, shared by the compiler (a bad literal is a compile error) and
//! the stub runtime (which matches with it).
//!
//! java.util.regex features rewritten to keep Java's meaning: `\d \w \s`
//! and their negations are ASCII, as in Java without UNICODE_CHARACTER_CLASS
//! (fancy-regex's are Unicode; `\b` is Unicode-aware in both); `\h` is
//! Java's horizontal whitespace; `\Q...\E` quotes; `\Z`, and `$` without
//! MULTILINE, also match before a line terminator that ends the input;
//! `(?x)` drops whitespace and `#` comments outside classes.
//! What still differs from java.util.regex: POSIX and java classes
//! (`\p{Alpha}`, `\p{javaLowerCase}`) and `\G` are refused; `(?U)` makes
//! `\d \w \s` Unicode from where it is written to the end of the pattern
//! (Java: to the end of its group), and so does `(?x)`; `.` excludes only `\n` (Java also `\r` and other line terminators); `(?i)`
//! folds Unicode case (Java folds ASCII only unless UNICODE_CASE, `(?u)`);
//! match positions count UTF-8 bytes internally (the results are strings,
//! so this shows nowhere).

use fancy_regex::Regex;

/// A compiled pattern: `find` searches, `whole` must match all of the input
/// (Java's `Matcher.matches`).
pub struct JavaRegex {
    pub find: Regex,
    pub whole: Regex,
}

const ASCII_DIGIT: &str = "0-9";
const ASCII_WORD: &str = "0-9A-Za-z_";
const ASCII_SPACE: &str = "\\t\\n\\x0B\\x0C\\r ";
const HORIZONTAL_SPACE: &str =
    " \\t\\xA0\\x{1680}\\x{180e}\\x{2000}-\\x{200a}\\x{202f}\\x{205f}\\x{3000}";

/// The set an ASCII shorthand class stands for, and whether it is negated.
fn shorthand(escape: char) -> Option<(&'static str, bool)> {
    Some(match escape {
        'd' => (ASCII_DIGIT, false),
        'D' => (ASCII_DIGIT, true),
        'w' => (ASCII_WORD, false),
        'W' => (ASCII_WORD, true),
        's' => (ASCII_SPACE, false),
        'S' => (ASCII_SPACE, true),
        'h' => (HORIZONTAL_SPACE, false),
        'H' => (HORIZONTAL_SPACE, true),
        _ => return None,
    })
}

/// Java's line terminators, one of which may end the input after what `$`
/// and `\Z` match.
const BEFORE_FINAL_TERMINATOR: &str = "(?=(?:\\r\\n|[\\n\\r\\x{85}\\x{2028}\\x{2029}])\\z)";

/// Rewrites Java syntax into fancy-regex syntax of the same meaning.
pub fn translate(java: &str) -> String {
    let mut out = String::with_capacity(java.len() + 8);
    let mut chars = java.chars().peekable();
    let mut class_depth = 0usize;
    // `(?U)`, Java's UNICODE_CHARACTER_CLASS: `\d \w \s` stay Unicode from
    // there on (fancy-regex's `U` would swap greediness instead).
    let mut unicode_classes = false;
    // `(?x)`, Java's COMMENTS: whitespace and `#` comments to the end of the
    // line are dropped here (outside classes), so nothing the compiled
    // pattern is wrapped in can end up inside a comment.
    let mut comments = false;
    while let Some(c) = chars.next() {
        if comments && class_depth == 0 {
            if c == '#' {
                while chars.next_if(|next| *next != '\n').is_some() {}
                continue;
            }
            if matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r') {
                continue;
            }
        }
        match c {
            '\\' => {
                let Some(escape) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if let Some((set, negated)) = shorthand(escape).filter(|_| !unicode_classes) {
                    let caret = if negated { "^" } else { "" };
                    out.push_str(&format!("[{caret}{set}]"));
                    continue;
                }
                match escape {
                    'Z' => out.push_str(&format!("(?:\\z|{BEFORE_FINAL_TERMINATOR})")),
                    'Q' => {
                        let mut quoted = String::new();
                        while let Some(q) = chars.next() {
                            if q == '\\' && chars.peek() == Some(&'E') {
                                chars.next();
                                break;
                            }
                            quoted.push(q);
                        }
                        out.push_str(&fancy_regex::escape(&quoted));
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                // A `]` or `^]` right after the opening bracket is literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            '$' if class_depth == 0 => out.push_str(&format!("(?:$|{BEFORE_FINAL_TERMINATOR})")),
            '(' if class_depth == 0 && chars.peek() == Some(&'?') => {
                out.push('(');
                let mut lookahead = chars.clone();
                lookahead.next();
                let flags: String = lookahead
                    .clone()
                    .take_while(|f| f.is_ascii_alphabetic() || *f == '-')
                    .collect();
                let end = lookahead.nth(flags.len());
                if flags.is_empty() || !matches!(end, Some(')' | ':')) {
                    continue;
                }
                let (on, off) = flags.split_once('-').unwrap_or((&flags, ""));
                unicode_classes |= on.contains('U');
                comments = (comments || on.contains('x')) && !off.contains('x');
                let kept: String = flags.chars().filter(|f| !matches!(f, 'U' | 'x')).collect();
                let kept = kept.trim_end_matches('-');
                // Past the `?` and the flags; a group of no flags left goes.
                chars.nth(flags.len());
                if kept.is_empty() && end == Some(')') {
                    out.pop();
                    chars.next();
                } else {
                    out.push('?');
                    out.push_str(kept);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// What is wrong with a pattern, without positions (they would count in
/// the rewritten pattern, not the one written).
fn describe(error: &fancy_regex::Error) -> String {
    if let fancy_regex::Error::ParseError(_, kind) = error {
        return kind.to_string();
    }
    let detail = match error {
        fancy_regex::Error::CompileError(compile) => match &**compile {
            fancy_regex::CompileError::InnerError(inner) => {
                inner.syntax_error().map(ToString::to_string)
            }
            _ => None,
        },
        _ => None,
    };
    let detail = detail.unwrap_or_else(|| error.to_string());
    let last_line = detail.lines().last().unwrap_or_default();
    last_line
        .strip_prefix("error: ")
        .unwrap_or(last_line)
        .to_string()
}

/// Compiles a Java pattern; the error says what is wrong with it.
pub fn compile(java: &str) -> Result<JavaRegex, String> {
    let translated = translate(java);
    let find = Regex::new(&translated).map_err(|e| describe(&e))?;
    let whole = Regex::new(&format!("^(?:{translated})\\z")).map_err(|e| describe(&e))?;
    Ok(JavaRegex { find, whole })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(pattern: &str, text: &str) -> Option<String> {
        let regex = compile(pattern).ok()?;
        let found = regex.find.find(text).ok()??;
        Some(found.as_str().to_string())
    }

    #[test]
    fn comments_mode_drops_whitespace_and_comments_outside_classes() {
        assert_eq!(
            finds("(?x) a b  # a comment", "xaby"),
            Some("ab".to_string())
        );
        assert!(compile("(?x) a b # comment").is_ok_and(|r| r.whole.is_match("ab").unwrap()));
        assert_eq!(finds("(?x) a [ ] b", "a b"), Some("a b".to_string()));
        assert_eq!(finds("(?x)a\\ b", "a b"), Some("a b".to_string()));
        assert_eq!(finds("(?x)a(?-x) b", "a b"), Some("a b".to_string()));
        assert_eq!(finds("(?ix) A # upper\n b", "xAB"), Some("AB".to_string()));
    }

    #[test]
    fn java_classes_are_ascii_and_quoting_works() {
        assert_eq!(finds(r"\d+", "a١٢3"), Some("3".to_string()));
        assert_eq!(finds(r"\w+", "été ok"), Some("t".to_string()));
        assert_eq!(finds(r"[\w-]+", "-a_b c"), Some("-a_b".to_string()));
        assert_eq!(finds(r"\Q.*\E", "x.*y"), Some(".*".to_string()));
        assert_eq!(finds(r"(\w)\1", "abccd"), Some("cc".to_string()));
        assert_eq!(finds(r"(?<=a)b", "cbab"), Some("b".to_string()));
        assert_eq!(finds(r"[]a]+", "x]a]"), Some("]a]".to_string()));
        assert_eq!(finds(r"end\Z", "the end\n"), Some("end".to_string()));
        assert_eq!(finds(r"c$", "abc\n"), Some("c".to_string()));
        assert_eq!(finds(r"c$", "abc\r\n"), Some("c".to_string()));
        assert_eq!(finds(r"c$", "abc\nd"), None);
        assert_eq!(finds(r"(?m)c$", "abc\nd"), Some("c".to_string()));
        assert_eq!(finds(r"[$]", "a$"), Some("$".to_string()));
        assert_eq!(finds(r"(?U)a+", "aaa"), Some("aaa".to_string()));
        assert_eq!(finds(r"(?U)\w+", "été ok"), Some("été".to_string()));
        assert_eq!(finds(r"(?i)A(?-i)b", "aB ab"), Some("ab".to_string()));
    }

    #[test]
    fn whole_matches_need_all_of_the_input() {
        let regex = compile("a|ab").ok().unwrap();
        assert!(regex.whole.is_match("ab").ok().unwrap());
        assert!(!regex.whole.is_match("abc").ok().unwrap());
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(compile("(unclosed").is_err());
        assert!(compile("[z-a]").is_err());
        assert!(compile("*a").is_err());
    }
}
