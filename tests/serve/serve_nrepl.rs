//! nREPL: the ops over raw bencode, malformed input, interrupt, a browser
//! effect refused by the headless runtime, the Debian
//! nREPL client (`libnrepl-clojure` from `clojure`) evaluating with `ns`,
//! and `--upstream` relaying to Debian's nREPL server while patching pages.

use crate::serve_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jankwasm::serve::nrepl::bencode::Value;
use jankwasm::serve::protocol::ServerMessage;
use jankwasm::serve::ServeArgs;
use pretty_assertions::assert_eq;
use serve_support::*;

async fn clone_session(nrepl: &mut Nrepl) -> String {
    let responses = nrepl.request(&[("op", s("clone"))]).await;
    responses[0].str("new-session").expect("new-session")
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_clone_eval_and_namespaces() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut nrepl = Nrepl::connect(&server).await;

    let describe = nrepl.request(&[("op", s("describe"))]).await;
    let Some(Value::Dict(ops)) = describe[0].get("ops") else {
        panic!("{describe:?}")
    };
    for op in [
        "clone",
        "close",
        "eval",
        "load-file",
        "interrupt",
        "ls-sessions",
        "completions",
        "lookup",
        "info",
        "eldoc",
    ] {
        assert!(ops.contains_key(op.as_bytes()), "describe lacks {op}");
    }

    let session = clone_session(&mut nrepl).await;
    // An `ns` field must name a namespace that exists, as in nREPL.
    let missing = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("demo.core")),
            ("code", s("(+ 1 2)")),
        ])
        .await;
    assert_eq!(
        statuses(&missing[0]),
        ["error", "namespace-not-found", "done"]
    );
    nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(ns demo.core) (in-ns 'user)")),
        ])
        .await;
    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("demo.core")),
            (
                "code",
                s("(defn triple \"Triples x.\" [x] (* 3 x))\n(println :hi)\n(triple 14)"),
            ),
        ])
        .await;
    assert_eq!(
        field(&responses, "value"),
        ["#'demo.core/triple", "nil", "42"]
    );
    assert_eq!(field(&responses, "out"), [":hi\n"]);
    assert!(field(&responses, "ns").iter().all(|ns| ns == "demo.core"));
    assert_eq!(statuses(responses.last().unwrap()), ["done"]);

    // An `ns` form moves the session; later evals without `ns` follow it.
    nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            (
                "code",
                s("(ns other.place (:require [clojure.set :as set]))"),
            ),
        ])
        .await;
    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(def here (set/union #{1} #{2}))\nhere")),
        ])
        .await;
    assert_eq!(field(&responses, "value")[0], "#'other.place/here");
    assert_eq!(field(&responses, "ns")[0], "other.place");

    // The editor's `ns` field wins over the session's.
    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("demo.core")),
            ("code", s("(triple 2)")),
        ])
        .await;
    assert_eq!(field(&responses, "value"), ["6"]);

    let completions = nrepl
        .request(&[
            ("op", s("completions")),
            ("ns", s("other.place")),
            ("prefix", s("set/uni")),
        ])
        .await;
    let Some(Value::List(candidates)) = completions[0].get("completions") else {
        panic!("{completions:?}")
    };
    let names: Vec<String> = candidates
        .iter()
        .filter_map(|c| match c {
            Value::Dict(d) => d.get("candidate".as_bytes()).cloned(),
            _ => None,
        })
        .filter_map(|v| match v {
            Value::Bytes(b) => Some(String::from_utf8(b).unwrap()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["set/union"]);

    let info = nrepl
        .request(&[
            ("op", s("info")),
            ("ns", s("demo.core")),
            ("sym", s("triple")),
        ])
        .await;
    assert_eq!(info[0].str("doc").as_deref(), Some("Triples x."));
    assert_eq!(info[0].str("arglists-str").as_deref(), Some("[x]"));
    assert_eq!(info[0].str("ns").as_deref(), Some("demo.core"));
    let eldoc = nrepl
        .request(&[
            ("op", s("eldoc")),
            ("ns", s("demo.core")),
            ("sym", s("triple")),
        ])
        .await;
    assert_eq!(
        eldoc[0].get("eldoc"),
        Some(&Value::List(vec![Value::List(vec![s("x")])]))
    );
    let lookup = nrepl
        .request(&[
            ("op", s("lookup")),
            ("ns", s("other.place")),
            ("sym", s("demo.core/triple")),
        ])
        .await;
    let Some(Value::Dict(found)) = lookup[0].get("info") else {
        panic!("{lookup:?}")
    };
    assert_eq!(found.get("name".as_bytes()), Some(&s("triple")));
    let missing = nrepl
        .request(&[
            ("op", s("eldoc")),
            ("ns", s("demo.core")),
            ("sym", s("nope")),
        ])
        .await;
    assert!(statuses(&missing[0]).contains(&"no-eldoc".to_string()));

    let sessions = nrepl.request(&[("op", s("ls-sessions"))]).await;
    assert_eq!(
        sessions[0].get("sessions"),
        Some(&Value::List(vec![s(&session)]))
    );
    let closed = nrepl
        .request(&[("op", s("close")), ("session", s(&session))])
        .await;
    assert!(statuses(&closed[0]).contains(&"session-closed".to_string()));
    let gone = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("1")),
        ])
        .await;
    assert!(statuses(&gone[0]).contains(&"unknown-session".to_string()));
    let unknown = nrepl.request(&[("op", s("frobnicate"))]).await;
    assert!(statuses(&unknown[0]).contains(&"unknown-op".to_string()));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_carry_file_line_column_and_eval_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut nrepl = Nrepl::connect(&server).await;
    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            ("code", s("(+ 1\n   (nope 2))")),
            ("file", s("/home/me/app/core.jank")),
            ("line", Value::Int(20)),
            ("column", Value::Int(5)),
        ])
        .await;
    let err = field(&responses, "err").concat();
    assert!(
        err.starts_with(
            "Syntax error compiling at (/home/me/app/core.jank:21:5).\n\
             /home/me/app/core.jank:21:5: error: "
        ),
        "{err}"
    );
    assert!(err.contains("nope"), "{err}");
    assert_eq!(field(&responses, "ex"), ["class jankwasm.CompileError"]);
    assert!(responses.iter().any(|r| statuses(r) == ["eval-error"]));
    assert_eq!(statuses(responses.last().unwrap()), ["done"]);

    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            ("code", s("(throw (ex-info \"bad\" {}))")),
        ])
        .await;
    let err = field(&responses, "err").concat();
    assert!(err.contains("bad"), "{err}");
    assert_eq!(field(&responses, "ex"), ["class jank.Thrown"]);

    let loaded = nrepl
        .request(&[
            ("op", s("load-file")),
            ("file", s("(ns loaded.file)\n(defn f [] :ok)\n(f)")),
            ("file-path", s("/home/me/app/loaded.jank")),
        ])
        .await;
    assert_eq!(field(&loaded, "value"), [":ok"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_effect_with_no_page_open_is_a_clear_error_from_the_headless_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut nrepl = Nrepl::connect(&server).await;
    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            (
                "code",
                s("(require '[jank.browser :as b])\n(b/set-timeout #(println :never) 10)"),
            ),
        ])
        .await;
    let err = field(&responses, "err").concat();
    assert!(
        err.contains("jank.browser's :set-timeout needs a browser page; this runtime is headless"),
        "{err}"
    );
    assert!(err.contains(":effect :set-timeout"), "{err}");
    assert!(responses.iter().any(|r| statuses(r) == ["eval-error"]));
    server.shutdown().await;
}

