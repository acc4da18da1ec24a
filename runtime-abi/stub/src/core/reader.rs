//! `read-string`, `read` and `read+string`: Clojure's reader at run time,
//! for data. It reads what the JVM's reads, with its errors' messages:
//! numbers of every kind, strings, characters, symbols, keywords (`::k`
//! resolves in `user`, the JVM's `*ns*` when code runs), lists, vectors,
//! maps (`#:ns{}` too), sets, `'` `@` `#'` `~` `~@` `^` `#_`, regexes,
//! `#uuid`, and tagged literals through `*data-readers*` or
//! `*default-data-reader-fn*`; `#=` is refused whether or not `*read-eval*`
//! allows it (there is no `eval`), and so are syntax-quote, `#()`, `#inst`
//! (no Inst values) and reader conditionals, each saying so. `read` reads
//! from `*in*`: the input of the innermost `with-in-str`.

use super::{core, text};
use crate::coll::{map_obj, set_obj, vector_obj, Map, Set};
use crate::error::{error, illegal_argument, R};
use crate::function::call;
use crate::number::{boxed, make_ratio, Num};
use crate::object::{alloc, boolean, character, keyword, nil, string, symbol, truthy, Obj, Object};
use num_bigint::BigInt;

fn reader_error(message: impl Into<Box<str>>) -> crate::error::Thrown {
    error("java.lang.RuntimeException", message)
}

fn eof() -> crate::error::Thrown {
    reader_error("EOF while reading")
}

/// Characters that end a token.
fn terminates(c: char) -> bool {
    c.is_whitespace() || c == ',' || "()[]{}\"';@^`~\\".contains(c)
}

struct Reader<'t> {
    text: &'t str,
    at: usize,
    /// For a line-numbering stream (`*in*`), the line `text` starts on: an
    /// unterminated collection then says where it started, as the JVM's
    /// LineNumberingPushbackReader lets it.
    first_line: Option<usize>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.at..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        Some(c)
    }

    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                self.bump();
            } else if c == ';' {
                while !matches!(self.bump(), Some('\n') | None) {}
            } else {
                break;
            }
        }
    }

    /// The next form, None at the end of the input.
    fn next(&mut self) -> R<Option<Obj>> {
        loop {
            self.skip_blank();
            let Some(c) = self.peek() else {
                return Ok(None);
            };
            if let Some(form) = self.dispatch(c)? {
                return Ok(Some(form));
            }
        }
    }

    /// The next form, which must be there.
    fn required(&mut self) -> R {
        self.next()?.ok_or_else(eof)
    }

    /// The form starting with `c`, None for one that reads as nothing (`#_`).
    fn dispatch(&mut self, c: char) -> R<Option<Obj>> {
        let wrap = |reader: &mut Self, ns: Option<&str>, name: &str| -> R<Option<Obj>> {
            reader.bump();
            let form = reader.required()?;
            Ok(Some(crate::seq::list_of(&[symbol(ns, name), form])))
        };
        Ok(Some(match c {
            '(' => {
                self.bump();
                crate::seq::list_of(&self.until(')')?)
            }
            '[' => {
                self.bump();
                vector_obj(self.until(']')?)
            }
            '{' => {
                self.bump();
                self.map(None)?
            }
            ')' | ']' | '}' => {
                self.bump();
                return Err(reader_error(format!("Unmatched delimiter: {c}")));
            }
            '"' => {
                self.bump();
                string(self.string_body()?)
            }
            '\\' => {
                self.bump();
                self.character()?
            }
            '\'' => return wrap(self, None, "quote"),
            '@' => return wrap(self, Some("clojure.core"), "deref"),
            '~' => {
                self.bump();
                let name = if self.peek() == Some('@') {
                    self.bump();
                    "unquote-splicing"
                } else {
                    "unquote"
                };
                let form = self.required()?;
                crate::seq::list_of(&[symbol(Some("clojure.core"), name), form])
            }
            '`' => {
                return Err(reader_error(
                    "read-string: syntax-quote is not supported here",
                ))
            }
            '^' => {
                self.bump();
                let given = self.required()?;
                let meta = match &*given {
                    Object::Keyword(_) => vec![(given, boolean(true))],
                    Object::Symbol(_) | Object::Str(_) => vec![(keyword(None, "tag"), given)],
                    Object::Map(m) => m.entries(),
                    _ => {
                        return Err(illegal_argument(
                            "Metadata must be Symbol,Keyword,String or Map",
                        ))
                    }
                };
                let target = self.required()?;
                let mut merged = crate::meta::meta(target)?;
                for (key, value) in meta {
                    merged = super::colls::assoc(merged, key, value)?;
                }
                crate::meta::with_meta(target, merged)?
            }
            '#' => {
                self.bump();
                return self.hash_dispatch();
            }
            _ => self.token_form()?,
        }))
    }
}

