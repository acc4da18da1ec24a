//! Reads one C function declaration written on a single line into its name
//! and normalized types. Shared by the build script (the header's helper
//! lines) and the tests (jank's c_api.h as recorded), so both sides of every
//! comparison are read the same way.

/// A function declaration: types are normalized (see [`normalize_type`]),
/// parameter names dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CDeclaration {
    pub name: String,
    pub result: String,
    pub params: Vec<String>,
}

/// Reads `ret name(params);`. `(void)` and `()` both mean no parameters.
pub fn parse(declaration: &str) -> Result<CDeclaration, String> {
    let declaration = declaration.trim().trim_end_matches(';').trim_end();
    let open = declaration
        .find('(')
        .ok_or_else(|| format!("`{declaration}` has no parameter list"))?;
    let params_text = declaration[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("`{declaration}` does not end its parameter list"))?;
    let head = declaration[..open].trim_end();
    let name_start = head
        .rfind(|c: char| !is_identifier_char(c))
        .map_or(0, |i| i + 1);
    let name = &head[name_start..];
    if name.is_empty() {
        return Err(format!("`{declaration}` has no function name"));
    }
    let params = split_top_level(params_text)
        .into_iter()
        .map(str::trim)
        .filter(|param| !param.is_empty() && *param != "void")
        .map(param_type)
        .collect();
    Ok(CDeclaration {
        name: name.to_string(),
        result: normalize_type(&head[..name_start]),
        params,
    })
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits at the commas outside parentheses (function-pointer parameters keep theirs).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (index, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A parameter's type without its name. A function-pointer parameter is kept
/// whole (normalized), since its name sits inside the parentheses.
fn param_type(param: &str) -> String {
    if param.contains('(') || param == "..." {
        return normalize_type(param);
    }
    let tokens = type_tokens(param);
    let named = tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|last| last.chars().all(is_identifier_char));
    let kept = if named {
        &tokens[..tokens.len() - 1]
    } else {
        &tokens[..]
    };
    join_tokens(kept)
}

/// `const` dropped, `*` its own token, words single-spaced.
fn type_tokens(text: &str) -> Vec<String> {
    text.replace('*', " * ")
        .split_whitespace()
        .filter(|token| *token != "const")
        .map(str::to_string)
        .collect()
}

fn join_tokens(tokens: &[String]) -> String {
    let mut out = String::new();
    for token in tokens {
        if token != "*" && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
    }
    out
}

/// A type as compared: `const` dropped, words single-spaced, `*` attached to
/// what it follows: `char const * const` is `char*`.
pub fn normalize_type(text: &str) -> String {
    join_tokens(&type_tokens(text))
}
