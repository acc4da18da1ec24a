//! Pages over WebSocket, played by clients that load every patch into the
//! stub runtime: values come from the page, state survives redefinitions,
//! replay on (re)connect, two pages, a server restart, protocol errors, a
//! refused Origin and a page that disconnects mid-evaluation.

use crate::serve_support;

use std::time::Duration;

use jankwasm::serve::protocol::ServerMessage;
use jankwasm::serve::ServeArgs;
use pretty_assertions::assert_eq;
use serve_support::*;

const COUNTER_APP: &str = "(ns app)\n\
(defonce clicks (atom 0))\n\
(defn label [] (str \"clicked \" @clicks))\n\
(defn click! [] (swap! clicks inc) (label))\n";

#[tokio::test(flavor = "multi_thread")]
async fn a_page_answers_with_its_own_values_and_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.jank"), COUNTER_APP).unwrap();
    let server = start(dir.path()).await;
    let (mut page, ack) = Page::connect(&server, None).await;
    assert_eq!(ack.replay, 3, "defonce, label and click! are replayed");
    for _ in 0..3 {
        let loaded = page.load_next().await;
        assert!(loaded.ok, "{loaded:?}");
    }
    assert_eq!(page.call("app", "click!"), "\"clicked 1\"");
    assert_eq!(page.call("app", "click!"), "\"clicked 2\"");

    let (stop, stopped) = tokio::sync::oneshot::channel();
    let page = page.serve_patches(stopped);
    // The editor redefines the view: the page's counter stays at 2, and the
    // value comes from the page, not from the headless runtime (whose
    // counter is 0).
    let (status, answer) = post_eval(
        &server,
        "?ns=app",
        "(defn label [] (str \"count: \" @clicks))\n(label)",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["values"],
        serde_json::json!(["#'app/label", "\"count: 2\""])
    );
    assert_eq!(answer["forms"][1]["answered_by"], "page");
    stop.send(()).unwrap();
    let mut page = page.await.unwrap();
    assert_eq!(page.call("app", "label"), "\"count: 2\"");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_eval_is_answered_by_that_page_even_when_another_acks_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.jank"), COUNTER_APP).unwrap();
    let server = start(dir.path()).await;
    let (mut first, _) = Page::connect(&server, None).await;
    let (mut asking, _) = Page::connect(&server, None).await;
    for page in [&mut first, &mut asking] {
        for _ in 0..3 {
            assert!(page.load_next().await.ok);
        }
    }
    for _ in 0..5 {
        first.call("app", "click!");
    }
    asking.call("app", "click!");

    asking
        .send_json(&serde_json::json!({
            "type": "eval", "ns": "app", "request_id": "mine",
            "code": "(def checked (if (> @clicks 3) (throw (ex-info \"too many\" {})) :fine))"
        }))
        .await;
    // A definition reaches every page; this one fails where the count is 5.
    let acked_first = first.load_next().await;
    assert!(acked_first.results[0]
        .error
        .as_deref()
        .is_some_and(|e| e.contains("too many")));
    assert!(asking.load_next().await.ok);
    match asking.next().await {
        ServerMessage::EvalResult(result) => {
            assert_eq!(result.request_id, Some(serde_json::json!("mine")));
            assert_eq!(result.values, ["#'app/checked"]);
            assert_eq!(result.errors, Vec::<String>::new());
        }
        other => panic!("expected the eval's result, got {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_eval_runs_only_in_that_page_but_its_definitions_reach_every_page() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.jank"), COUNTER_APP).unwrap();
    let server = start(dir.path()).await;
    let (mut other, _) = Page::connect(&server, None).await;
    let (mut asking, _) = Page::connect(&server, None).await;
    for page in [&mut other, &mut asking] {
        for _ in 0..3 {
            assert!(page.load_next().await.ok);
        }
    }

    asking
        .send_json(&serde_json::json!({
            "type": "eval", "code": "(swap! clicks inc)", "ns": "app", "request_id": 1
        }))
        .await;
    assert!(asking.load_next().await.ok);
    match asking.next().await {
        ServerMessage::EvalResult(result) => assert_eq!(result.values, ["1"]),
        other => panic!("expected the eval's result, got {other:?}"),
    }
    assert_eq!(other.try_next(Duration::from_millis(500)).await, None);
    assert_eq!(other.call("app", "label"), "\"clicked 0\"");

    asking
        .send_json(&serde_json::json!({
            "type": "eval", "code": "(defn label [] (str \"count \" @clicks))", "ns": "app",
            "request_id": 2
        }))
        .await;
    assert!(other.load_next().await.ok);
    assert_eq!(other.call("app", "label"), "\"count 0\"");
    assert!(asking.load_next().await.ok);
    assert_eq!(asking.call("app", "label"), "\"count 1\"");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_pages_both_receive_every_patch() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (mut first, _) = Page::connect(&server, None).await;
    let (mut second, _) = Page::connect(&server, None).await;
    let request = spawn_post_eval(&server, "(defn greet [n] (str \"hi \" n))");
    let a = first.load_next().await;
    let b = second.load_next().await;
    assert_eq!(a.id, b.id);
    assert_eq!(a.results[0].value.as_deref(), Some("#'user/greet"));
    assert_eq!(b.results, a.results);
    assert_eq!(request.await.unwrap().1["result"], "#'user/greet");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reconnecting_page_gets_what_it_missed() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (status, _) = post_eval(&server, "", "(def base 40)\n(defn f [] (+ base 1))").await;
    assert_eq!(status, 200);

    // A new page is replayed both definitions.
    let (mut page, ack) = Page::connect(&server, None).await;
    assert_eq!(ack.replay, 2);
    page.load_next().await;
    page.load_next().await;
    assert_eq!(page.call("user", "f"), "41");
    let seen = page.last_patch_id;
    page.close().await;

    // While it is away, `base` changes and a REPL expression runs.
    post_eval(&server, "", "(def base 100)\n(println :side-effect)").await;

    // Coming back with what it has, it gets only the new `base`.
    let (mut page, ack) = Page::connect(&server, seen).await;
    assert_eq!(ack.replay, 1);
    let loaded = page.load_next().await;
    assert_eq!(loaded.results[0].name, "user/base");
    assert_eq!(page.try_next(Duration::from_millis(300)).await, None);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_server_restart_ids_continue_and_the_page_resyncs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.jank"), COUNTER_APP).unwrap();
    let server = start(dir.path()).await;
    let ports = (
        server.http_addr.port(),
        server.ws_addr.port(),
        server.nrepl_addr.port(),
    );
    let (mut page, _) = Page::connect(&server, None).await;
    for _ in 0..3 {
        page.load_next().await;
    }
    page.call("app", "click!");
    let before = page.last_patch_id.unwrap();
    server.shutdown().await;
    // The page notices the server went away.
    assert_eq!(page.try_next(Duration::from_secs(5)).await, None);

    let server = start_with(ServeArgs {
        http_port: ports.0,
        ws_port: ports.1,
        nrepl_port: ports.2,
        ..ServeArgs::on_free_ports(Some(dir.path().to_path_buf()))
    })
    .await;
    let runtime = page.runtime;
    let (mut page, ack) = Page::connect(&server, Some(before)).await;
    page.runtime = runtime;
    // The restarted server compiled the app again under new ids, so the
    // page gets them; its defonce keeps the clicks.
    assert_eq!(ack.replay, 3);
    for _ in 0..3 {
        let loaded = page.load_next().await;
        assert!(loaded.id > before, "{} after {before}", loaded.id);
        assert!(loaded.ok, "{loaded:?}");
    }
    assert_eq!(page.call("app", "click!"), "\"clicked 2\"");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_messages_get_an_error_and_the_connection_stays() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (mut page, _) = Page::connect(&server, None).await;
    page.send_text("{not json".into()).await;
    match page.next().await {
        ServerMessage::Error(error) => {
            assert!(error.error.starts_with("malformed message"), "{error:?}")
        }
        other => panic!("{other:?}"),
    }
    for wrong in [
        serde_json::json!({"type": "no_such_type"}),
        serde_json::json!({"type": "eval", "code": 5}),
        serde_json::json!({"type": "patch_ack", "id": "seven", "ok": true}),
        serde_json::json!([1, 2, 3]),
    ] {
        page.send_json(&wrong).await;
        match page.next().await {
            ServerMessage::Error(error) => {
                assert!(error.error.starts_with("malformed message"), "{error:?}")
            }
            other => panic!("{wrong}: {other:?}"),
        }
    }
    page.send_binary(vec![0, 159, 146, 150]).await;
    match page.next().await {
        ServerMessage::Error(error) => {
            assert_eq!(error.error, "binary frames are not part of the protocol")
        }
        other => panic!("{other:?}"),
    }

    // Still connected: the page's own eval works.
    page.send_json(&serde_json::json!({"type": "eval", "code": "(* 6 7)", "request_id": 5}))
        .await;
    let result = loop {
        match page.next().await {
            ServerMessage::Patch(patch) => {
                page.load(patch).await;
            }
            ServerMessage::EvalResult(result) => break result,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(result.request_id, Some(serde_json::json!(5)));
    assert_eq!(result.result.as_deref(), Some("42"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_origin_cannot_connect() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/repl", server.ws_addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Origin", "http://evil.example".parse().unwrap());
    let refused = tokio_tungstenite::connect_async(request).await.unwrap_err();
    assert!(refused.to_string().contains("403"), "{refused}");

    let mut request = format!("ws://{}/repl", server.ws_addr)
        .into_client_request()
        .unwrap();
    let origin = format!("http://127.0.0.1:{}", server.http_addr.port());
    request
        .headers_mut()
        .insert("Origin", origin.parse().unwrap());
    assert!(tokio_tungstenite::connect_async(request).await.is_ok());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_leaving_mid_eval_hands_over_to_the_headless_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (mut page, _) = Page::connect(&server, None).await;
    let request = spawn_post_eval(&server, "(defn sq [x] (* x x))\n(sq 12)");
    // The page receives the patch and goes away without acknowledging it.
    assert!(matches!(page.next().await, ServerMessage::Patch(_)));
    page.close().await;
    let (_, answer) = request.await.unwrap();
    assert_eq!(answer["values"], serde_json::json!(["#'user/sq", "144"]));
    assert_eq!(answer["forms"][1]["answered_by"], "headless");
    assert_eq!(answer["errors"], serde_json::json!([]));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_target_the_built_in_demo_loads_into_a_page() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .args([
            "serve",
            "--http-port",
            "0",
            "--ws-port",
            "0",
            "--nrepl-port",
            "0",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let banner = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        lines
            .find(|line| {
                line.as_ref()
                    .is_ok_and(|l| l.starts_with("jankwasm serve: http://"))
            })
            .unwrap()
            .unwrap()
    })
    .await
    .unwrap();
    let ws_addr: std::net::SocketAddr = banner
        .split("ws://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("{banner}"));
    let (mut page, ack) = Page::connect_to(ws_addr, None).await;
    assert!(ack.replay > 0, "the demo app defines something");
    for _ in 0..ack.replay {
        let loaded = page.load_next().await;
        assert!(loaded.ok, "{loaded:?}");
        assert!(
            loaded.results.iter().all(|r| r.error.is_none()),
            "{loaded:?}"
        );
    }
    // Its state files went to the current directory.
    assert!(dir.path().join(".nrepl-port").exists());
    assert!(dir.path().join(".jankwasm/patch-id").exists());
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The server's protocol error saying `expected`, then the closed socket.
async fn last_word_then_closed(page: &mut Page, expected: &str) {
    match page.next().await {
        ServerMessage::Error(error) => assert_eq!(error.error, expected),
        other => panic!("{other:?}"),
    }
    assert_eq!(page.try_next(PATIENCE).await, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_message_closes_only_that_page() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (mut big, _) = Page::connect(&server, None).await;
    let (mut other, _) = Page::connect(&server, None).await;
    let code = format!("(def s \"{}\")", "x".repeat(2 << 20));
    let message = serde_json::json!({"type": "eval", "code": code});
    // The server refuses the frame with a last error, then closes this
    // connection (whether the send itself completes depends on socket
    // buffers).
    big.try_send_text(message.to_string()).await;
    last_word_then_closed(
        &mut big,
        "a message over the 1048576-byte limit; closing the connection",
    )
    .await;

    let (mut garbled, _) = Page::connect(&server, None).await;
    garbled
        .send_invalid_utf8_text(b"{\"type\": \"\xff\"}")
        .await;
    last_word_then_closed(
        &mut garbled,
        "a text message that is not UTF-8; closing the connection",
    )
    .await;

    other
        .send_json(&serde_json::json!({"type": "eval", "code": "(+ 1 1)"}))
        .await;
    let result = loop {
        match other.next().await {
            ServerMessage::Patch(patch) => {
                other.load(patch).await;
            }
            ServerMessage::EvalResult(result) => break result,
            unexpected => panic!("{unexpected:?}"),
        }
    };
    assert_eq!(result.result.as_deref(), Some("2"));
    server.shutdown().await;
}
