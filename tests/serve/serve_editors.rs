//! Editors as they really connect: the connect sequences and first-use
//! messages of CIDER, Calva and Conjure, replayed over bencode against the
//! `jankwasm serve` binary, every reply asserted. Each message cites the
//! editor source it comes from (revisions in docs/editors.md). No page is
//! open, so the headless runtime answers with real values.

use crate::serve_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jankwasm::serve::nrepl::bencode::{dict, Message, Value};
use pretty_assertions::assert_eq;
use serve_support::{field, s, statuses, Nrepl};

/// The project every editor connects to: one namespace with a documented fn.
const APP: &str =
    "(ns app.core)\n\n(defn greet\n  \"Greets who.\"\n  [who]\n  (str \"hi \" who))\n";

/// `jankwasm serve DIR` on free ports; killed when dropped.
struct ServeProcess {
    child: Child,
    nrepl: String,
}

impl ServeProcess {
    fn start(dir: &Path) -> Self {
        Self::start_with(dir, &[], &[])
    }

    /// With more arguments and environment.
    fn start_with(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
            .arg("serve")
            .arg(dir)
            .args(["--http-port", "0", "--ws-port", "0", "--nrepl-port", "0"])
            .args(args)
            .envs(env.iter().copied())
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jankwasm serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (found, banner) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("nREPL server started on port ") {
                    let port = rest.split(' ').next().unwrap_or_default().to_string();
                    let _ = found.send(port);
                }
            }
        });
        let port = banner
            .recv_timeout(serve_support::PATIENCE)
            .expect("the nREPL banner");
        Self {
            child,
            nrepl: format!("127.0.0.1:{port}"),
        }
    }

    async fn connect(&self) -> Nrepl {
        Nrepl::connect_to(&self.nrepl).await
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A served project with app.core in `app.jank`, compiled before it answers.
async fn serve_app() -> (tempfile::TempDir, ServeProcess) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.jank"), APP).unwrap();
    let server = ServeProcess::start(dir.path());
    // The project is compiled before the first request is answered.
    let mut nrepl = server.connect().await;
    wait_for_namespace(&mut nrepl, "app.core").await;
    (dir, server)
}