impl Reader<'_> {
    /// Forms up to the closing `close`.
    fn until(&mut self, close: char) -> R<Vec<Obj>> {
        let opened = self.at.saturating_sub(1);
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            match self.peek() {
                None => {
                    return Err(match self.first_line {
                        Some(first) => {
                            let line = first + self.text[..opened].matches('\n').count();
                            reader_error(format!("EOF while reading, starting at line {line}"))
                        }
                        None => eof(),
                    })
                }
                Some(c) if c == close => {
                    self.bump();
                    return Ok(items);
                }
                Some(c) => {
                    if let Some(form) = self.dispatch(c)? {
                        items.push(form);
                    }
                }
            }
        }
    }

    /// A map's entries up to `}`, keys qualified by `ns` (`#:ns{}`).
    fn map(&mut self, ns: Option<&str>) -> R {
        let items = self.until('}')?;
        if items.len() % 2 != 0 {
            return Err(reader_error(
                "Map literal must contain an even number of forms",
            ));
        }
        let mut map = Map::empty();
        for pair in items.chunks_exact(2) {
            let key = match (ns, &*pair[0]) {
                (Some(ns), Object::Keyword(k)) if k.ns.is_none() => keyword(Some(ns), &k.name),
                (Some(ns), Object::Symbol(k)) if k.ns.is_none() => symbol(Some(ns), &k.name),
                (Some(_), Object::Keyword(k)) if k.ns.as_deref() == Some("_") => {
                    keyword(None, &k.name)
                }
                (Some(_), Object::Symbol(k)) if k.ns.as_deref() == Some("_") => {
                    symbol(None, &k.name)
                }
                _ => pair[0],
            };
            if map.get(key)?.is_some() {
                return Err(illegal_argument(format!(
                    "Duplicate key: {}",
                    crate::print::str_of(key)?
                )));
            }
            map.insert(key, pair[1])?;
        }
        Ok(map_obj(map))
    }

    /// A string literal's text after its opening quote.
    fn string_body(&mut self) -> R<String> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(reader_error("EOF while reading string")),
                Some('"') => return Ok(out),
                Some('\\') => {
                    let escaped = self
                        .bump()
                        .ok_or_else(|| reader_error("EOF while reading string"))?;
                    out.push(match escaped {
                        't' => '\t',
                        'r' => '\r',
                        'n' => '\n',
                        '\\' => '\\',
                        '"' => '"',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'u' => self.code_point(16, 4, 4)?,
                        d if d.is_digit(8) => {
                            self.at -= 1;
                            let c = self.code_point(8, 1, 3)?;
                            if u32::from(c) > 0o377 {
                                return Err(reader_error(
                                    "Octal escape sequence must be in range [0, 377].",
                                ));
                            }
                            c
                        }
                        other => {
                            return Err(reader_error(format!(
                                "Unsupported escape character: \\{other}"
                            )))
                        }
                    });
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// `min..=max` digits in `radix` as a character.
    fn code_point(&mut self, radix: u32, min: usize, max: usize) -> R<char> {
        let digits: String = self.text[self.at..]
            .chars()
            .take(max)
            .take_while(|c| c.is_digit(radix))
            .collect();
        if digits.len() < min {
            return Err(reader_error(format!(
                "Invalid character length: {}, should be: {max}",
                digits.len()
            )));
        }
        self.at += digits.len();
        u32::from_str_radix(&digits, radix)
            .ok()
            .and_then(char::from_u32)
            .ok_or_else(|| reader_error(format!("Invalid unicode character: \\u{digits}")))
    }

    /// The raw text of a token.
    fn token(&mut self) -> &str {
        let start = self.at;
        while let Some(c) = self.peek() {
            if terminates(c) && !(self.at > start && c == '\'') {
                break;
            }
            self.bump();
        }
        &self.text[start..self.at]
    }

    /// A character literal after its backslash.
    fn character(&mut self) -> R {
        let start = self.at;
        let first = self
            .bump()
            .ok_or_else(|| reader_error("EOF while reading character"))?;
        while let Some(c) = self.peek() {
            if terminates(c) {
                break;
            }
            self.bump();
        }
        let token = &self.text[start..self.at];
        if token.chars().count() == 1 {
            return Ok(character(first));
        }
        let named = match token {
            "newline" => Some('\n'),
            "space" => Some(' '),
            "tab" => Some('\t'),
            "backspace" => Some('\u{8}'),
            "formfeed" => Some('\u{c}'),
            "return" => Some('\r'),
            _ => None,
        };
        if let Some(c) = named {
            return Ok(character(c));
        }
        let code = |digits: &str, radix| {
            u32::from_str_radix(digits, radix)
                .ok()
                .and_then(char::from_u32)
        };
        match (first, token.get(1..)) {
            ('u', Some(digits)) if digits.len() == 4 => code(digits, 16)
                .map(character)
                .ok_or_else(|| reader_error(format!("Invalid unicode character: \\{token}"))),
            ('o', Some(digits)) if (1..=3).contains(&digits.len()) => code(digits, 8)
                .filter(|c| u32::from(*c) <= 0o377)
                .map(character)
                .ok_or_else(|| reader_error("Octal escape sequence must be in range [0, 377].")),
            _ => Err(reader_error(format!("Unsupported character: \\{token}"))),
        }
    }

    /// A number, symbol, keyword, nil, true or false.
    fn token_form(&mut self) -> R {
        let token = self.token().to_string();
        let starts_number = token
            .strip_prefix(['+', '-'])
            .unwrap_or(&token)
            .starts_with(|c: char| c.is_ascii_digit());
        if starts_number {
            return number(&token).ok_or_else(|| {
                error(
                    "java.lang.NumberFormatException",
                    format!("Invalid number: {token}"),
                )
            });
        }
        let invalid = || reader_error(format!("Invalid token: {token}"));
        match token.as_str() {
            "nil" => return Ok(nil()),
            "true" => return Ok(boolean(true)),
            "false" => return Ok(boolean(false)),
            "" | ":" | "::" => return Err(invalid()),
            _ => {}
        }
        if token.ends_with(':') || token.contains("::") && !token.starts_with("::") {
            return Err(invalid());
        }
        if let Some(auto) = token.strip_prefix("::") {
            let (alias, name) = crate::object::split_qualified(auto);
            let ns = match alias {
                None => "user".to_string(),
                Some(alias) => {
                    super::namespaces::alias_target("user", alias).ok_or_else(invalid)?
                }
            };
            return Ok(keyword(Some(&ns), name));
        }
        if let Some(name) = token.strip_prefix(':') {
            let (ns, name) = crate::object::split_qualified(name);
            if name.is_empty() {
                return Err(invalid());
            }
            return Ok(keyword(ns, name));
        }
        let (ns, name) = crate::object::split_qualified(&token);
        if name.is_empty() && ns.is_some() {
            return Err(invalid());
        }
        Ok(symbol(ns, name))
    }

    /// What follows `#`.
    fn hash_dispatch(&mut self) -> R<Option<Obj>> {
        let Some(c) = self.peek() else {
            return Err(eof());
        };
        Ok(Some(match c {
            '{' => {
                self.bump();
                let items = self.until('}')?;
                let mut set = Set::empty();
                for item in items {
                    if set.contains(item)? {
                        return Err(illegal_argument(format!(
                            "Duplicate key: {}",
                            crate::print::str_of(item)?
                        )));
                    }
                    set.insert(item)?;
                }
                set_obj(set)
            }
            '_' => {
                self.bump();
                self.required()?;
                return Ok(None);
            }
            '\'' => {
                self.bump();
                let form = self.required()?;
                crate::seq::list_of(&[symbol(None, "var"), form])
            }
            '"' => {
                self.bump();
                let source = self.regex_body()?;
                crate::regex::pattern(&source)?
            }
            '#' => {
                self.bump();
                match self.token() {
                    "Inf" => crate::object::double(f64::INFINITY),
                    "-Inf" => crate::object::double(f64::NEG_INFINITY),
                    "NaN" => crate::object::double(f64::NAN),
                    other => return Err(reader_error(format!("Unknown symbolic value: {other}"))),
                }
            }
            ':' => {
                self.bump();
                let ns = self.token().to_string();
                self.skip_blank();
                if self.bump() != Some('{') {
                    return Err(reader_error("Namespaced map must specify a map"));
                }
                let ns = match ns.strip_prefix(':') {
                    Some("") => "user".to_string(),
                    Some(alias) => {
                        super::namespaces::alias_target("user", alias).ok_or_else(|| {
                            reader_error(format!("Unknown auto-resolved namespace alias: {alias}"))
                        })?
                    }
                    None => ns,
                };
                self.map(Some(&ns))?
            }
            '=' => {
                let allowed = crate::var::find("clojure.core", "*read-eval*")
                    .and_then(crate::var::current)
                    .is_some_and(truthy);
                return Err(reader_error(if allowed {
                    "read-string: #= is not supported here (a page has no eval)"
                } else {
                    "EvalReader not allowed when *read-eval* is false."
                }));
            }
            '?' => return Err(reader_error("Conditional read not allowed")),
            '(' => return Err(reader_error("read-string: #() is not supported here")),
            '!' => {
                while !matches!(self.bump(), Some('\n') | None) {}
                return Ok(None);
            }
            _ => {
                let tag = self.required()?;
                let Object::Symbol(name) = &*tag else {
                    return Err(reader_error("Reader tag must be a symbol"));
                };
                let name = name.qualified();
                let form = self.required()?;
                return self.tagged(&name, tag, form).map(Some);
            }
        }))
    }

    /// A regex literal's source after `#"`.
    fn regex_body(&mut self) -> R<String> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(reader_error("EOF while reading regex")),
                Some('"') => return Ok(out),
                Some('\\') => {
                    out.push('\\');
                    out.push(
                        self.bump()
                            .ok_or_else(|| reader_error("EOF while reading regex"))?,
                    );
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// `#tag form`: `*data-readers*`'s fn for it, `#inst`, `#uuid`, else
    /// `*default-data-reader-fn*`.
    fn tagged(&mut self, name: &str, tag: Obj, form: Obj) -> R {
        let dynamic = |var: &str| {
            crate::var::find("clojure.core", var)
                .and_then(crate::var::current)
                .unwrap_or_else(nil)
        };
        let reader = super::colls::get(dynamic("*data-readers*"), tag, nil())?;
        if !reader.is_nil() {
            return call(reader, &[form]);
        }
        if name == "inst" {
            let Object::Str(text) = &*form else {
                return Err(reader_error(
                    "Instance literal expects a string for its timestamp.",
                ));
            };
            return jank_runtime_abi::java_instant::parse(text)
                .map(|ms| alloc(Object::Inst(ms)))
                .map_err(|e| crate::error::error("java.lang.RuntimeException", e.to_string()));
        }
        if name == "uuid" {
            let Object::Str(text) = &*form else {
                return Err(reader_error("UUID literal must be a string"));
            };
            return jank_runtime_abi::java_uuid::Uuid::parse(text)
                .map(|uuid| alloc(Object::Uuid(uuid)))
                .ok_or_else(|| illegal_argument(format!("Invalid UUID string: {text}")));
        }
        let default = dynamic("*default-data-reader-fn*");
        if !default.is_nil() {
            return call(default, &[tag, form]);
        }
        Err(reader_error(format!("No reader function for tag {name}")))
    }
}

/// A number token as Clojure reads it: longs (decimal, `0x`, octal,
/// `NrDIGITS`), BigInts (`N` or too big for a long), ratios, doubles and
/// BigDecimals (`M`); None when it is not one.
fn number(token: &str) -> Option<Obj> {
    let (negative, body) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token.strip_prefix('+').unwrap_or(token)),
    };
    let signed = |magnitude: BigInt| if negative { -magnitude } else { magnitude };
    let integer = |digits: &str, radix: u32, big: bool| -> Option<Obj> {
        if digits.is_empty() {
            return None;
        }
        let value = signed(BigInt::parse_bytes(digits.as_bytes(), radix)?);
        Some(match (big, i64::try_from(&value)) {
            (false, Ok(long)) => boxed(Num::Int(long)),
            _ => boxed(Num::BigInt(value)),
        })
    };
    if let Some((numerator, denominator)) = body.split_once('/') {
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(numerator) || !all_digits(denominator) {
            return None;
        }
        let n = signed(numerator.parse().ok()?);
        // An integral ratio reads as a long when it fits (Numbers.reduceBigInt).
        return make_ratio(n, denominator.parse().ok()?)
            .ok()
            .map(|ratio| match ratio {
                Num::BigInt(b) => i64::try_from(&b).map_or(Num::BigInt(b), Num::Int),
                other => other,
            })
            .map(boxed);
    }
    let (digits, big) = match body.strip_suffix('N') {
        Some(digits) => (digits, true),
        None => (body, false),
    };
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        return integer(hex, 16, big);
    }
    if let Some((radix, rest)) = digits.split_once(['r', 'R']) {
        if radix.starts_with('0') {
            return None;
        }
        let radix: u32 = radix.parse().ok().filter(|r| (2..=36).contains(r))?;
        return integer(rest, radix, big);
    }
    if digits.bytes().all(|b| b.is_ascii_digit()) {
        return match digits.strip_prefix('0') {
            Some(octal) if !octal.is_empty() => integer(octal, 8, big),
            _ => integer(digits, 10, big),
        };
    }
    if big {
        return None;
    }
    if let Some(decimal) = body.strip_suffix('M') {
        return crate::number::parse_decimal(decimal)
            .map(|d| boxed(Num::Decimal(if negative { -d } else { d })));
    }
    let float_syntax = {
        let (mantissa, exponent) = match body.split_once(['e', 'E']) {
            Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
            None => (body, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        !whole.is_empty()
            && digits(whole)
            && digits(fraction)
            && exponent.is_none_or(|e| !e.is_empty() && digits(e))
    };
    if !float_syntax {
        return None;
    }
    let value: f64 = body.parse().ok()?;
    Some(crate::object::double(if negative { -value } else { value }))
}

/// The first form of `source` (which starts on `first_line` of a
/// line-numbering stream), or `eof_value` (an EOF error when None), and how
/// many bytes reading it took.
fn read_from(source: &str, first_line: Option<usize>, eof_value: Option<Obj>) -> R<(Obj, usize)> {
    let mut reader = Reader {
        text: source,
        at: 0,
        first_line,
    };
    match reader.next()? {
        Some(form) => Ok((form, reader.at)),
        None => eof_value.map(|value| (value, reader.at)).ok_or_else(eof),
    }
}

/// What reading a stream throws for any failure, as LispReader wraps it:
/// a ReaderException whose message is the cause's class and message.
fn reader_exception(thrown: crate::error::Thrown) -> crate::error::Thrown {
    let described = match &*thrown.0 {
        Object::Exception(e) => {
            crate::print::str_of(thrown.0).unwrap_or_else(|_| e.class.to_string())
        }
        _ => return thrown,
    };
    error("clojure.lang.LispReader$ReaderException", described)
}

/// `(read)`, `(read stream)`, `(read stream eof-error? eof-value)` and
/// `(read opts stream)`: the next form of `*in*` (the only stream here);
/// with `read+string`, also the text it was read from.
fn read_stream(args: &[Obj], with_text: bool) -> R {
    let (stream, eof_value) = match args {
        [] => (None, None),
        [stream] => (Some(*stream), None),
        [opts, stream] if matches!(**opts, Object::Map(_)) => {
            let eof = super::colls::get(*opts, keyword(None, "eof"), keyword(None, "eofthrow"))?;
            (
                Some(*stream),
                (!eof.identical(keyword(None, "eofthrow"))).then_some(eof),
            )
        }
        [stream, eof_error, eof_value, ..] => {
            (Some(*stream), (!truthy(*eof_error)).then_some(*eof_value))
        }
        _ => {
            return Err(illegal_argument(
                "read takes a stream, or opts and a stream",
            ))
        }
    };
    if let Some(stream) = stream {
        if !matches!(*stream, Object::Stream(crate::object::Stream::In)) {
            return Err(crate::error::class_cast(stream, "java.io.PushbackReader"));
        }
    }
    let (form, consumed) = super::input::with_rest(|rest, line| {
        let (form, used) = read_from(rest, Some(line), eof_value).map_err(reader_exception)?;
        Ok(((form, rest[..used].to_string()), used))
    })?;
    if with_text {
        Ok(vector_obj([form, string(consumed.trim_start())]))
    } else {
        Ok(form)
    }
}

pub(super) fn install() {
    core("read-string", 1, 2, |_, a| {
        let source = text(a.last().expect("arity 1..=2"))?;
        let eof_value = match a {
            [opts, _] => {
                let eof =
                    super::colls::get(*opts, keyword(None, "eof"), keyword(None, "eofthrow"))?;
                (!eof.identical(keyword(None, "eofthrow"))).then_some(eof)
            }
            _ => None,
        };
        read_from(source, None, eof_value).map(|(form, _)| form)
    });
    core("read", 0, 4, |_, a| read_stream(a, false));
    core("read+string", 0, 4, |_, a| read_stream(a, true));
}
