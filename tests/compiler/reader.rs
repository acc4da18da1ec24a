//! The reader against every piece of syntax it supports: what each reads as
//! (printed canonically), that printing reads back the same forms, the exact
//! position and message of every read error, and property tests over random
//! forms and random text.

use jankwasm::read::{
    read_all, Form, FormKind, Name, PlainEnv, ReadEnv, ReadError, Reader, MAX_DEPTH,
    MAX_SYNTAX_QUOTE_DEPTH,
};
use jankwasm::source::Pos;
use pretty_assertions::assert_eq;
use proptest::prelude::*;

fn env() -> PlainEnv {
    PlainEnv::new()
        .with_core_names(["let", "map", "list", "+"])
        .with_alias("set", "clojure.set")
}

fn read(text: &str) -> Vec<Form> {
    match read_all(text, &env()) {
        Ok(forms) => forms,
        Err(error) => panic!("reading {text:?} failed at {}: {error}", error.pos),
    }
}

fn read_one(text: &str) -> Form {
    let mut forms = read(text);
    assert_eq!(forms.len(), 1, "{text:?} should read as one form");
    forms.remove(0)
}

fn print_all(forms: &[Form]) -> String {
    forms
        .iter()
        .map(Form::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

fn same_forms(a: &[Form], b: &[Form]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignoring_positions(y))
}

/// `text` reads as forms printing as `expected`, and that printed text reads
/// back as the same forms.
#[track_caller]
fn assert_reads(text: &str, expected: &str) {
    let forms = read(text);
    let printed = print_all(&forms);
    assert_eq!(printed, expected, "reading {text:?}");
    let reread = read(&printed);
    assert!(
        same_forms(&forms, &reread),
        "{printed:?} read back differently: {reread:?}"
    );
}

/// The error reading `text` fails with, as `line:col: message`.
fn read_error(text: &str) -> String {
    match read_all(text, &env()) {
        Ok(forms) => panic!("expected {text:?} to fail, read {}", print_all(&forms)),
        Err(ReadError { pos, kind }) => format!("{pos}: {kind}"),
    }
}

#[track_caller]
fn assert_error(text: &str, expected: &str) {
    assert_eq!(read_error(text), expected, "reading {text:?}");
}

// ---------------------------------------------------------------- collections

#[test]
fn collections() {
    assert_reads("(1 [2 {:a 3}] #{4})", "(1 [2 {:a 3}] #{4})");
    assert_reads("() [] {} #{}", "()\n[]\n{}\n#{}");
    assert_reads("{:a 1 :b 2}", "{:a 1, :b 2}");
    assert_reads("[1,2,,3]", "[1 2 3]");
    assert_reads("(a\n  b\t\r\n  c)", "(a b c)");
    assert_reads("(((x)))", "(((x)))");
}

#[test]
fn comments_and_discard() {
    assert_reads("; a comment\n(a ; another\n b)", "(a b)");
    assert_reads("#!/usr/bin/env jank\n(a)", "(a)");
    assert_reads("(a #! rest of line\n b)", "(a b)");
    assert_reads("(a #_ b c)", "(a c)");
    assert_reads("(a #_#_ b c d)", "(a d)");
    assert_reads("#_ (x) y", "y");
    assert_reads("[#_[1 2]]", "[]");
    assert_reads("#_x", "");
    assert_reads("; only a comment", "");
    assert_reads("", "");
}

// ---------------------------------------------------------------- atoms

#[test]
fn strings() {
    assert_reads(r#""hello""#, r#""hello""#);
    assert_reads(r#""a\"b\\c""#, r#""a\"b\\c""#);
    assert_reads(r#""\n\t\r\b\f""#, r#""\n\t\r\b\f""#);
    assert_reads(r#""\u0041\u00e9""#, r#""Aé""#);
    assert_reads(r#""\uD83D\uDE00""#, "\"\u{1F600}\"");
    assert_reads(r#""\101\0\377""#, "\"A\\u0000\u{ff}\"");
    assert_reads("\"line one\nline two\"", r#""line one\nline two""#);
    assert_reads("\"\u{1}\"", r#""\u0001""#);
    assert_eq!(read_one(r#""\7a""#).kind, FormKind::Str("\u{7}a".into()));
}

#[test]
fn characters() {
    assert_reads(
        r"\a \Z \é \( \; \\ \, \u \o",
        r"\a
\Z
\é
\(
\;
\\
\,
\u
\o",
    );
    assert_reads(
        r"\newline \space \tab \backspace \formfeed \return",
        r"\newline
\space
\tab
\backspace
\formfeed
\return",
    );
    assert_reads(r"\u0041 \u00e9 \o101 \o0", "\\A\n\\é\n\\A\n\\u0000");
    assert_reads(r"[\a\b]", r"[\a \b]");
    assert_reads(r"(\a)", r"(\a)");
    assert_eq!(read_one(r"\u00a0").kind, FormKind::Char('\u{a0}'));
    assert_reads(r"\u00a0", r"\u00a0");
}

#[test]
fn integers() {
    assert_reads("0 42 -42 +7", "0\n42\n-42\n7");
    assert_reads("0x2A 0X2a -0x10", "42\n42\n-16");
    assert_reads("017 -017 00", "15\n-15\n0");
    assert_reads("2r1010 -2r11 36rZZ 8R17", "10\n-3\n1295\n15");
    assert_reads("7N -7N 0x10N", "7N\n-7N\n16N");
    assert_reads(
        "9223372036854775807 -9223372036854775808",
        "9223372036854775807\n-9223372036854775808",
    );
    assert_reads("9223372036854775808", "9223372036854775808N");
    assert_reads("-99999999999999999999", "-99999999999999999999N");
    assert_eq!(
        read_one("9223372036854775808").kind,
        FormKind::BigInt("9223372036854775808".into())
    );
    assert_eq!(read_one("42N").kind, FormKind::BigInt("42".into()));
}

#[test]
fn doubles_and_decimals() {
    assert_reads(
        "1.5 -1.5 1e10 1.5E-3 1. 0.0 -0.0",
        "1.5\n-1.5\n10000000000.0\n0.0015\n1.0\n0.0\n-0.0",
    );
    assert_reads("1e300 1.5e-7", "1e300\n1.5e-7");
    assert_reads("##Inf ##-Inf ##NaN", "##Inf\n##-Inf\n##NaN");
    assert_reads("1.5M -2M 1e3M", "1.5M\n-2M\n1e3M");
    assert_eq!(read_one("1.5M").kind, FormKind::BigDecimal("1.5".into()));
    assert_eq!(read_one("1.").kind, FormKind::Double(1.0));
    assert!(matches!(read_one("##NaN").kind, FormKind::Double(x) if x.is_nan()));
}

#[test]
fn ratios() {
    assert_reads("1/2 -3/6 4/2 +6/4 0/7", "1/2\n-1/2\n2\n3/2\n0");
    assert_eq!(read_one("-3/6").kind, FormKind::Ratio(-1, 2));
    assert_eq!(read_one("4/2").kind, FormKind::Int(2));
}

#[test]
fn keywords() {
    assert_reads(":k :ns/k :a.b/c-d :1 :/", ":k\n:ns/k\n:a.b/c-d\n:1\n:/");
    assert_reads("::k", ":user/k");
    assert_reads("::set/union", ":clojure.set/union");
    assert_eq!(
        read_one(":ns/k").kind,
        FormKind::Keyword(Name::qualified("ns", "k"))
    );
    assert_eq!(
        read_one("::k").kind,
        FormKind::Keyword(Name::qualified("user", "k"))
    );
}

#[test]
fn symbols() {
    assert_reads(
        "a / clojure.core// a.b/c .method Foo. a-b? *x* <=> x# a'b a%b %",
        "a\n/\nclojure.core//\na.b/c\n.method\nFoo.\na-b?\n*x*\n<=>\nx#\na'b\na%b\n%",
    );
    assert_reads("(% %1 %&)", "(% %1 %&)");
    assert_reads("- + -a +a -. ->", "-\n+\n-a\n+a\n-.\n->");
    assert_eq!(
        read_one("clojure.core//").kind,
        FormKind::Symbol(Name::qualified("clojure.core", "/"))
    );
    assert_eq!(
        read_one("a.b/c").kind,
        FormKind::Symbol(Name::qualified("a.b", "c"))
    );
    assert_eq!(read_one("/").kind, FormKind::Symbol(Name::bare("/")));
}

#[test]
fn nil_and_booleans() {
    assert_eq!(read_one("nil").kind, FormKind::Nil);
    assert_eq!(read_one("true").kind, FormKind::Bool(true));
    assert_eq!(read_one("false").kind, FormKind::Bool(false));
    assert_reads("[nil true false nil? truex]", "[nil true false nil? truex]");
}

#[test]
fn tokens_end_at_terminating_macros() {
    assert_reads("a@b", "a\n(clojure.core/deref b)");
    assert_reads("a\\b", "a\n\\b");
    assert_reads("(a)b[c]", "(a)\nb\n[c]");
    assert_reads("1'a", "1\n(quote a)");
    assert_reads("a;b\nc", "a\nc");
}

// ---------------------------------------------------------------- reader macros

#[test]
fn quote_deref_var_unquote() {
    assert_reads("'x", "(quote x)");
    assert_reads("'(1 x)", "(quote (1 x))");
    assert_reads("''x", "(quote (quote x))");
    assert_reads("@x", "(clojure.core/deref x)");
    assert_reads("#'x", "(var x)");
    assert_reads("#'clojure.core/map", "(var clojure.core/map)");
    assert_reads("~x", "(clojure.core/unquote x)");
    assert_reads("~@x", "(clojure.core/unquote-splicing x)");
    assert_reads("~ @x", "(clojure.core/unquote (clojure.core/deref x))");
    assert_reads("' #_ a b", "(quote b)");
}

#[test]
fn syntax_quote_atoms() {
    assert_reads("`a", "(quote user/a)");
    assert_reads("`map", "(quote clojure.core/map)");
    assert_reads("`set/union", "(quote clojure.set/union)");
    assert_reads("`other/x", "(quote other/x)");
    assert_reads("`clojure.core//", "(quote clojure.core//)");
    assert_reads("`if `def `fn* `let* `& `. `set! `recur", "(quote if)\n(quote def)\n(quote fn*)\n(quote let*)\n(quote &)\n(quote .)\n(quote set!)\n(quote recur)");
    assert_reads("`.method `Foo.", "(quote .method)\n(quote Foo.)");
    assert_reads(
        "`:k `::k `1 `1.5 `\"s\" `\\a `nil `true `false",
        ":k\n:user/k\n1\n1.5\n\"s\"\n\\a\nnil\ntrue\nfalse",
    );
    assert_reads("`#\"re\"", "(quote #\"re\")");
    assert_reads("`~x", "x");
    assert_reads("`~(f 1)", "(f 1)");
}

#[test]
fn syntax_quote_collections() {
    assert_reads(
        "`(a ~b ~@c)",
        "(clojure.core/seq (clojure.core/concat (clojure.core/list (quote user/a)) (clojure.core/list b) c))",
    );
    assert_reads("`()", "(clojure.core/list)");
    assert_reads(
        "`[a ~b]",
        "(clojure.core/apply clojure.core/vector (clojure.core/seq (clojure.core/concat (clojure.core/list (quote user/a)) (clojure.core/list b))))",
    );
    assert_reads(
        "`[]",
        "(clojure.core/apply clojure.core/vector (clojure.core/seq (clojure.core/concat)))",
    );
    assert_reads(
        "`{:a ~b}",
        "(clojure.core/apply clojure.core/hash-map (clojure.core/seq (clojure.core/concat (clojure.core/list :a) (clojure.core/list b))))",
    );
    assert_reads(
        "`#{a}",
        "(clojure.core/apply clojure.core/hash-set (clojure.core/seq (clojure.core/concat (clojure.core/list (quote user/a)))))",
    );
    assert_reads(
        "`(let [x ~@xs])",
        "(clojure.core/seq (clojure.core/concat (clojure.core/list (quote clojure.core/let)) (clojure.core/list (clojure.core/apply clojure.core/vector (clojure.core/seq (clojure.core/concat (clojure.core/list (quote user/x)) xs))))))",
    );
    assert_reads(
        "`'a",
        "(clojure.core/seq (clojure.core/concat (clojure.core/list (quote quote)) (clojure.core/list (quote user/a))))",
    );
}

#[test]
fn syntax_quote_gensyms() {
    assert_reads(
        "`(x# x# y#)",
        "(clojure.core/seq (clojure.core/concat (clojure.core/list (quote x__1__auto__)) (clojure.core/list (quote x__1__auto__)) (clojure.core/list (quote y__2__auto__))))",
    );
    // Each syntax-quote has its own gensyms; the counter runs on per reader.
    assert_reads("[`x# `x#]", "[(quote x__1__auto__) (quote x__2__auto__)]");
    let mut reader = Reader::new("`a# `a#");
    let first = reader
        .next_form(&env())
        .ok()
        .flatten()
        .map(|f| f.to_string());
    let second = reader
        .next_form(&env())
        .ok()
        .flatten()
        .map(|f| f.to_string());
    assert_eq!(first.as_deref(), Some("(quote a__1__auto__)"));
    assert_eq!(second.as_deref(), Some("(quote a__2__auto__)"));
    // Qualified symbols ending in # are not gensyms.
    assert_reads("`a/b#", "(quote a/b#)");
}

#[test]
fn nested_syntax_quote() {
    assert_reads(
        "`(a `b)",
        "(clojure.core/seq (clojure.core/concat (clojure.core/list (quote user/a)) (clojure.core/list (clojure.core/seq (clojure.core/concat (clojure.core/list (quote quote)) (clojure.core/list (quote user/b)))))))",
    );
    // As in Clojure: the inner syntax-quote leaves `~x`, which the outer unquotes.
    assert_reads("``~~x", "x");
    assert_reads(
        "`(a `(~~b))",
        "(clojure.core/seq (clojure.core/concat (clojure.core/list (quote user/a)) (clojure.core/list (clojure.core/seq (clojure.core/concat (clojure.core/list (quote clojure.core/seq)) (clojure.core/list (clojure.core/seq (clojure.core/concat (clojure.core/list (quote clojure.core/concat)) (clojure.core/list (clojure.core/seq (clojure.core/concat (clojure.core/list (quote clojure.core/list)) (clojure.core/list b))))))))))))",
    );
}

#[test]
fn syntax_quote_metadata() {
    assert_reads(
        "`^:m x",
        "(clojure.core/with-meta (quote user/x) (clojure.core/apply clojure.core/hash-map (clojure.core/seq (clojure.core/concat (clojure.core/list :m) (clojure.core/list true)))))",
    );
}

#[test]
fn syntax_quote_of_anonymous_fn() {
    assert_reads(
        "`#(f %)",
        "(clojure.core/seq (clojure.core/concat (clojure.core/list (quote fn*)) (clojure.core/list (clojure.core/apply clojure.core/vector (clojure.core/seq (clojure.core/concat (clojure.core/list (quote p1__1__2__auto__)))))) (clojure.core/list (clojure.core/seq (clojure.core/concat (clojure.core/list (quote user/f)) (clojure.core/list (quote p1__1__2__auto__)))))))",
    );
}

#[test]
fn metadata() {
    assert_reads("^:private x", "^{:private true} x");
    assert_reads("^{:a 1} [1]", "^{:a 1} [1]");
    assert_reads("^String x", "^{:tag String} x");
    assert_reads("^\"String\" x", "^{:tag \"String\"} x");
    assert_reads("^[long String] x", "^{:param-tags [long String]} x");
    assert_reads("^:a ^:b x", "^{:b true, :a true} x");
    assert_reads("^{:x 1} ^{:x 2 :y 3} s", "^{:x 1, :y 3} s");
    assert_reads("#^:a x", "^{:a true} x");
    assert_reads(
        "^:a (f) ^:a {} ^:a #{} ^:a 'x",
        "^{:a true} (f)\n^{:a true} {}\n^{:a true} #{}\n^{:a true} (quote x)",
    );
    assert_reads("^{} x", "x");
    assert_reads("(defn f ^:export [v] v)", "(defn f ^{:export true} [v] v)");
    let form = read_one("^:a ^String x");
    let meta = form.meta.as_deref().map(Form::to_string);
    assert_eq!(meta.as_deref(), Some("{:tag String, :a true}"));
    assert_eq!(
        form.pos,
        Pos::new(1, 13),
        "a form keeps its own position under metadata"
    );
}

#[test]
fn anonymous_fns() {
    assert_reads("#(+ % %)", "(fn* [p1__1#] (+ p1__1# p1__1#))");
    assert_reads("#(+ %1 %)", "(fn* [p1__1#] (+ p1__1# p1__1#))");
    assert_reads(
        "#(list %1 %3)",
        "(fn* [p1__1# p2__3# p3__2#] (list p1__1# p3__2#))",
    );
    assert_reads("#(apply f %&)", "(fn* [& rest__1#] (apply f rest__1#))");
    assert_reads(
        "#(f %2 %&)",
        "(fn* [p1__3# p2__1# & rest__2#] (f p2__1# rest__2#))",
    );
    assert_reads("#(f)", "(fn* [] (f))");
    assert_reads("#()", "(fn* [] ())");
    assert_reads("#(vector %)", "(fn* [p1__1#] (vector p1__1#))");
    assert_reads(
        "[#(f %) #(g %)]",
        "[(fn* [p1__1#] (f p1__1#)) (fn* [p1__2#] (g p1__2#))]",
    );
    assert_reads("#(f [%] {:k %})", "(fn* [p1__1#] (f [p1__1#] {:k p1__1#}))");
}

#[test]
fn regexes() {
    assert_reads(r#"#"a+b""#, r#"#"a+b""#);
    assert_reads(r#"#"\d+\.\"q\"""#, r#"#"\d+\.\"q\"""#);
    assert_eq!(
        read_one(r#"#"\d\"""#).kind,
        FormKind::Regex(r#"\d\""#.into())
    );
    assert_reads("#\"multi\nline\"", "#\"multi\nline\"");
}

#[test]
fn namespaced_maps() {
    assert_reads(
        "#:person{:name \"a\" :_/id 1 :other/x 2 b 3 \"s\" 4}",
        "{:person/name \"a\", :id 1, :other/x 2, person/b 3, \"s\" 4}",
    );
    assert_reads("#::{:a 1}", "{:user/a 1}");
    assert_reads("#:: {:a 1}", "{:user/a 1}");
    assert_reads("#::set{:a 1}", "{:clojure.set/a 1}");
    assert_reads("#:a.b {:c 1}", "{:a.b/c 1}");
    assert_reads("#:a{}", "{}");
}

#[test]
fn reader_conditionals() {
    assert_reads("#?(:clj 1 :jankwasm 2 :default 3)", "2");
    assert_reads("#?(:clj 1 :default 3)", "3");
    assert_reads("#?(:jank (cpp/f) :default 3)", "3");
    assert_reads("#?(:default 1 :jankwasm 2)", "1");
    assert_reads("#?(:clj 1)", "");
    assert_reads("#?(:jank 1)", "");
    assert_reads("[1 #?(:clj 2) 3]", "[1 3]");
    assert_reads("[1 #?@(:jankwasm [2 3]) 4]", "[1 2 3 4]");
    assert_reads("(f #?@(:clj [x] :jankwasm (a b)))", "(f a b)");
    assert_reads("{#?@(:jankwasm [:a 1])}", "{:a 1}");
    assert_reads("[#?@(:clj [1])]", "[]");
    assert_reads("#?(:jankwasm #?(:clj 1 :default 2))", "2");
    assert_reads("'#?(:jankwasm x)", "(quote x)");
    // Branches not chosen may hold other dialects' tagged literals.
    assert_reads("#?(:jank (#cpp (f x)) :cljs #js [1] :default 3)", "3");
    assert_reads("[#?@(:cljs [#js {} #uuid \"x\"] :default [4 5])]", "[4 5]");
    assert_error(
        "#?(:jankwasm #js [1])",
        "1:14: tagged literals are not supported: `#js` (jankwasm reads `#uuid` and `#inst` only)",
    );
    assert_error(
        "#?(:cljs #js)",
        "1:13: expected a form after `#`, found `)`",
    );
}

#[test]
fn duplicates_follow_clojure_equality() {
    assert_reads("{1 :a 1.0 :b}", "{1 :a, 1.0 :b}");
    assert_reads("#{##NaN ##NaN}", "#{##NaN ##NaN}");
    assert_reads("#{#\"a\" #\"a\"}", "#{#\"a\" #\"a\"}");
    assert_reads("#{:a ::a 'a}", "#{:a :user/a (quote a)}");
    assert_error("#{1 1N}", "1:5: duplicate element `1N` in set literal");
    assert_error(
        "#{[1 2] (1 2)}",
        "1:9: duplicate element `(1 2)` in set literal",
    );
    assert_error(
        "{{:a 1 :b 2} 1 {:b 2 :a 1} 2}",
        "1:16: duplicate key `{:b 2, :a 1}` in map literal",
    );
    assert_error("#{^:m x x}", "1:9: duplicate element `x` in set literal");
    assert_error("{0.0 1 -0.0 2}", "1:8: duplicate key `-0.0` in map literal");
}

// ---------------------------------------------------------------- positions

fn items(form: &Form) -> &[Form] {
    match &form.kind {
        FormKind::List(items) | FormKind::Vector(items) => items,
        _ => panic!("not a list or vector: {form}"),
    }
}

#[test]
fn forms_carry_the_position_of_their_first_character() {
    let form = read_one("(a\n  'b\n  #(c %)\n  @d #'e [f] \"é\" g)");
    assert_eq!(form.pos, Pos::new(1, 1));
    let parts = items(&form);
    assert_eq!(parts[0].pos, Pos::new(1, 2));
    // 'b
    assert_eq!(parts[1].pos, Pos::new(2, 3));
    assert_eq!(
        items(&parts[1])[0].pos,
        Pos::new(2, 3),
        "the synthesized quote"
    );
    assert_eq!(items(&parts[1])[1].pos, Pos::new(2, 4));
    // #(c %)
    let anon = &parts[2];
    assert_eq!(anon.pos, Pos::new(3, 3));
    assert_eq!(items(anon)[0].pos, Pos::new(3, 3), "fn*");
    assert_eq!(items(anon)[1].pos, Pos::new(3, 3), "the parameter vector");
    let body = &items(anon)[2];
    assert_eq!(body.pos, Pos::new(3, 4));
    assert_eq!(items(body)[1].pos, Pos::new(3, 7), "the % parameter use");
    // @d #'e [f]
    assert_eq!(parts[3].pos, Pos::new(4, 3));
    assert_eq!(items(&parts[3])[1].pos, Pos::new(4, 4));
    assert_eq!(parts[4].pos, Pos::new(4, 6));
    assert_eq!(items(&parts[5])[0].pos, Pos::new(4, 11));
    // columns count chars, not bytes
    assert_eq!(parts[7].pos, Pos::new(4, 18));
}

#[test]
fn syntax_quote_expansions_point_at_the_forms_they_rebuild() {
    let form = read_one("`(a\n  ~b)");
    assert_eq!(form.pos, Pos::new(1, 1));
    let concat = &items(&form)[1];
    let list_a = &items(concat)[1];
    assert_eq!(list_a.pos, Pos::new(1, 3));
    let quoted_a = &items(list_a)[1];
    assert_eq!(quoted_a.pos, Pos::new(1, 3));
    assert_eq!(items(quoted_a)[1].pos, Pos::new(1, 3));
    let list_b = &items(concat)[2];
    assert_eq!(list_b.pos, Pos::new(2, 3));
    assert_eq!(
        items(list_b)[1].pos,
        Pos::new(2, 4),
        "the unquoted expression itself"
    );
}

#[test]
fn sets_maps_and_reader_conditionals_positions() {
    let forms = read("#{x}\n #:a{:b 1}\n  #?(:jankwasm y)");
    assert_eq!(forms[0].pos, Pos::new(1, 1));
    assert_eq!(forms[1].pos, Pos::new(2, 2));
    assert_eq!(
        forms[2].pos,
        Pos::new(3, 16),
        "the chosen form keeps its own position"
    );
}

// ---------------------------------------------------------------- environment

struct NsEnv(&'static str);

impl ReadEnv for NsEnv {
    fn current_ns(&self) -> &str {
        self.0
    }
    fn resolve_alias(&self, alias: &str) -> Option<String> {
        (alias == "str").then(|| "clojure.string".to_string())
    }
    fn syntax_quote_symbol(&self, name: &Name) -> Name {
        Name::qualified(format!("{}-sq", self.0), name.name.clone())
    }
}

#[test]
fn each_form_reads_with_the_env_it_is_given() {
    let mut reader = Reader::new("::a ::a ::str/b `c");
    let mut next = |env: &dyn ReadEnv| match reader.next_form(env) {
        Ok(Some(form)) => form.to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(next(&NsEnv("one")), ":one/a");
    assert_eq!(next(&NsEnv("two")), ":two/a");
    assert_eq!(next(&NsEnv("two")), ":clojure.string/b");
    assert_eq!(next(&NsEnv("two")), "(quote two-sq/c)");
    assert_eq!(reader.next_form(&NsEnv("two")), Ok(None));
}

#[test]
fn plain_env_qualifies_like_a_user_namespace() {
    let env = env();
    assert_eq!(env.current_ns(), "user");
    assert_eq!(
        env.syntax_quote_symbol(&Name::bare("map")),
        Name::qualified("clojure.core", "map")
    );
    assert_eq!(
        env.syntax_quote_symbol(&Name::bare("foo")),
        Name::qualified("user", "foo")
    );
    assert_eq!(
        env.syntax_quote_symbol(&Name::qualified("set", "union")),
        Name::qualified("clojure.set", "union")
    );
    assert_eq!(env.resolve_alias("nope"), None);
}

// ---------------------------------------------------------------- errors

#[test]
fn unterminated_forms_point_at_their_opening() {
    assert_error(
        "(1 2",
        "1:1: unterminated list: end of input before its closing `)`",
    );
    assert_error(
        "[1",
        "1:1: unterminated vector: end of input before its closing `]`",
    );
    assert_error(
        "{:a 1",
        "1:1: unterminated map: end of input before its closing `}`",
    );
    assert_error(
        " #{1",
        "1:2: unterminated set: end of input before its closing `}`",
    );
    assert_error(
        "#(f",
        "1:1: unterminated anonymous function #(): end of input before its closing `)`",
    );
    assert_error(
        "#?(:jank",
        "1:1: unterminated reader conditional: end of input before its closing `)`",
    );
    assert_error(
        "#:a{:b",
        "1:1: unterminated namespaced map: end of input before its closing `}`",
    );
    assert_error(
        "x \"abc",
        "1:3: unterminated string: end of input before the closing `\"`",
    );
    assert_error(
        "\"abc\\",
        "1:1: unterminated string: end of input before the closing `\"`",
    );
    assert_error(
        "#\"abc",
        "1:1: unterminated regex: end of input before the closing `\"`",
    );
    assert_error(
        "#\"abc\\",
        "1:1: unterminated regex: end of input before the closing `\"`",
    );
    assert_error(
        "(a \\",
        "1:4: unterminated character literal: end of input after `\\`",
    );
    assert_error(
        "x\n  (a\n  [b",
        "3:3: unterminated vector: end of input before its closing `]`",
    );
}

#[test]
fn unmatched_delimiters() {
    assert_error(")", "1:1: unmatched delimiter `)`");
    assert_error("(a) ]", "1:5: unmatched delimiter `]`");
    assert_error("x\n}", "2:1: unmatched delimiter `}`");
    assert_error(
        "(a]",
        "1:3: unmatched delimiter `]`: expected `)` to close the list opened at 1:1",
    );
    assert_error(
        "[(a) }",
        "1:6: unmatched delimiter `}`: expected `]` to close the vector opened at 1:1",
    );
}

#[test]
fn uuid_literals_read_in_canonical_form() {
    assert_reads(
        "#uuid \"F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6\"",
        "#uuid \"f81d4fae-7dec-11d0-a765-00a0c91e6bf6\"",
    );
    assert_reads(
        "[#uuid \"00000000-0000-0000-0000-000000000000\" 1]",
        "[#uuid \"00000000-0000-0000-0000-000000000000\" 1]",
    );
}

#[test]
fn dispatch_errors() {
    assert_error("#<foo>", "1:1: unknown dispatch macro `#<`");
    assert_error("(a #=(b))", "1:4: unknown dispatch macro `#=`");
    assert_error("# x", "1:1: unknown dispatch macro `# `");
    assert_error(
        "#inst \"2020-02-30\"",
        "1:7: `#inst` needs an RFC 3339 timestamp string: failed: (<= 1 days (days-in-month months leap-year?))",
    );
    assert_error(
        "[#inst 2020]",
        "1:8: `#inst` needs an RFC 3339 timestamp string: found `2020`",
    );
    assert_error(
        "#inst \"2020-01-01 10:00\"",
        "1:7: `#inst` needs an RFC 3339 timestamp string: Unrecognized date/time syntax: 2020-01-01 10:00",
    );
    assert_error("(#inst)", "1:7: expected a form after `#inst`, found `)`");
    assert_error(
        "#uuid \"0\"",
        "1:7: `#uuid` needs a string of 8-4-4-4-12 hex digits, found \"0\"",
    );
    assert_error(
        "[#uuid :k]",
        "1:8: `#uuid` needs a string of 8-4-4-4-12 hex digits, found `:k`",
    );
    assert_error("(#uuid)", "1:7: expected a form after `#uuid`, found `)`");
    assert_error("#uuid", "1:1: end of input after `#uuid`: expected a form");
    assert_error(
        "#foo/bar 1",
        "1:1: tagged literals are not supported: `#foo/bar` (jankwasm reads `#uuid` and `#inst` only)",
    );
    assert_error(
        "##foo",
        "1:1: unknown symbolic value `##foo`: expected ##Inf, ##-Inf or ##NaN",
    );
    assert_error(
        "##",
        "1:1: unknown symbolic value `##`: expected ##Inf, ##-Inf or ##NaN",
    );
}

#[test]
fn prefixes_need_a_form() {
    for prefix in [
        "'", "^", "@", "#_", "~", "~@", "`", "#'", "#", "#^", "#?", "#?@", "#:",
    ] {
        assert_error(
            &format!("x {prefix}"),
            &format!("1:3: end of input after `{prefix}`: expected a form"),
        );
    }
    assert_error("^:a", "1:1: end of input after `^`: expected a form");
    assert_error("'#_x", "1:1: end of input after `'`: expected a form");
    assert_error("('a ')", "1:6: expected a form after `'`, found `)`");
    assert_error("[#_]", "1:4: expected a form after `#_`, found `]`");
    assert_error("{:a ^:m}", "1:8: expected a form after `^`, found `}`");
}

#[test]
fn invalid_tokens() {
    assert_error(":", "1:1: invalid token `:`");
    assert_error("::", "1:1: invalid token `::`");
    assert_error("(a/)", "1:2: invalid token `a/`");
    assert_error("/a", "1:1: invalid token `/a`");
    assert_error("a/b/c", "1:1: invalid token `a/b/c`");
    assert_error(":a::b", "1:1: invalid token `:a::b`");
    assert_error(":::a", "1:1: invalid token `:::a`");
    assert_error("a:", "1:1: invalid token `a:`");
    assert_error("é::a", "1:1: invalid token `é::a`");
    assert_error(
        "x ::nope/k",
        "1:3: no namespace alias `nope` for `::nope/k`",
    );
}

#[test]
fn invalid_numbers() {
    assert_error("1.2.3", "1:1: invalid number `1.2.3`");
    assert_error("[09]", "1:2: invalid number `09`");
    assert_error("1x", "1:1: invalid number `1x`");
    assert_error("-1a", "1:1: invalid number `-1a`");
    assert_error("1.5N", "1:1: invalid number `1.5N`");
    assert_error("2r102", "1:1: invalid number `2r102`");
    assert_error(
        "37r1",
        "1:1: invalid radix 37 in `37r1`: the radix must be between 2 and 36",
    );
    assert_error("1/0", "1:1: ratio `1/0` divides by zero");
    assert_error(
        "1/99999999999999999999",
        "1:1: ratio `1/99999999999999999999` does not fit a 64-bit numerator and denominator",
    );
}

#[test]
fn invalid_escapes_and_characters() {
    assert_error("\"a\\qb\"", "1:3: unsupported escape `\\q` in string");
    assert_error("\"\\8\"", "1:2: unsupported escape `\\8` in string");
    assert_error("\"\\o101\"", "1:2: unsupported escape `\\o` in string");
    assert_error(
        "\"ab\n\\u12G4\"",
        "2:1: invalid unicode escape `\\u12G`: expected `\\u` and four hex digits",
    );
    assert_error(
        "\"\\u12\"",
        "1:2: invalid unicode escape `\\u12`: expected `\\u` and four hex digits",
    );
    assert_error(
        "\"\\400\"",
        "1:2: octal escape `\\400` is out of range: the largest is 377",
    );
    assert_error(
        "\"\\uD800\"",
        "1:2: unicode escape `\\uD800` is a lone UTF-16 surrogate",
    );
    assert_error(
        "\"\\uDE00\\uD83D\"",
        "1:2: unicode escape `\\uDE00` is a lone UTF-16 surrogate",
    );
    assert_error("\\abc", "1:1: unsupported character literal `\\abc`");
    assert_error("[\\u12]", "1:2: unsupported character literal `\\u12`");
    assert_error("\\uD800", "1:1: unsupported character literal `\\uD800`");
    assert_error("\\o8", "1:1: unsupported character literal `\\o8`");
    assert_error("\\o1234", "1:1: unsupported character literal `\\o1234`");
    assert_error(
        "\\o400",
        "1:1: octal escape `\\o400` is out of range: the largest is 377",
    );
}

#[test]
fn metadata_errors() {
    assert_error(
        "^:a 1",
        "1:5: metadata can only be applied to symbols and collections",
    );
    assert_error(
        "^:a \"s\"",
        "1:5: metadata can only be applied to symbols and collections",
    );
    assert_error(
        "^:a :k",
        "1:5: metadata can only be applied to symbols and collections",
    );
    assert_error(
        "^1 x",
        "1:2: metadata must be a symbol, keyword, string, map or vector",
    );
    assert_error(
        "^(a) x",
        "1:2: metadata must be a symbol, keyword, string, map or vector",
    );
}

#[test]
fn anonymous_fn_errors() {
    assert_error("#(a #(%))", "1:5: nested #() are not allowed");
    assert_error(
        "#(%x)",
        "1:3: invalid arg literal `%x`: expected %, %& or %1 to %20",
    );
    assert_error(
        "#(%0)",
        "1:3: invalid arg literal `%0`: expected %, %& or %1 to %20",
    );
    assert_error(
        "#(%21)",
        "1:3: invalid arg literal `%21`: expected %, %& or %1 to %20",
    );
}

#[test]
fn reader_conditional_errors() {
    assert_error(
        "#?@(:jankwasm [1])",
        "1:1: `#?@` splicing is only allowed inside a collection",
    );
    assert_error(
        "'#?@(:jankwasm [1])",
        "1:2: `#?@` splicing is only allowed inside a collection",
    );
    assert_error(
        "#?(:jank)",
        "1:1: reader conditional needs feature/form pairs but has an odd number of forms",
    );
    assert_error(
        "#?(1 2)",
        "1:4: reader conditional feature must be a keyword",
    );
    assert_error(
        "#?(:jank 1 x 2)",
        "1:12: reader conditional feature must be a keyword",
    );
    assert_error(
        "#?[:jank 1]",
        "1:3: a reader conditional must be a list: `#?(...)`",
    );
    assert_error(
        "#? (:jank 1)",
        "1:3: a reader conditional must be a list: `#?(...)`",
    );
    assert_error(
        "[#?@(:jankwasm 1)]",
        "1:16: `#?@` must choose a list or vector to splice",
    );
}

#[test]
fn map_and_set_errors() {
    assert_error("{:a 1 :a 2}", "1:7: duplicate key `:a` in map literal");
    assert_error(
        "(def x\n  {:a 1\n   :a 2})",
        "3:4: duplicate key `:a` in map literal",
    );
    assert_error("#{1 2 1}", "1:7: duplicate element `1` in set literal");
    assert_error(
        "{:a}",
        "1:1: map literal must contain an even number of forms",
    );
    assert_error(
        "#:a{:b}",
        "1:1: map literal must contain an even number of forms",
    );
    assert_error(
        "#:a{:b 1 :a/b 2}",
        "1:10: duplicate key `:a/b` in map literal",
    );
}

#[test]
fn namespaced_map_errors() {
    assert_error(
        "#::nope{:a 1}",
        "1:4: no namespace alias `nope` for `#::nope`",
    );
    assert_error(
        "#:{:a 1}",
        "1:3: namespaced map must name a namespace: `#:ns{...}`",
    );
    assert_error(
        "#: {:a 1}",
        "1:3: namespaced map must name a namespace: `#:ns{...}`",
    );
    assert_error(
        "#:a 1",
        "1:5: namespaced map prefix must be followed by a map",
    );
    assert_error(
        "#:a/b{}",
        "1:3: invalid namespace `a/b` for a namespaced map",
    );
}

#[test]
fn syntax_quote_errors() {
    assert_error(
        "`~@x",
        "1:2: `~@` (unquote-splicing) is only allowed inside a collection under syntax-quote",
    );
    assert_error(
        &format!("{}x", "`".repeat(MAX_SYNTAX_QUOTE_DEPTH + 1)),
        &format!(
            "1:{}: syntax-quote nested more than {MAX_SYNTAX_QUOTE_DEPTH} deep",
            MAX_SYNTAX_QUOTE_DEPTH + 1
        ),
    );
}

#[test]
fn nesting_is_bounded_not_a_stack_overflow() {
    let deepest = format!("{}{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
    assert_eq!(read(&deepest).len(), 1);
    let too_deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_error(
        &too_deep,
        &format!(
            "1:{}: forms nested more than {MAX_DEPTH} deep",
            MAX_DEPTH + 1
        ),
    );
    // A syntax-quote rebuilds each level three deep, and builds no deeper
    // than the reader reads.
    let quoted = |depth: usize| format!("`{}x{}", "(".repeat(depth), ")".repeat(depth));
    assert_eq!(read(&quoted(80)).len(), 1);
    assert_error(
        &quoted(MAX_DEPTH - 2),
        &format!("1:88: syntax-quote builds a form nested more than {MAX_DEPTH} deep"),
    );
}

#[test]
fn errors_display_only_the_message() {
    let error = read_all("(", &env()).err();
    assert_eq!(
        error.map(|e| (e.pos, e.to_string())),
        Some((
            Pos::new(1, 1),
            "unterminated list: end of input before its closing `)`".to_string()
        ))
    );
}

// ---------------------------------------------------------------- properties

fn name() -> impl Strategy<Value = Name> {
    let part = "[a-zA-Z*!_?<>=][a-zA-Z0-9*!_?<>=.+#'-]{0,6}";
    (proptest::option::of("[a-z][a-z0-9.-]{0,5}"), part)
        .prop_filter("nil, true and false are not symbols", |(ns, name)| {
            ns.is_some() || !matches!(name.as_str(), "nil" | "true" | "false")
        })
        .prop_map(|(ns, name)| Name { ns, name })
}

fn regex_text() -> impl Strategy<Value = String> {
    proptest::collection::vec((any::<char>(), any::<bool>()), 0..8).prop_map(|chars| {
        let mut text = String::new();
        for (c, escaped) in chars {
            if escaped || c == '"' || c == '\\' {
                text.push('\\');
            }
            text.push(c);
        }
        text
    })
}

fn ratio() -> impl Strategy<Value = FormKind> {
    (
        -1_000_000_000_000i64..1_000_000_000_000,
        2i64..1_000_000_000_000,
    )
        .prop_filter_map(
            "the denominator must stay above 1",
            |(numerator, denominator)| {
                let (mut a, mut b) = (numerator.unsigned_abs(), denominator.unsigned_abs());
                while b != 0 {
                    (a, b) = (b, a % b);
                }
                let divisor = i64::try_from(a).ok()?;
                (denominator / divisor > 1)
                    .then(|| FormKind::Ratio(numerator / divisor, denominator / divisor))
            },
        )
}

fn leaf() -> BoxedStrategy<Form> {
    prop_oneof![
        Just(FormKind::Nil),
        any::<bool>().prop_map(FormKind::Bool),
        any::<i64>().prop_map(FormKind::Int),
        "-?[1-9][0-9]{0,30}".prop_map(FormKind::BigInt),
        any::<f64>().prop_map(FormKind::Double),
        "-?[0-9]{1,5}(\\.[0-9]{0,5})?".prop_map(FormKind::BigDecimal),
        ratio(),
        any::<char>().prop_map(FormKind::Char),
        any::<String>().prop_map(FormKind::Str),
        regex_text().prop_map(FormKind::Regex),
        name().prop_map(FormKind::Keyword),
        name().prop_map(FormKind::Symbol),
    ]
    .prop_map(|kind| Form::new(kind, Pos::default()))
    .boxed()
}

fn without_duplicates(forms: Vec<Form>) -> Vec<Form> {
    let mut kept: Vec<Form> = Vec::new();
    for form in forms {
        if !kept.iter().any(|k| k.data_eq(&form)) {
            kept.push(form);
        }
    }
    kept
}

fn map_of(pairs: Vec<(Form, Form)>) -> FormKind {
    let mut entries: Vec<(Form, Form)> = Vec::new();
    for (key, value) in pairs {
        if !entries.iter().any(|(k, _)| k.data_eq(&key)) {
            entries.push((key, value));
        }
    }
    FormKind::Map(entries)
}

/// Random forms as the reader could produce them: metadata only on symbols
/// and collections, never empty, no duplicate keys or elements.
fn form() -> impl Strategy<Value = Form> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        let collection = prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(FormKind::List),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(FormKind::Vector),
            proptest::collection::vec(inner.clone(), 0..6)
                .prop_map(|items| FormKind::Set(without_duplicates(items))),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(map_of),
        ]
        .prop_map(|kind| Form::new(kind, Pos::default()));
        let meta = proptest::collection::vec(
            (
                name().prop_map(|n| Form::keyword(n, Pos::default())),
                leaf(),
            ),
            0..3,
        );
        (collection, meta).prop_map(|(mut form, meta)| {
            if !meta.is_empty() {
                form.meta = Some(Box::new(Form::new(map_of(meta), Pos::default())));
            }
            form
        })
    })
}

/// Reading `text` never panics, and whatever reads prints as text that
/// reads back as the same forms.
fn check_reads_back(text: &str) -> Result<(), TestCaseError> {
    let Ok(forms) = read_all(text, &env()) else {
        return Ok(());
    };
    let printed = print_all(&forms);
    match read_all(&printed, &env()) {
        Ok(reread) => prop_assert!(
            same_forms(&forms, &reread),
            "{text:?} printed as {printed:?}"
        ),
        // A syntax-quote expansion is deeper than what it expands.
        Err(error) if matches!(error.kind, jankwasm::read::ReadErrorKind::TooDeep(_)) => {}
        Err(error) => prop_assert!(
            false,
            "{text:?} printed as {printed:?}, which fails: {error}"
        ),
    }
    Ok(())
}

/// Mostly balanced text made of reader syntax, so that a good share of it
/// reads and exercises the printer.
fn token_soup() -> impl Strategy<Value = String> {
    use proptest::sample::select;
    let atom = select(vec![
        "x",
        "x#",
        "a/b",
        "set/union",
        ":k",
        "::k",
        "::set/k",
        "1",
        "-1.5",
        "1/2",
        "7N",
        "\"s\"",
        "\\a",
        "#\"r\"",
        "##Inf",
        "nil",
        "&",
        "%",
        "%2",
        "%&",
        "if",
        ".m",
        "Foo.",
        ":clj",
        ":default",
        ":jank",
        ";c\n",
        ")",
    ]);
    let leaf_prefix = select(vec!["", "", "", "", "'", "`", "~", "~@", "@", "#_ ", "#'"]);
    // Metadata only fits collections (and symbols), so it prefixes only those.
    let prefix = select(vec![
        "", "", "", "", "'", "`", "~", "~@", "@", "^:m ", "^T ", "^{:a 1} ", "#_ ",
    ]);
    let leaf = (leaf_prefix, atom).prop_map(|(prefix, atom)| format!("{prefix}{atom}"));
    let delimiters = select(vec![
        ("(", ")"),
        ("[", "]"),
        ("{", "}"),
        ("#{", "}"),
        ("#(", ")"),
        ("#?(:jank ", ")"),
        ("#?(:clj ", ")"),
        ("#?@(:jank ", ")"),
        ("#:a{", "}"),
        ("#::{", "}"),
    ]);
    let tree = leaf.prop_recursive(4, 40, 6, move |inner| {
        (
            prefix.clone(),
            delimiters.clone(),
            proptest::collection::vec(inner, 0..6),
        )
            .prop_map(|(prefix, (open, close), items)| {
                format!("{prefix}{open}{}{close}", items.join(" "))
            })
    });
    proptest::collection::vec(tree, 1..4).prop_map(|forms| forms.join("\n"))
}

proptest! {
    #[test]
    fn token_soup_never_panics(text in token_soup()) {
        check_reads_back(&text)?;
    }

    #[test]
    fn printed_forms_read_back_the_same(form in form()) {
        let printed = form.to_string();
        let reread = read_all(&printed, &env());
        prop_assert!(
            matches!(&reread, Ok(forms) if same_forms(forms, std::slice::from_ref(&form))),
            "{printed} read back as {reread:?}"
        );
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check_reads_back(&text)?;
    }

    #[test]
    fn reader_syntax_soup_never_panics(
        text in "([()\\[\\]{}#^'`~@%:;\\\\\"?_!&=*/.,+ \n-]|[a-c0-9xrNMeE]|:jank|:clj|::|#\\?@?\\(|##|\\\\u|\\\\o){0,40}"
    ) {
        check_reads_back(&text)?;
    }
}
