//! A test-only reader and evaluator for a small Clojure subset (literals,
//! calls, `quote`, `do`, `if`, `when`, `let`, single-arity `fn` and `#(...)`,
//! `lazy-seq` and `delay` (as jank.runtime fns of a thunk),
//! `try`/`catch`, `throw`), so tests can be written as Clojure source and
//! compared with what Clojure 1.11 prints. `#"..."` reads as a plain string.

use crate::coll::{map_obj, set_obj, vector_obj, Map, Set};
use crate::error::{illegal_argument, Thrown, R};
use crate::function::{call, native, VARIADIC};
use crate::object::{
    boolean, character, double, int, keyword, nil, string, symbol, truthy, Obj, Object,
};
use crate::seq::{list_of, to_vec};

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
    /// Inside `#(...)`: the highest `%n` seen and whether `%&` was.
    anonymous: Option<(usize, bool)>,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b",()[]{}\"".contains(&b)
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while self.pos < self.text.len()
            && (self.text[self.pos].is_ascii_whitespace() || self.text[self.pos] == b',')
        {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> &str {
        let start = self.pos;
        while self.pos < self.text.len() && !is_delimiter(self.text[self.pos]) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.text[start..self.pos]).expect("test source is UTF-8")
    }

    fn until(&mut self, close: u8) -> R<Vec<Obj>> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.pos >= self.text.len() {
                return Err(illegal_argument("EOF in a collection"));
            }
            if self.text[self.pos] == close {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.read()?);
        }
    }

    fn string(&mut self) -> String {
        let mut out = Vec::new();
        while self.text[self.pos] != b'"' {
            let b = self.text[self.pos];
            self.pos += 1;
            if b == b'\\' {
                let e = self.text[self.pos];
                self.pos += 1;
                out.push(match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    other => other,
                });
            } else {
                out.push(b);
            }
        }
        self.pos += 1;
        String::from_utf8(out).expect("test strings are UTF-8")
    }

    fn read(&mut self) -> R {
        self.skip_space();
        let b = self.text[self.pos];
        self.pos += 1;
        match b {
            b'(' => Ok(list_of(&self.until(b')')?)),
            b'[' => Ok(vector_obj(self.until(b']')?)),
            b'{' => {
                let items = self.until(b'}')?;
                Ok(map_obj(Map::from_pairs(
                    items.chunks_exact(2).map(|p| (p[0], p[1])),
                    true,
                )?))
            }
            b'"' => Ok(string(self.string())),
            b'\'' => Ok(list_of(&[symbol(None, "quote"), self.read()?])),
            b'@' => Ok(list_of(&[symbol(None, "deref"), self.read()?])),
            b'\\' => {
                let rest =
                    std::str::from_utf8(&self.text[self.pos..]).expect("test source is UTF-8");
                let first = rest.chars().next().expect("a char after \\");
                if !first.is_alphabetic() {
                    self.pos += first.len_utf8();
                    return Ok(character(first));
                }
                Ok(character(match self.token() {
                    "newline" => '\n',
                    "space" => ' ',
                    "tab" => '\t',
                    _ => first,
                }))
            }
            b'#' => match self.text[self.pos] {
                b'{' => {
                    self.pos += 1;
                    Ok(set_obj(Set::from_items(self.until(b'}')?)?))
                }
                b'"' => {
                    self.pos += 1;
                    Ok(string(self.string()))
                }
                b'#' => {
                    self.pos += 1;
                    Ok(double(match self.token() {
                        "Inf" => f64::INFINITY,
                        "-Inf" => f64::NEG_INFINITY,
                        _ => f64::NAN,
                    }))
                }
                b'(' => {
                    self.pos += 1;
                    let outer = self.anonymous.replace((0, false));
                    let body = list_of(&self.until(b')')?);
                    let (count, rest) = self.anonymous.take().expect("set above");
                    self.anonymous = outer;
                    let mut params: Vec<Obj> = (1..=count)
                        .map(|i| symbol(None, &format!("%{i}")))
                        .collect();
                    if rest {
                        params.push(symbol(None, "&"));
                        params.push(symbol(None, "%&"));
                    }
                    Ok(list_of(&[symbol(None, "fn"), vector_obj(params), body]))
                }
                _ => Err(illegal_argument("unsupported # form")),
            },
            _ => {
                self.pos -= 1;
                let token = self.token().to_string();
                self.atom(&token)
            }
        }
    }

    fn atom(&mut self, token: &str) -> R {
        if let Some(name) = token.strip_prefix(':') {
            let (ns, name) = crate::object::split_qualified(name);
            return Ok(keyword(ns, name));
        }
        let numeric = token.starts_with(|c: char| c.is_ascii_digit())
            || (token.len() > 1
                && token.starts_with(['-', '+'])
                && token[1..].starts_with(|c: char| c.is_ascii_digit()));
        if numeric {
            if let Some(digits) = token.strip_suffix('N') {
                return Ok(crate::object::alloc(Object::BigInt(Box::new(
                    digits.parse().expect("a BigInt literal"),
                ))));
            }
            if let Some((n, d)) = token.split_once('/') {
                let ratio = crate::number::make_ratio(
                    n.parse().expect("numerator"),
                    d.parse().expect("denominator"),
                )?;
                return Ok(crate::number::boxed(ratio));
            }
            return Ok(match token.parse::<i64>() {
                Ok(i) => int(i),
                Err(_) => double(token.parse().expect("a number")),
            });
        }
        Ok(match token {
            "nil" => nil(),
            "true" => boolean(true),
            "false" => boolean(false),
            _ => {
                if let Some((count, rest)) = &mut self.anonymous {
                    match token {
                        "%" => {
                            *count = (*count).max(1);
                            return Ok(symbol(None, "%1"));
                        }
                        "%&" => *rest = true,
                        _ => {
                            if let Some(n) = token
                                .strip_prefix('%')
                                .and_then(|n| n.parse::<usize>().ok())
                            {
                                *count = (*count).max(n);
                            }
                        }
                    }
                }
                let (ns, name) = crate::object::split_qualified(token);
                symbol(ns, name)
            }
        })
    }
}

