//! Runtime errors with a jank stack: a patch names its functions (the name
//! section) and says which jank fn each runs and where it is written (the
//! `jank.frames` section); a throw reports the jank fns it passed through,
//! with their source lines, in the harness, in `jankwasm run`, in an nREPL
//! error and in a Chromium page's overlay.

use crate::browser;
use crate::serve_support;

use jank_wasmtime_harness::{read_frame_table, Arg, HarnessError, JankFrame, Runtime};
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use pretty_assertions::assert_eq;
use serve_support::{field, s, start, Nrepl};

/// `text` compiled, with its frame table, as if it started at line `line`
/// of `file`.
fn patch(
    session: &mut Session,
    file: &str,
    line: usize,
    text: &str,
    id: u64,
) -> jankwasm::lower::Patch {
    let source = SourceFile::new(file, format!("{}{text}", "\n".repeat(line - 1)));
    let options = PatchOptions {
        patch_id: id,
        abi: Abi::Extended,
    };
    session
        .compile(&source, &options)
        .unwrap_or_else(|failure| panic!("{}", failure.render(&source)))
}

fn framed_session() -> Session {
    let mut session = Session::new();
    session.include_frames();
    session
}

fn frame(name: &str, file: &str, line: u32, column: u32, source: &str) -> JankFrame {
    JankFrame {
        name: name.into(),
        file: file.into(),
        line,
        column,
        source: source.into(),
    }
}

#[test]
fn a_patch_maps_each_function_to_the_jank_fn_it_runs() {
    let mut session = framed_session();
    let patch = patch(
        &mut session,
        "app.jank",
        50,
        "(defn bad-div [x] (/ x 0))\n  (defn twice [x] (* 2 x))",
        1,
    );
    let mut frames: Vec<JankFrame> = read_frame_table(&patch.bytes).into_values().collect();
    frames.sort_by_key(|f| f.line);
    assert_eq!(
        frames,
        [
            frame(
                "user/bad-div",
                "app.jank",
                50,
                1,
                "(defn bad-div [x] (/ x 0))"
            ),
            frame("user/twice", "app.jank", 51, 3, "(defn twice [x] (* 2 x))")
        ]
    );
    let names = wasmparser::Parser::new(0)
        .parse_all(&patch.bytes)
        .filter_map(Result::ok)
        .any(|payload| matches!(payload, wasmparser::Payload::CustomSection(c) if c.name() == "name"));
    assert!(names, "the patch has a name section");

    let plain = Session::new()
        .compile(
            &SourceFile::new("app.jank", "(defn twice [x] (* 2 x))"),
            &PatchOptions {
                patch_id: 2,
                abi: Abi::Extended,
            },
        )
        .unwrap_or_else(|failure| panic!("{failure:?}"));
    assert!(
        read_frame_table(&plain.bytes).is_empty(),
        "only a session that asks for frames pays their bytes"
    );
}

#[test]
fn a_throw_reports_the_jank_fns_it_passed_through() {
    let mut session = framed_session();
    let mut runtime = Runtime::new().unwrap();
    let defined = patch(
        &mut session,
        "app.jank",
        50,
        "(defn bad-div [x] (/ x 0))\n(defn outer [y] (inc (bad-div y)))",
        1,
    );
    runtime
        .load_patch(&defined.bytes, &defined.symbols_export)
        .unwrap();
    let Err(HarnessError::Thrown(thrown)) = runtime.call_var("user", "outer", &[Arg::Int(1)])
    else {
        panic!("outer throws")
    };
    assert_eq!(
        thrown.frames,
        [
            frame(
                "user/bad-div",
                "app.jank",
                50,
                1,
                "(defn bad-div [x] (/ x 0))"
            ),
            frame(
                "user/outer",
                "app.jank",
                51,
                1,
                "(defn outer [y] (inc (bad-div y)))"
            )
        ]
    );
    // The exception carries the same frames as its trace, as Clojure's
    // StackTraceElement->vec gives a fn's: class, method, file, line.
    assert!(thrown.to_string().ends_with(
        ":at [user$bad_div invoke \"app.jank\" 50]}]\n :trace\n \
         [[user$bad_div invoke \"app.jank\" 50]\n  [user$outer invoke \"app.jank\" 51]]}\n  \
         at user/bad-div (app.jank:50:1)\n     | (defn bad-div [x] (/ x 0))\n  \
         at user/outer (app.jank:51:1)\n     | (defn outer [y] (inc (bad-div y)))"
    ));

    // Caught inside jank, a throw leaves nothing behind for the next one.
    let caught = patch(
        &mut session,
        "other.jank",
        1,
        "(try (bad-div 1) (catch Exception e :caught))\n(throw (ex-info \"here\" {}))",
        2,
    );
    let outcomes = runtime
        .load_patch(&caught.bytes, &caught.symbols_export)
        .unwrap();
    assert_eq!(
        outcomes[0].result.as_ref().map(|v| v.printed.as_str()),
        Ok(":caught")
    );
    let Err(thrown) = &outcomes[1].result else {
        panic!("the second form throws")
    };
    assert_eq!(
        thrown.frames,
        [frame(
            "user/eval",
            "other.jank",
            2,
            1,
            "(throw (ex-info \"here\" {}))"
        )]
    );
}