async fn wait_for_namespace(nrepl: &mut Nrepl, ns: &str) {
    for _ in 0..300 {
        let listed = nrepl.request(&[("op", s("ns-list"))]).await;
        if list(&listed[0], "ns-list").iter().any(|n| n == ns) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{ns} was never compiled");
}

/// Sends one editor message; every reply must be free of errors.
async fn replay(nrepl: &mut Nrepl, fields: &[(&str, Value)]) -> Vec<Message> {
    let replies = nrepl.request(fields).await;
    for reply in &replies {
        let status = statuses(reply);
        assert!(
            !status.iter().any(|s| s.contains("error")),
            "{fields:?} answered with an error: {replies:?}"
        );
        assert_eq!(reply.str("err"), None, "{fields:?}: {replies:?}");
    }
    replies
}

fn list(message: &Message, key: &str) -> Vec<String> {
    match message.get(key) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An eval's answer: each value in a message of its own, then `done` alone
/// (CIDER before 2.0 shows no prompt when `done` rides with the value).
fn assert_values_then_done(replies: &[Message], values: &[&str]) {
    assert_eq!(field(replies, "value"), values, "{replies:?}");
    let (last, before) = replies.split_last().expect("replies");
    assert_eq!(statuses(last), ["done"], "{replies:?}");
    assert_eq!(last.get("value"), None, "{replies:?}");
    assert!(before.iter().all(|r| statuses(r).is_empty()), "{replies:?}");
}

/// A tooling op's answer: its data and `done` in one message (Calva reads
/// the first message, Conjure the last).
fn only_message(replies: &[Message]) -> &Message {
    assert_eq!(replies.len(), 1, "{replies:?}");
    assert!(statuses(&replies[0]).contains(&"done".to_string()));
    &replies[0]
}

fn completions(message: &Message) -> Vec<(String, String)> {
    let Some(Value::List(items)) = message.get("completions") else {
        panic!("no completions: {message:?}")
    };
    items
        .iter()
        .map(|item| {
            let Value::Dict(entry) = item else {
                panic!("{item:?}")
            };
            let text = |key: &str| match entry.get(key.as_bytes()) {
                Some(Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("{key}: {other:?}"),
            };
            (text("candidate"), text("type"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cider_connects_evaluates_and_shows_an_error_buffer() {
    let (_dir, server) = serve_app().await;
    let mut cider = server.connect().await;

    // nrepl-client.el:1129 (nrepl-start-client-process → clone), twice: the
    // main and the tooling session.
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let cloned = replay(
            &mut cider,
            &[
                ("op", s("clone")),
                ("client-name", s("CIDER")),
                ("client-version", s("1.17.0")),
            ],
        )
        .await;
        sessions.push(only_message(&cloned).str("new-session").expect("session"));
    }
    let (main, tooling) = (sessions[0].clone(), sessions[1].clone());

    // nrepl-client.el:1142: describe, synchronously (10 s). cider-session.el
    // picks the runtime from `versions`: no `clojure` without cider-nrepl.
    let described = replay(&mut cider, &[("op", s("describe")), ("session", s(&main))]).await;
    let described = only_message(&described);
    let Some(Value::Dict(ops)) = described.get("ops") else {
        panic!("{described:?}")
    };
    for op in [
        "eval",
        "load-file",
        "completions",
        "complete",
        "info",
        "lookup",
        "eldoc",
    ] {
        assert!(ops.contains_key(op.as_bytes()), "describe lacks {op}");
    }
    let Some(Value::Dict(versions)) = described.get("versions") else {
        panic!("{described:?}")
    };
    assert!(versions.contains_key(b"nrepl".as_slice()));
    assert!(!versions.contains_key(b"clojure".as_slice()));

    // cider-repl.el:159 (the code), 284 and 1360 (the keys): the REPL's init
    // eval, with CIDER's print middleware keys; the print fn is cider-nrepl's,
    // which this server does not have, so values are printed as `pr` does.
    let print_keys = |code: &str| -> Vec<(&'static str, Value)> {
        vec![
            ("op", s("eval")),
            ("session", s(&main)),
            ("code", s(code)),
            ("inhibit-cider-middleware", s("true")),
            ("nrepl.middleware.print/stream?", s("1")),
            (
                "nrepl.middleware.print/print",
                s("cider.nrepl.pprint/clojure-pprint"),
            ),
            (
                "nrepl.middleware.print/options",
                dict([("right-margin", Value::Int(80))]),
            ),
            ("nrepl.middleware.print/quota", Value::Int(1_048_576)),
            ("nrepl.middleware.print/buffer-size", Value::Int(4096)),
            ("content-type", s("true")),
            ("file", s("*cider-repl app*")),
            ("line", Value::Int(1)),
            ("column", Value::Int(1)),
        ]
    };
    let init = replay(
        &mut cider,
        &print_keys(
            "(when-let [requires (resolve 'clojure.main/repl-requires)] \
             (clojure.core/apply clojure.core/require @requires))",
        ),
    )
    .await;
    assert_values_then_done(&init, &["nil"]);
    assert_eq!(field(&init, "ns"), ["user"]);

    let printed = replay(&mut cider, &print_keys("(str \"a\" \\newline \"b\")")).await;
    assert_values_then_done(&printed, &["\"a\\nb\""]);

    // An error in the REPL: err first (Conjure shows only err), then ex and
    // eval-error, then done (Calva settles only on done).
    let thrown = cider
        .request(&[
            ("op", s("eval")),
            ("session", s(&main)),
            ("code", s("(greet-all)")),
        ])
        .await;
    let err_at = thrown.iter().position(|r| r.get("err").is_some());
    let ex_at = thrown.iter().position(|r| r.get("ex").is_some());
    assert!(err_at.is_some() && err_at < ex_at, "{thrown:?}");
    let err = field(&thrown, "err").concat();
    assert!(
        err.starts_with("Syntax error compiling at (<nrepl>:1:2).\n"),
        "{err}"
    );
    let thrown = cider
        .request(&[
            ("op", s("eval")),
            ("session", s(&main)),
            ("code", s("(throw (ex-info \"no greeting\" {:who nil}))")),
        ])
        .await;
    assert!(statuses(&thrown[thrown.len() - 2]).contains(&"eval-error".to_string()));
    assert_eq!(statuses(thrown.last().unwrap()), ["done"]);

    // cider-client.el:615 (cider-library-present-p, in the tooling session)
    // then cider-compilation.el:247 (in the main session): the error buffer.
    let present = replay(
        &mut cider,
        &[
            ("op", s("eval")),
            ("session", s(&tooling)),
            ("code", s("(require 'clojure.stacktrace)")),
        ],
    )
    .await;
    assert_values_then_done(&present, &["nil"]);
    let trace = replay(
        &mut cider,
        &[
            ("op", s("eval")),
            ("session", s(&main)),
            ("code", s("(clojure.stacktrace/print-cause-trace *e)")),
        ],
    )
    .await;
    assert_eq!(
        field(&trace, "out").concat(),
        "clojure.lang.ExceptionInfo: no greeting\n{:who nil}\n \
         at user$fn.invoke (<nrepl>:1)\n    user$eval.invoke (<nrepl>:1)\n"
    );
    let data = replay(
        &mut cider,
        &[
            ("op", s("eval")),
            ("session", s(&main)),
            ("code", s("(println (ex-data *e))")),
        ],
    )
    .await;
    assert_eq!(field(&data, "out"), ["{:who nil}\n"]);

    // cider-client.el:925: completions with a prefix.
    let completed = replay(
        &mut cider,
        &[
            ("op", s("completions")),
            ("session", s(&main)),
            ("ns", s("app.core")),
            ("prefix", s("gre")),
        ],
    )
    .await;
    assert_eq!(
        completions(only_message(&completed)),
        [("greet".to_string(), "function".to_string())]
    );

    // cider-client.el:975 (info), :985 (lookup): where greet is defined.
    let info = replay(
        &mut cider,
        &[
            ("op", s("info")),
            ("session", s(&main)),
            ("ns", s("app.core")),
            ("sym", s("greet")),
        ],
    )
    .await;
    let info = only_message(&info);
    assert_eq!(info.str("name").as_deref(), Some("greet"));
    assert_eq!(info.str("doc").as_deref(), Some("Greets who."));
    assert_eq!(info.str("arglists-str").as_deref(), Some("[who]"));
    let file = info.str("file").expect("file");
    assert!(
        file.starts_with("file:/") && file.ends_with("/app.jank"),
        "{file}"
    );
    assert_eq!((info.int("line"), info.int("column")), (Some(3), Some(1)));
}

#[tokio::test(flavor = "multi_thread")]
async fn calva_connects_completes_and_lists_namespaces() {
    let (dir, server) = serve_app().await;
    let mut calva = server.connect().await;

    // src/nrepl/index.ts:187: `*ns*` with no session, before anything else.
    let probe = replay(&mut calva, &[("op", s("eval")), ("code", s("*ns*"))]).await;
    assert_eq!(field(&probe, "ns"), ["user"]);
    let value = field(&probe, "value").concat();
    assert!(
        value.starts_with("#object[clojure.lang.Namespace 0x") && value.ends_with(" \"user\"]"),
        "{value}"
    );
    assert_eq!(statuses(probe.last().unwrap()), ["done"]);

    // index.ts:163 (clone), :170 (describe, verbose).
    let cloned = replay(&mut calva, &[("op", s("clone"))]).await;
    let session = only_message(&cloned).str("new-session").expect("session");
    let described = replay(
        &mut calva,
        &[
            ("op", s("describe")),
            ("verbose", s("true")),
            ("session", s(&session)),
        ],
    )
    .await;
    let Some(Value::Dict(ops)) = only_message(&described).get("ops") else {
        panic!("{described:?}")
    };
    assert!(ops.contains_key(b"ns-list".as_slice()));

    // index.ts:389: the REPL utilities, with `ns` always sent.
    let requires = replay(
        &mut calva,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("user")),
            (
                "code",
                s("(when-let [requires (resolve 'clojure.main/repl-requires)]\n                        (clojure.core/apply clojure.core/require @requires))"),
            ),
        ],
    )
    .await;
    assert_values_then_done(&requires, &["nil"]);

    // index.ts:578: `complete`, keyed by `symbol`.
    let completed = replay(
        &mut calva,
        &[
            ("op", s("complete")),
            ("ns", s("app.core")),
            ("symbol", s("gre")),
            ("session", s(&session)),
            ("context", s("(__prefix__)")),
        ],
    )
    .await;
    assert_eq!(
        completions(only_message(&completed)),
        [("greet".to_string(), "function".to_string())]
    );

    // index.ts:600: `info` keyed by `symbol`; the file is a URI.
    let info = replay(
        &mut calva,
        &[
            ("op", s("info")),
            ("ns", s("app.core")),
            ("symbol", s("greet")),
            ("session", s(&session)),
        ],
    )
    .await;
    let info = only_message(&info);
    assert!(info.str("file").expect("file").starts_with("file:/"));
    assert_eq!(info.int("line"), Some(3));

    // index.ts:737: ns-list, with Calva's empty filter list.
    let listed = replay(
        &mut calva,
        &[
            ("op", s("ns-list")),
            ("session", s(&session)),
            ("filter-regexps", Value::List(Vec::new())),
        ],
    )
    .await;
    let names = list(only_message(&listed), "ns-list");
    for ns in ["app.core", "clojure.core", "user"] {
        assert!(names.iter().any(|n| n == ns), "{names:?}");
    }

    // evaluate.ts:118-121: an eval from the editor sends the form's VS Code
    // position (0-based line and character) plus one, so a form at line 8,
    // character 2 of app.jank comes as line 9, column 3, and what it defines
    // and throws is placed there (definition.ts:29 then reads `column` back
    // as 0-based: the cursor lands one character into the form, as it does
    // with cider-nrepl's 1-based columns).
    let file = dir.path().join("app.jank").display().to_string();
    let (vscode_line, vscode_character) = (8, 2);
    let defined = replay(
        &mut calva,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("app.core")),
            (
                "code",
                s("(defn halve\n  [x]\n  (let [f (fn divide [y] (/ y 0))]\n    (f x)))"),
            ),
            ("file", s(&file)),
            ("line", Value::Int(vscode_line + 1)),
            ("column", Value::Int(vscode_character + 1)),
        ],
    )
    .await;
    assert_values_then_done(&defined, &["#'app.core/halve"]);
    let info = replay(
        &mut calva,
        &[
            ("op", s("info")),
            ("ns", s("app.core")),
            ("symbol", s("halve")),
            ("session", s(&session)),
        ],
    )
    .await;
    let info = only_message(&info);
    assert_eq!((info.int("line"), info.int("column")), (Some(9), Some(3)));
    let thrown = calva
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("app.core")),
            ("code", s("(halve 1)")),
        ])
        .await;
    let err = field(&thrown, "err").concat();
    // The inner fn is on the form's third line, where columns are the
    // line's own: `(fn` is its 11th character.
    assert!(
        err.contains(&format!(
            "\n  at app.core/divide ({file}:11:11)\n     | (let [f (fn divide [y] (/ y 0))]\n  \
             at app.core/halve ({file}:9:3)\n"
        )),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn conjure_connects_and_uses_its_keys() {
    let (_dir, server) = serve_app().await;
    let mut conjure = server.connect().await;

    // server.fnl:307 (describe), :171 (ls-sessions), :261 (clone).
    replay(&mut conjure, &[("op", s("describe"))]).await;
    // Conjure names the session "no-session": nREPL's session middleware
    // answers unknown-session, and Conjure, finding no `sessions`, clones.
    let listed = conjure
        .request(&[("op", s("ls-sessions")), ("session", s("no-session"))])
        .await;
    assert_eq!(
        statuses(only_message(&listed)),
        ["error", "unknown-session", "done"]
    );
    let cloned = replay(
        &mut conjure,
        &[("op", s("clone")), ("client-name", s("Conjure"))],
    )
    .await;
    let session = only_message(&cloned).str("new-session").expect("session");

    // server.fnl:207: the session's type, by reader conditional.
    let kind = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            (
                "code",
                s("#?(:clj 'clj :cljs 'cljs :cljr 'cljr :default 'unknown)"),
            ),
        ],
    )
    .await;
    assert_values_then_done(&kind, &["unknown"]);

    // server.fnl:289: the preamble, res/client/clojure/preamble.cljc at
    // Conjure 2ddd752 (tests/serve/conjure_preamble.cljc) with the template
    // values server.fnl substitutes, at their defaults (init.fnl:79, :89),
    // sent without a session. It interns its initial namespace's name, makes
    // conjure.internal (clojure.pprint, clojure.test, clojure.data,
    // clojure.string), shims cider.nrepl.pprint/pprint, queues taps, prints
    // test failures with a diff, and goes back with `(in-ns initial-ns)`.
    let preamble_code = include_str!("conjure_preamble.cljc")
        .replace(":conjure.template/queue-size", "16")
        .replace(":conjure.template/pretty-print-test-failures?", "true");
    let preamble = replay(
        &mut conjure,
        &[("op", s("eval")), ("code", s(&preamble_code))],
    )
    .await;
    let values = field(&preamble, "value");
    assert_eq!(
        values[1..10],
        [
            "#'conjure.internal/initial-ns",
            "nil",
            "#'cider.nrepl.pprint/pprint",
            "#'conjure.internal/bounded-conj",
            "#'conjure.internal/tap-queue-size",
            "#'conjure.internal/tap-queue!",
            "#'conjure.internal/enqueue-tap!",
            "nil",
            "#'conjure.internal/dump-tap-queue!",
        ],
        "{preamble:?}"
    );
    assert!(
        values[0].ends_with(" \"conjure.internal\"]")
            && values[10].starts_with("#object[clojure.lang.MultiFn "),
        "{preamble:?}"
    );
    assert_eq!(values.len(), 12, "{preamble:?}");
    assert_eq!(
        field(&preamble, "ns").last().map(String::as_str),
        Some("user")
    );
    assert_eq!(statuses(preamble.last().unwrap()), ["done"]);
    // What it set up works: the namespace it went back to, its tap queue.
    let back = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            (
                "code",
                s("[(str *ns*) conjure.internal/initial-ns (tap> :tapped)]"),
            ),
        ],
    )
    .await;
    assert_values_then_done(&back, &["[\"user\" user true]"]);
    let tapped = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(conjure.internal/dump-tap-queue!)")),
        ],
    )
    .await;
    assert_values_then_done(&tapped, &["(:tapped)"]);

    // action.fnl:100: `(ns <buffer ns>)` once per buffer, then evals with
    // file/line/column and the buffer's ns (server.fnl:140).
    let entered = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(ns app.core)")),
        ],
    )
    .await;
    assert_values_then_done(&entered, &["nil"]);
    let called = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("app.core")),
            ("code", s("(greet \"conjure\")")),
            ("file", s("app.jank")),
            ("line", Value::Int(9)),
            ("column", Value::Int(1)),
        ],
    )
    .await;
    assert_values_then_done(&called, &["\"hi conjure\""]);
    assert_eq!(field(&called, "ns"), ["app.core"]);

    // action.fnl:295, :294: the result and last-exception keys.
    let result = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("*1")),
        ],
    )
    .await;
    assert_values_then_done(&result, &["\"hi conjure\""]);
    let last_exception = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("*e")),
        ],
    )
    .await;
    assert_values_then_done(&last_exception, &["nil"]);

    // action.fnl:697: `complete` with extra metadata, read from the last message.
    let completed = replay(
        &mut conjure,
        &[
            ("op", s("complete")),
            ("session", s(&session)),
            ("ns", s("app.core")),
            ("symbol", s("gre")),
            ("extra-metadata", Value::List(vec![s("arglists"), s("doc")])),
        ],
    )
    .await;
    let Some(Value::List(items)) = only_message(&completed).get("completions") else {
        panic!("{completed:?}")
    };
    let Value::Dict(greet) = &items[0] else {
        panic!("{items:?}")
    };
    assert_eq!(
        greet.get(b"arglists".as_slice()),
        Some(&Value::List(vec![s("[who]")]))
    );
    assert_eq!(greet.get(b"doc".as_slice()), Some(&s("Greets who.")));

    // action.fnl:148-152: the doc key.
    replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(require 'clojure.repl)")),
        ],
    )
    .await;
    let doc = replay(
        &mut conjure,
        &[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("app.core")),
            ("code", s("(clojure.repl/doc greet)")),
        ],
    )
    .await;
    assert_eq!(
        field(&doc, "out").concat(),
        "-------------------------\napp.core/greet\n([who])\n  Greets who.\n"
    );

    // action.fnl:119 (info by `symbol`), :126 (lookup by `sym`).
    let info = replay(
        &mut conjure,
        &[
            ("op", s("info")),
            ("session", s(&session)),
            ("ns", s("app.core")),
            ("symbol", s("greet")),
        ],
    )
    .await;
    assert_eq!(only_message(&info).int("line"), Some(3));
    let lookup = replay(
        &mut conjure,
        &[
            ("op", s("lookup")),
            ("session", s(&session)),
            ("ns", s("app.core")),
            ("sym", s("greet")),
        ],
    )
    .await;
    let Some(Value::Dict(found)) = only_message(&lookup).get("info") else {
        panic!("{lookup:?}")
    };
    assert_eq!(found.get(b"line".as_slice()), Some(&Value::Int(3)));

    // server.fnl:412: a session the server does not know is reported, and
    // Conjure makes a new one.
    let unknown = conjure
        .request(&[("op", s("eval")), ("session", s("gone")), ("code", s("1"))])
        .await;
    assert_eq!(
        statuses(only_message(&unknown)),
        ["error", "unknown-session", "done"]
    );
}