/// Reads every form of `text`.
pub fn read_all(text: &str) -> R<Vec<Obj>> {
    let mut reader = Reader {
        text: text.as_bytes(),
        pos: 0,
        anonymous: None,
    };
    let mut forms = Vec::new();
    loop {
        reader.skip_space();
        if reader.pos >= reader.text.len() {
            return Ok(forms);
        }
        forms.push(reader.read()?);
    }
}

fn symbol_name(form: Obj) -> Option<(Option<String>, String)> {
    match &*form {
        Object::Symbol(n) => Some((n.ns.as_deref().map(String::from), n.name.to_string())),
        _ => None,
    }
}

fn resolve(form: Obj, env: Obj) -> R {
    let Object::Map(locals) = &*env else {
        unreachable!("env is a map")
    };
    if let Some((_, value)) = locals.find(form)? {
        return Ok(value);
    }
    let (ns, name) = symbol_name(form).expect("resolve gets symbols");
    let ns = match ns.as_deref() {
        None => "clojure.core",
        Some("str" | "string") => "clojure.string",
        Some("set") => "clojure.set",
        Some(other) => other,
    };
    let var = crate::var::find(ns, &name)
        .ok_or_else(|| illegal_argument(format!("Unable to resolve symbol: {ns}/{name}")))?;
    crate::var::deref(var)
}

fn bind(env: Obj, name: Obj, value: Obj) -> R {
    crate::core::colls::assoc(env, name, value)
}

fn eval_body(forms: &[Obj], env: Obj) -> R {
    let mut result = nil();
    for form in forms {
        result = eval(*form, env)?;
    }
    Ok(result)
}

/// A fn of `params` and `body` closing over `env`; `name`, when a symbol, is
/// bound to the fn itself inside (through the atom `holder`).
fn make_fn(params: Obj, body: Obj, env: Obj, name: Obj) -> Obj {
    let holder = crate::object::alloc(Object::Volatile(std::cell::Cell::new(nil())));
    let f = native(
        "user/fn",
        0,
        VARIADIC,
        &[params, body, env, name, holder],
        |d, args| {
            let params = to_vec(d[0])?;
            let mut env = d[2];
            if let Object::Volatile(cell) = &*d[4] {
                if !d[3].is_nil() {
                    env = bind(env, d[3], cell.get())?;
                }
            }
            let mut i = 0;
            while i < params.len() {
                if symbol_name(params[i]).is_some_and(|(_, n)| n == "&") {
                    let rest = if i < args.len() {
                        crate::seq::seq_of(args[i..].to_vec())
                    } else {
                        nil()
                    };
                    env = bind(env, params[i + 1], rest)?;
                    break;
                }
                let arg = *args
                    .get(i)
                    .ok_or_else(|| crate::error::arity(args.len(), "user/fn"))?;
                env = bind(env, params[i], arg)?;
                i += 1;
            }
            if args.len() > i
                && !params
                    .iter()
                    .any(|p| symbol_name(*p).is_some_and(|(_, n)| n == "&"))
            {
                return Err(crate::error::arity(args.len(), "user/fn"));
            }
            eval_body(&to_vec(d[1])?, env)
        },
    );
    if let Object::Volatile(cell) = &*holder {
        cell.set(f);
    }
    f
}