#[test]
fn jankwasm_run_prints_the_jank_frames_of_an_uncaught_exception() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.jank");
    std::fs::write(&file, "(defn bad-div [x] (/ x 0))\n\n(bad-div 1)\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .arg("run")
        .arg("app.jank")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.ends_with(
            " :trace\n [[user$bad_div invoke \"app.jank\" 1]\n  [user$eval invoke \"app.jank\" 3]]}\n  \
             at user/bad-div (app.jank:1:1)\n     | (defn bad-div [x] (/ x 0))\n  \
             at user/eval (app.jank:3:1)\n     | (bad-div 1)\n"
        ),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_nrepl_error_names_the_jank_fn_and_where_the_editor_defined_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut nrepl = Nrepl::connect(&server).await;
    let session = nrepl.request(&[("op", s("clone"))]).await[0]
        .str("new-session")
        .expect("a session");
    let defined = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(defn bad-div [x] (/ x 0))")),
            ("file", s("app.jank")),
            ("line", jankwasm::serve::nrepl::bencode::Value::Int(50)),
            ("column", jankwasm::serve::nrepl::bencode::Value::Int(1)),
        ])
        .await;
    assert_eq!(field(&defined, "value"), ["#'user/bad-div"], "{defined:?}");
    let called = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(bad-div 1)")),
        ])
        .await;
    let err = field(&called, "err").concat();
    assert!(
        err.contains("\n  at user/bad-div (app.jank:50:1)\n"),
        "{err}"
    );

    // `*e` is that exception, its frames in its data as Clojure's are, and
    // CIDER's error buffer prints them in Clojure's format.
    async fn eval(nrepl: &mut Nrepl, session: &str, code: &str) -> (Vec<String>, String) {
        let answer = nrepl
            .request(&[
                ("op", s("eval")),
                ("session", s(session)),
                ("code", s(code)),
            ])
            .await;
        (field(&answer, "value"), field(&answer, "out").concat())
    }
    let (trace, _) = eval(&mut nrepl, &session, "(:trace (Throwable->map *e))").await;
    assert_eq!(
        trace,
        [
            r#"[[user$bad_div invoke "app.jank" 50] [user$fn invoke "<nrepl>" 1] [user$eval invoke "<nrepl>" 1]]"#
        ]
    );
    let (at, _) = eval(
        &mut nrepl,
        &session,
        "(-> *e Throwable->map :via first :at)",
    )
    .await;
    assert_eq!(at, [r#"[user$bad_div invoke "app.jank" 50]"#]);
    let (_, printed) = eval(
        &mut nrepl,
        &session,
        "(require 'clojure.stacktrace) (clojure.stacktrace/print-cause-trace *e)",
    )
    .await;
    assert_eq!(
        printed,
        "java.lang.ArithmeticException: Divide by zero\n \
         at user$bad_div.invoke (app.jank:50)\n    \
         user$fn.invoke (<nrepl>:1)\n    \
         user$eval.invoke (<nrepl>:1)\n"
    );
    server.shutdown().await;
}

#[test]
fn the_page_overlay_shows_the_jank_frames_and_leaves_the_repl_box_in_view() {
    let Some(browser) = browser::Browser::launch() else {
        return;
    };
    let wait = serve_support::PATIENCE;
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("app.jank"),
        include_str!("../../src/serve/web/demo/app.jank"),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(start(project.path()));
    let page = browser.open(&serve_support::http(&server, "/"));
    page.wait_for(
        "document.getElementById('jank-badge')?.dataset.status === 'connected'",
        wait,
    );
    let err = runtime.block_on(async {
        let mut nrepl = Nrepl::connect(&server).await;
        nrepl
            .request(&[
                ("op", s("eval")),
                ("code", s("(defn bad-div [x] (/ x 0))")),
                ("file", s("app.jank")),
                ("line", jankwasm::serve::nrepl::bencode::Value::Int(50)),
                ("column", jankwasm::serve::nrepl::bencode::Value::Int(1)),
            ])
            .await;
        let called = nrepl
            .request(&[("op", s("eval")), ("code", s("(bad-div 1)"))])
            .await;
        field(&called, "err").concat()
    });
    // Whoever answered first (this page or the headless runtime) names the frame.
    assert!(
        err.contains("\n  at user/bad-div (app.jank:50:1)\n     | (defn bad-div [x] (/ x 0))\n"),
        "{err}"
    );
    let overlay = page.wait_for(
        "(() => { const o = document.getElementById('jank-overlay'); \
         return o && !o.hidden && o.textContent.includes('bad-div') && o.textContent; })()",
        wait,
    );
    let overlay = overlay.as_str().expect("the overlay's text");
    assert!(overlay.contains("Divide by zero"), "{overlay}");
    assert!(
        overlay.contains("at user/bad-div (app.jank:50:1)\n     | (defn bad-div [x] (/ x 0))"),
        "{overlay}"
    );
    let overlaps = page.eval(
        "(() => { const a = document.getElementById('jank-overlay').getBoundingClientRect(); \
         const b = document.getElementById('jank-repl').getBoundingClientRect(); \
         return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; })()",
    );
    assert_eq!(overlaps, serde_json::Value::Bool(false));
    // In the page itself (loader.js hands the stub the frames of a throw).
    let caught = page.eval(
        "jankClient.eval('(try (user/bad-div 1) (catch Exception e (first (:trace (Throwable->map e)))))', 'demo.app')",
    );
    assert_eq!(
        caught["value"],
        serde_json::Value::String(r#"[user$bad_div invoke "app.jank" 50]"#.into()),
        "{caught}"
    );
    runtime.block_on(server.shutdown());
}

#[test]
fn a_trap_reports_the_jank_fns_on_the_stack() {
    let mut session = framed_session();
    let mut runtime = Runtime::new().unwrap();
    let defined = patch(
        &mut session,
        "deep.jank",
        7,
        "(defn deep [n] (inc (first (map deep [(inc n)]))))",
        1,
    );
    runtime
        .load_patch(&defined.bytes, &defined.symbols_export)
        .unwrap();
    // Through `map`, so the wasm stack runs out before the runtime's depth
    // limit throws; on a thread with the stack that takes.
    let outcome =
        jank_wasmtime_harness::on_host_stack(|| runtime.call_var("user", "deep", &[Arg::Int(0)]));
    let Err(trap @ HarnessError::Trap { .. }) = outcome else {
        panic!("unbounded recursion exhausts the stack")
    };
    let HarnessError::Trap { frames, .. } = &trap else {
        unreachable!()
    };
    assert!(frames.len() > 1, "recursion shows repeated frames: {trap}");
    let deep = frame(
        "user/deep",
        "deep.jank",
        7,
        1,
        "(defn deep [n] (inc (first (map deep [(inc n)]))))",
    );
    assert!(frames.iter().all(|f| *f == deep), "{frames:?}");
    let shown = trap.to_string();
    assert!(
        shown.contains(&format!(
            "\n  at user/deep (deep.jank:7:1) ({} times)\n     | (defn deep",
            frames.len()
        )),
        "{shown}"
    );
}