/// Reads to the end of the connection: the messages the server sent before
/// it closed.
async fn until_closed(nrepl: &mut Nrepl) -> Vec<jankwasm::serve::nrepl::bencode::Message> {
    let mut messages = Vec::new();
    while let Some(message) = nrepl.recv_or_closed().await {
        messages.push(message);
    }
    messages
}

async fn eval_answers(nrepl: &mut Nrepl, code: &str) -> Vec<String> {
    let responses = nrepl.request(&[("op", s("eval")), ("code", s(code))]).await;
    field(&responses, "value")
}

#[tokio::test(flavor = "multi_thread")]
async fn bytes_that_are_not_bencode_close_only_their_connection_with_a_last_word() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut good = Nrepl::connect(&server).await;
    let cases: [&[u8]; 5] = [
        b"d2:op4:evalXXXX",
        &[b'l'; 100_000],
        b"d2:idi1234567890123456789012345e2:op8:describee",
        b"d2:op-1:xe",
        b"e",
    ];
    for bytes in cases {
        let mut bad = Nrepl::connect(&server).await;
        bad.send_raw(bytes).await;
        let last = until_closed(&mut bad).await;
        assert_eq!(last.len(), 1, "{last:?}");
        assert_eq!(
            statuses(&last[0]),
            ["error", "malformed-message", "done"],
            "{last:?}"
        );
        assert!(
            last[0]
                .str("err")
                .unwrap()
                .contains("closing the connection"),
            "{last:?}"
        );
        assert_eq!(eval_answers(&mut good, "(+ 40 2)").await, ["42"]);
    }
    let mut again = Nrepl::connect(&server).await;
    assert_eq!(eval_answers(&mut again, "(+ 1 1)").await, ["2"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_request_is_answered_as_its_own_and_the_next_request_gets_its_answer() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut nrepl = Nrepl::connect(&server).await;
    let huge = format!("(str \"{}\")", "a".repeat(2_000_000));
    let big = nrepl.send(&[("op", s("eval")), ("code", s(&huge))]).await;
    let unknown = nrepl
        .send(&[
            ("op", s("frobnicate")),
            ("payload", s(&"z".repeat(3 << 20))),
        ])
        .await;
    let next = nrepl
        .send(&[("op", s("eval")), ("code", s("(+ 1 1)"))])
        .await;
    // Every answer names its request; collect them up to the last one's done.
    let mut answers = Vec::new();
    loop {
        let message = nrepl.recv().await;
        let last = message.str("id") == Some(next.clone())
            && statuses(&message).contains(&"done".to_string());
        answers.push(message);
        if last {
            break;
        }
    }
    let ids: Vec<String> = answers.iter().map(|m| m.str("id").unwrap()).collect();
    assert_eq!(ids[..2], [big, unknown]);
    assert!(ids[2..].iter().all(|id| id == &next), "{ids:?}");
    assert_eq!(
        statuses(&answers[0]),
        ["error", "request-too-large", "done"]
    );
    assert_eq!(
        answers[0].str("err").as_deref(),
        Some("request not run: `code` is 2000008 bytes, over the 1048576-byte limit\n")
    );
    assert_eq!(
        statuses(&answers[1]),
        ["error", "request-too-large", "done"]
    );
    assert!(answers[1]
        .str("err")
        .unwrap()
        .contains("`payload` is 3145728 bytes"));
    assert_eq!(field(&answers[2..], "value"), ["2"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn undecodable_messages_in_good_framing_get_an_error_and_the_connection_stays() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut nrepl = Nrepl::connect(&server).await;
    // A list, an integer past i64, a non-string key: whole bencode values
    // that are no nREPL request.
    for bytes in [
        b"li1ei2ee" as &[u8],
        b"d2:idi99999999999999999999ee",
        b"di1e2:xxe",
    ] {
        nrepl.send_raw(bytes).await;
        let reply = nrepl.recv().await;
        assert_eq!(statuses(&reply), ["error", "malformed-message", "done"]);
    }
    let invalid = nrepl
        .send(&[
            ("op", s("eval")),
            ("code", Value::Bytes(b"(str \"\xff\")".to_vec())),
        ])
        .await;
    let answer = nrepl.until_done(&invalid).await;
    assert_eq!(statuses(&answer[0]), ["error", "not-utf8", "done"]);
    assert!(answer[0]
        .str("err")
        .unwrap()
        .contains("`code` field is not UTF-8"));
    assert_eq!(eval_answers(&mut nrepl, "(* 6 7)").await, ["42"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_sent_a_byte_at_a_time_or_cut_off_disturbs_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let mut slow = Nrepl::connect(&server).await;
    let mut cut = Nrepl::connect(&server).await;
    cut.send_raw(b"d4:code7:(+ 1 2)2:id1:x2:op4:ev").await;
    drop(cut);
    let request = bencode_request(&[("op", "eval"), ("code", "(+ 2 3)"), ("id", "slow")]);
    for byte in &request {
        slow.send_raw(std::slice::from_ref(byte)).await;
    }
    let answer = slow.until_done("slow").await;
    assert_eq!(field(&answer, "value"), ["5"]);
    let mut other = Nrepl::connect(&server).await;
    assert_eq!(eval_answers(&mut other, "(+ 3 4)").await, ["7"]);
    server.shutdown().await;
}

fn bencode_request(fields: &[(&str, &str)]) -> Vec<u8> {
    fields
        .iter()
        .fold(
            jankwasm::serve::nrepl::bencode::Response::new(),
            |r, (k, v)| r.str(k, v),
        )
        .encode()
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupt_stops_waiting_for_a_silent_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_eval_timeout(dir.path(), 600.0).await;
    // A page that receives patches and never answers.
    let (mut silent, _) = Page::connect(&server, None).await;
    let mut nrepl = Nrepl::connect(&server).await;
    let session = clone_session(&mut nrepl).await;
    let idle = nrepl
        .request(&[("op", s("interrupt")), ("session", s(&session))])
        .await;
    assert!(statuses(&idle[0]).contains(&"session-idle".to_string()));

    let eval_id = nrepl
        .send(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(+ 1 2)")),
        ])
        .await;
    assert!(matches!(silent.next().await, ServerMessage::Patch(_)));
    let interrupt_id = nrepl
        .send(&[
            ("op", s("interrupt")),
            ("session", s(&session)),
            ("interrupt-id", s(&eval_id)),
        ])
        .await;
    let interrupted = nrepl.until_done(&eval_id).await;
    assert!(interrupted.iter().any(|r| statuses(r) == ["interrupted"]));
    let answered = nrepl.until_done(&interrupt_id).await;
    assert_eq!(statuses(&answered[0]), ["done"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupt_stops_a_runaway_loop_in_the_headless_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_eval_timeout(dir.path(), 600.0).await;
    let mut nrepl = Nrepl::connect(&server).await;
    let session = clone_session(&mut nrepl).await;
    let eval = |code: &str| {
        [
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s(code)),
        ]
    };
    let defined = nrepl.request(&eval("(defn answer [] 42)")).await;
    assert_eq!(field(&defined, "value"), ["#'user/answer"]);

    let loop_id = nrepl.send(&eval("(loop [n 0] (recur (inc n)))")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    nrepl
        .send(&[
            ("op", s("interrupt")),
            ("session", s(&session)),
            ("interrupt-id", s(&loop_id)),
        ])
        .await;
    let interrupted = nrepl.until_done(&loop_id).await;
    assert!(interrupted.iter().any(|r| statuses(r) == ["interrupted"]));

    // Without a page, the headless runtime answers: it must be free again,
    // with the definitions it had.
    let answered = nrepl.request(&eval("(answer)")).await;
    assert_eq!(field(&answered, "value"), ["42"], "{answered:?}");
    server.shutdown().await;
}

/// Drives Debian's nREPL client: each line of the output is one
/// `combine-responses` map, printed as EDN.
const CLIENT: &str = r#"
(require '[nrepl.core :as nrepl])
(let [port (Long/parseLong (first *command-line-args*))]
  (with-open [conn (nrepl/connect :host "127.0.0.1" :port port)]
    (let [session (nrepl/client-session (nrepl/client conn 60000))
          ev (fn [m] (prn (nrepl/combine-responses (nrepl/message session m))))]
      (ev {:op "eval" :code "(ns demo.core)"})
      (ev {:op "eval" :ns "demo.core" :code "(defonce clicks (atom 5))"})
      (ev {:op "eval" :ns "demo.core" :code "(defn view [] (str \"clicks: \" @clicks))"})
      (ev {:op "eval" :ns "demo.core" :code "(println :printed) (view)"})
      (ev {:op "eval" :code "(ns elsewhere)"})
      (ev {:op "eval" :code "(def where :elsewhere) where"})
      (ev {:op "eval" :ns "demo.core" :code "(no-such-fn 1)"}))))
(shutdown-agents)
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_debian_nrepl_client_evaluates_with_ns_and_the_page_follows() {
    if !have_debian_nrepl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (page, _) = Page::connect(&server, None).await;
    let (stop, stopped) = tokio::sync::oneshot::channel();
    let page = page.serve_patches(stopped);

    let script = dir.path().join("client.clj");
    std::fs::write(&script, CLIENT).unwrap();
    let port = server.nrepl_addr.port().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("clojure")
            .args(["-cp", NREPL_JAR])
            .arg(&script)
            .arg(port)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 7, "{stdout}");
    assert!(
        lines[2].contains(r##":value ["#'demo.core/view"]"##),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains(r#":value ["nil" "\"clicks: 5\""]"#),
        "{}",
        lines[3]
    );
    assert!(lines[3].contains(r#":out ":printed\n""#), "{}", lines[3]);
    assert!(lines[3].contains(r#":ns "demo.core""#), "{}", lines[3]);
    assert!(
        lines[5].contains(r##":value ["#'elsewhere/where" ":elsewhere"]"##),
        "{}",
        lines[5]
    );
    assert!(lines[6].contains("eval-error"), "{}", lines[6]);
    assert!(lines[6].contains("no-such-fn"), "{}", lines[6]);

    stop.send(()).unwrap();
    let mut page = page.await.unwrap();
    assert_eq!(page.call("demo.core", "view"), "\"clicks: 5\"");
    server.shutdown().await;
}

/// Debian's nREPL server on a free loopback port.
struct Upstream {
    child: Child,
    port: u16,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_upstream(dir: &Path) -> Upstream {
    let mut child = Command::new("clojure")
        .args([
            "-cp",
            NREPL_JAR,
            "-m",
            "nrepl.cmdline",
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .strip_prefix("nREPL server started on port ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("upstream said: {line:?}"));
    Upstream { child, port }
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_answers_and_definitions_reach_the_pages() {
    if !have_debian_nrepl() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let upstream_dir = tempfile::tempdir().unwrap();
    let upstream_path = upstream_dir.path().to_path_buf();
    let upstream = tokio::task::spawn_blocking(move || start_upstream(&upstream_path))
        .await
        .unwrap();
    let server = start_with(ServeArgs {
        upstream: Some(format!("127.0.0.1:{}", upstream.port)),
        ..ServeArgs::on_free_ports(Some(dir.path().to_path_buf()))
    })
    .await;
    let (mut page, _) = Page::connect(&server, None).await;
    let mut nrepl = Nrepl::connect(&server).await;
    let session = clone_session(&mut nrepl).await;

    // Upstream (the JVM here) answers; the definition also reaches the page.
    nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(ns calc.core)")),
        ])
        .await;
    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("ns", s("calc.core")),
            ("code", s("(defn plus1 [x] (+ x 1))")),
        ])
        .await;
    assert_eq!(field(&responses, "value"), ["#'calc.core/plus1"]);
    let loaded = page.load_next().await;
    assert_eq!(loaded.results[0].name, "calc.core/plus1");
    assert_eq!(page.call_with("calc.core", "plus1", &[41]), "42");

    // Only upstream can answer this: host interop jankwasm does not compile.
    let responses = nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(.codePointAt \"abc\" 2)")),
        ])
        .await;
    assert_eq!(field(&responses, "value"), ["99"]);
    // Forms evaluated for effect ran upstream and are not pushed.
    nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(println :upstream-only)")),
        ])
        .await;
    assert_eq!(page.try_next(Duration::from_millis(500)).await, None);

    // The session's namespace, as upstream reports it, is where defs land.
    nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(ns calc.other)")),
        ])
        .await;
    nrepl
        .request(&[
            ("op", s("eval")),
            ("session", s(&session)),
            ("code", s("(def seven 7)")),
        ])
        .await;
    let loaded = page.load_next().await;
    assert_eq!(loaded.results[0].name, "calc.other/seven");
    server.shutdown().await;
    drop(upstream);
}