/// The reference checklist beyond the connect sequences (docs/editors.md).
mod checklist {
    use super::*;
    use pretty_assertions::assert_eq;

    async fn clone(nrepl: &mut Nrepl) -> String {
        let cloned = replay(nrepl, &[("op", s("clone"))]).await;
        only_message(&cloned).str("new-session").expect("session")
    }

    async fn eval_in(nrepl: &mut Nrepl, session: &str, code: &str) -> Vec<Message> {
        nrepl
            .request(&[
                ("op", s("eval")),
                ("session", s(session)),
                ("code", s(code)),
            ])
            .await
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn repl_vars_belong_to_each_session() {
        let (_dir, server) = serve_app().await;
        let mut nrepl = server.connect().await;
        let (a, b) = (clone(&mut nrepl).await, clone(&mut nrepl).await);
        eval_in(&mut nrepl, &a, "1 2").await;
        eval_in(&mut nrepl, &b, ":b").await;
        eval_in(&mut nrepl, &a, "3").await;
        let recent = eval_in(&mut nrepl, &a, "[*1 *2 *3]").await;
        assert_values_then_done(&recent, &["[3 2 1]"]);
        let other = eval_in(&mut nrepl, &b, "*1").await;
        assert_values_then_done(&other, &[":b"]);

        eval_in(&mut nrepl, &a, "(throw (ex-info \"in a\" {}))").await;
        let untouched = eval_in(&mut nrepl, &b, "*e").await;
        assert_values_then_done(&untouched, &["nil"]);
        let last_error = eval_in(&mut nrepl, &a, "(ex-message *e)").await;
        assert_values_then_done(&last_error, &["\"in a\""]);

        let defined = eval_in(&mut nrepl, &a, "(def five 5)").await;
        assert_values_then_done(&defined, &["#'user/five"]);
        let the_var = eval_in(&mut nrepl, &a, "*1").await;
        assert_values_then_done(&the_var, &["#'user/five"]);
        let loaded = nrepl
            .request(&[
                ("op", s("load-file")),
                ("session", s(&a)),
                ("file", s("(+ five 1)")),
            ])
            .await;
        assert_values_then_done(&loaded, &["6"]);
        let after_load = eval_in(&mut nrepl, &a, "(inc *1)").await;
        assert_values_then_done(&after_load, &["7"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn completions_say_what_each_candidate_is() {
        let (_dir, server) = serve_app().await;
        let mut nrepl = server.connect().await;
        let session = clone(&mut nrepl).await;
        eval_in(
            &mut nrepl,
            &session,
            "(def plain-value 1) (defn keyed [] :my-key)",
        )
        .await;
        let mut complete = async |prefix: &str| {
            let answer = replay(
                &mut nrepl,
                &[
                    ("op", s("complete")),
                    ("session", s(&session)),
                    ("symbol", s(prefix)),
                ],
            )
            .await;
            completions(only_message(&answer))
        };
        let has = |found: &[(String, String)], candidate: &str, kind: &str| {
            assert!(
                found.contains(&(candidate.to_string(), kind.to_string())),
                "{candidate} {kind} not in {found:?}"
            )
        };
        has(&complete("whe").await, "when", "macro");
        has(&complete("whe").await, "when-let", "macro");
        has(&complete("i").await, "if", "special-form");
        has(&complete("plain").await, "plain-value", "var");
        has(&complete("key").await, "keyed", "function");
        has(&complete("ma").await, "map", "function");
        has(&complete("*").await, "*e", "var");
        has(&complete("clojure.s").await, "clojure.set", "namespace");
        assert_eq!(
            complete(":my-").await,
            [(":my-key".to_string(), "keyword".to_string())]
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn definitions_are_found_where_the_editor_evaluated_them() {
        let (dir, server) = serve_app().await;
        let mut nrepl = server.connect().await;
        let session = clone(&mut nrepl).await;
        let file = dir.path().join("app.jank");
        let file = file.to_str().expect("a UTF-8 path");
        let defined = replay(
            &mut nrepl,
            &[
                ("op", s("eval")),
                ("session", s(&session)),
                ("ns", s("app.core")),
                ("code", s("(defn halve \"Halves x.\" [x] (/ x 2))")),
                ("file", s(file)),
                ("line", Value::Int(50)),
                ("column", Value::Int(3)),
            ],
        )
        .await;
        assert_values_then_done(&defined, &["#'app.core/halve"]);
        let url = format!(
            "file:{}",
            std::fs::canonicalize(file).expect("on disk").display()
        );
        let ask = |op: &str| -> Vec<(&'static str, Value)> {
            vec![
                ("op", s(op)),
                ("session", s(&session)),
                ("ns", s("app.core")),
                ("sym", s("halve")),
            ]
        };
        let info = replay(&mut nrepl, &ask("info")).await;
        let info = only_message(&info);
        assert_eq!(info.str("file"), Some(url.clone()));
        assert_eq!((info.int("line"), info.int("column")), (Some(50), Some(3)));
        let lookup = replay(&mut nrepl, &ask("lookup")).await;
        let Some(Value::Dict(found)) = only_message(&lookup).get("info") else {
            panic!("{lookup:?}")
        };
        assert_eq!(found.get(b"file".as_slice()), Some(&s(&url)));
        let eldoc = replay(&mut nrepl, &ask("eldoc")).await;
        let eldoc = only_message(&eldoc);
        assert_eq!(
            eldoc.get("eldoc"),
            Some(&Value::List(vec![Value::List(vec![s("x")])]))
        );
        assert_eq!(eldoc.str("type").as_deref(), Some("function"));
        assert_eq!(eldoc.str("docstring").as_deref(), Some("Halves x."));

        let missing = nrepl
            .request(
                &ask("info")
                    .into_iter()
                    .map(|(k, v)| {
                        if k == "sym" {
                            (k, s("no-such-var"))
                        } else {
                            (k, v)
                        }
                    })
                    .collect::<Vec<_>>(),
            )
            .await;
        assert_eq!(statuses(only_message(&missing)), ["no-info", "done"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn load_file_runs_in_the_session_namespace_and_answers_its_last_value() {
        let (_dir, server) = serve_app().await;
        let mut nrepl = server.connect().await;
        let session = clone(&mut nrepl).await;
        eval_in(&mut nrepl, &session, "(in-ns 'app.core)").await;
        let load = |text: &str| -> Vec<(&'static str, Value)> {
            vec![
                ("op", s("load-file")),
                ("session", s(&session)),
                ("file", s(text)),
                ("file-path", s("src/app/extra.jank")),
                ("file-name", s("extra.jank")),
            ]
        };
        let loaded = replay(&mut nrepl, &load("(defn twice [x] (* 2 x))\n(twice 21)")).await;
        assert_values_then_done(&loaded, &["42"]);
        assert_eq!(field(&loaded, "ns"), ["app.core"]);

        let moved = replay(&mut nrepl, &load("(ns other.place)\n(def y 1)\n:last")).await;
        assert_values_then_done(&moved, &[":last"]);
        let still = eval_in(&mut nrepl, &session, "(twice 2)").await;
        assert_values_then_done(&still, &["4"]);
        assert_eq!(field(&still, "ns"), ["app.core"]);

        let stopped = nrepl
            .request(&load(
                "(def before 1)\n(throw (ex-info \"stop here\" {}))\n:after",
            ))
            .await;
        assert!(field(&stopped, "err").concat().contains("stop here"));
        assert_eq!(field(&stopped, "value"), Vec::<String>::new());
        assert_eq!(statuses(stopped.last().unwrap()), ["done"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn control_ops_answer_as_nrepl_does() {
        let (_dir, server) = serve_app().await;
        let mut nrepl = server.connect().await;
        let session = clone(&mut nrepl).await;

        let unknown = nrepl
            .request(&[
                ("op", s("cider/analyze-last-stacktrace")),
                ("session", s(&session)),
            ])
            .await;
        let unknown = only_message(&unknown);
        assert_eq!(statuses(unknown), ["error", "unknown-op", "done"]);
        assert_eq!(
            unknown.str("op").as_deref(),
            Some("cider/analyze-last-stacktrace")
        );

        let idle = nrepl
            .request(&[("op", s("interrupt")), ("session", s(&session))])
            .await;
        assert_eq!(statuses(only_message(&idle)), ["session-idle", "done"]);

        let running = nrepl
            .send(&[
                ("op", s("eval")),
                ("session", s(&session)),
                ("code", s("(loop [] (recur))")),
            ])
            .await;
        let mismatch = nrepl
            .request(&[
                ("op", s("interrupt")),
                ("session", s(&session)),
                ("interrupt-id", s("not-that-one")),
            ])
            .await;
        assert_eq!(
            statuses(only_message(&mismatch)),
            ["error", "interrupt-id-mismatch", "done"]
        );
        let interrupt = nrepl
            .send(&[
                ("op", s("interrupt")),
                ("session", s(&session)),
                ("interrupt-id", s(&running)),
            ])
            .await;
        // Both requests' answers, in whatever order they come.
        let mut answers: Vec<Message> = Vec::new();
        let done = |answers: &[Message], id: &str| {
            answers
                .iter()
                .any(|r| r.str("id").as_deref() == Some(id) && statuses(r).contains(&"done".into()))
        };
        while !(done(&answers, &interrupt) && done(&answers, &running)) {
            answers.push(nrepl.recv().await);
        }
        let of = |id: &str| -> Vec<Vec<String>> {
            answers
                .iter()
                .filter(|r| r.str("id").as_deref() == Some(id))
                .map(statuses)
                .collect()
        };
        assert_eq!(of(&interrupt), [["done"]]);
        assert_eq!(of(&running), [vec!["interrupted"], vec!["done"]]);

        // CIDER encodes nil as an empty list: `stream?` nil is false.
        let streamed = replay(
            &mut nrepl,
            &[
                ("op", s("eval")),
                ("session", s(&session)),
                ("code", s("(+ 1 2)")),
                ("nrepl.middleware.print/stream?", Value::List(Vec::new())),
            ],
        )
        .await;
        assert_values_then_done(&streamed, &["3"]);

        let closed = replay(&mut nrepl, &[("op", s("close")), ("session", s(&session))]).await;
        assert!(statuses(only_message(&closed)).contains(&"session-closed".to_string()));
        let listed = replay(&mut nrepl, &[("op", s("ls-sessions"))]).await;
        assert!(!list(only_message(&listed), "sessions").contains(&session));
    }
}

/// A fresh server's headless runtime first compiles the stub (seconds; more
/// on a loaded machine, with no compiled copy cached): an editor's first
/// eval waits for it, and its time to answer runs from when the runtime
/// begins the patch, so it is answered even with a timeout far below the
/// compile.
#[tokio::test(flavor = "multi_thread")]
async fn the_first_eval_waits_for_the_headless_runtime_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let empty_cache = tempfile::tempdir().unwrap();
    let server = ServeProcess::start_with(
        dir.path(),
        &["--eval-timeout", "0.2"],
        &[("JANKWASM_CACHE_DIR", empty_cache.path())],
    );
    let mut editor = server.connect().await;
    let id = editor
        .send(&[("op", s("eval")), ("code", s("(+ 1 2)"))])
        .await;
    // Compiling the stub took 28 s here at load average 15: the answer is
    // awaited for as long as that may take, never timed.
    let mut answer = Vec::new();
    while answer
        .last()
        .is_none_or(|reply| !statuses(reply).contains(&"done".to_string()))
    {
        let reply = editor
            .recv_or_closed_within(Duration::from_secs(600))
            .await
            .expect("the server answers");
        if reply.str("id").as_deref() == Some(id.as_str()) {
            answer.push(reply);
        }
    }
    assert_values_then_done(&answer, &["3"]);
}