/// Evaluates `form` with the locals map `env`.
pub fn eval(form: Obj, env: Obj) -> R {
    match &*form {
        Object::Symbol(_) => resolve(form, env),
        Object::Vector(v) => Ok(vector_obj(
            v.0.iter().map(|x| eval(*x, env)).collect::<R<Vec<_>>>()?,
        )),
        Object::Map(m) => {
            let pairs = m
                .entries()
                .into_iter()
                .map(|(k, v)| Ok((eval(k, env)?, eval(v, env)?)))
                .collect::<R<Vec<_>>>()?;
            Ok(map_obj(Map::from_pairs(pairs, true)?))
        }
        Object::Set(s) => Ok(set_obj(Set::from_items(
            s.items()
                .into_iter()
                .map(|x| eval(x, env))
                .collect::<R<Vec<_>>>()?,
        )?)),
        Object::List(_) => {
            let items = to_vec(form)?;
            let special = symbol_name(items[0])
                .filter(|(ns, _)| ns.is_none())
                .map(|(_, n)| n);
            match special.as_deref() {
                Some("quote") => Ok(items[1]),
                Some("do") => eval_body(&items[1..], env),
                Some("if") => {
                    if truthy(eval(items[1], env)?) {
                        eval(items[2], env)
                    } else {
                        items.get(3).map_or(Ok(nil()), |e| eval(*e, env))
                    }
                }
                Some("when") => {
                    if truthy(eval(items[1], env)?) {
                        eval_body(&items[2..], env)
                    } else {
                        Ok(nil())
                    }
                }
                Some("let") => {
                    let bindings = to_vec(items[1])?;
                    let mut env = env;
                    for pair in bindings.chunks(2) {
                        let value = eval(pair[1], env)?;
                        env = bind(env, pair[0], value)?;
                    }
                    eval_body(&items[2..], env)
                }
                Some("fn") => {
                    let (name, params, body) = if let Object::Vector(_) = &*items[1] {
                        (nil(), items[1], &items[2..])
                    } else {
                        (items[1], items[2], &items[3..])
                    };
                    Ok(make_fn(params, list_of(body), env, name))
                }
                Some(name @ ("lazy-seq" | "delay")) => {
                    let thunk = make_fn(vector_obj([]), list_of(&items[1..]), env, nil());
                    call(resolve(symbol(Some("jank.runtime"), name), env)?, &[thunk])
                }
                Some("throw") => Err(Thrown(eval(items[1], env)?)),
                Some("try") => {
                    let (body, handler) = match items.last().map(|last| to_vec(*last)) {
                        Some(Ok(clause))
                            if clause
                                .first()
                                .and_then(|h| symbol_name(*h))
                                .is_some_and(|(_, n)| n == "catch") =>
                        {
                            (&items[1..items.len() - 1], Some(clause))
                        }
                        _ => (&items[1..], None),
                    };
                    match (eval_body(body, env), handler) {
                        (Err(Thrown(e)), Some(clause)) => {
                            eval_body(&clause[3..], bind(env, clause[2], e)?)
                        }
                        (result, _) => result,
                    }
                }
                _ => {
                    let f = eval(items[0], env)?;
                    let args = items[1..]
                        .iter()
                        .map(|x| eval(*x, env))
                        .collect::<R<Vec<_>>>()?;
                    call(f, &args)
                }
            }
        }
        _ => Ok(form),
    }
}

/// Evaluates every form of `source` in an empty environment.
pub fn eval_source(source: &str) -> R {
    let env = map_obj(Map::empty());
    let mut result = nil();
    for form in read_all(source)? {
        result = eval(form, env)?;
    }
    Ok(result)
}
