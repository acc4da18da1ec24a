//! `jankwasm serve` over HTTP: `POST /eval` answered by the headless runtime
//! (no page connected), compile errors, limits, Origin, static files that
//! cannot leave the served directory, and the binary's startup output.

use crate::serve_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use pretty_assertions::assert_eq;
use serve_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn eval_without_a_page_is_answered_by_the_headless_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (status, answer) = post_eval(
        &server,
        "?ns=calc",
        "(defn twice [x] (* 2 x))\n(println \"hello\" (twice 4))\n(twice 21)",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer["values"],
        serde_json::json!(["#'calc/twice", "nil", "42"])
    );
    assert_eq!(answer["result"], "42");
    assert_eq!(answer["output"], "hello 8\n");
    assert_eq!(answer["ns"], "calc");
    assert_eq!(answer["forms"][2]["answered_by"], "headless");
    assert_eq!(answer["forms"][1]["line"], 2);

    // The namespace and its var persist between requests.
    let (_, answer) = post_eval(&server, "?ns=calc", "(twice 5)").await;
    assert_eq!(answer["result"], "10");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn runtime_errors_come_back_as_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (status, answer) =
        post_eval(&server, "", "(throw (ex-info \"boom\" {:code 7}))\n(+ 1 2)").await;
    assert_eq!(status, 200, "{answer}");
    let error = answer["error"].as_str().unwrap();
    assert!(error.contains("boom"), "{error}");
    assert_eq!(answer["forms"][0]["value"], serde_json::Value::Null);
    assert_eq!(answer["values"], serde_json::json!(["3"]));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_runaway_loop_times_out_and_the_headless_runtime_recovers_its_definitions() {
    let dir = tempfile::tempdir().unwrap();
    // Long enough for a loaded machine to answer the other forms.
    let server = start_with_eval_timeout(dir.path(), 5.0).await;
    let (status, answer) = post_eval(&server, "?ns=calc", "(defn answer [] 42)").await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = post_eval(&server, "?ns=calc", "(loop [n 0] (recur (inc n)))").await;
    assert_eq!(status, 200, "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(error.contains("no runtime answered"), "{answer}");
    assert!(error.contains("was stopped"), "{answer}");

    let (status, answer) = post_eval(&server, "?ns=calc", "(answer)").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["values"], serde_json::json!(["42"]), "{answer}");

    // A trap (here the wasm stack running out: a plain recursion would be a
    // StackOverflowError, but one through `map` exhausts the wasm stack
    // first) also gets a fresh runtime.
    let (_, answer) = post_eval(
        &server,
        "?ns=calc",
        "(defn deep [n] (inc (first (map deep [n])))) (deep 1)",
    )
    .await;
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(error.contains("restarted"), "{answer}");
    let (_, answer) = post_eval(&server, "?ns=calc", "(+ (answer) (count [(deep 0)]))").await;
    assert!(
        answer["error"].as_str().is_some_and(|e| e.contains("trap")),
        "{answer}"
    );
    let (_, answer) = post_eval(&server, "?ns=calc", "(answer)").await;
    assert_eq!(answer["values"], serde_json::json!(["42"]));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_compile_error_is_400_with_positions_and_pushes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let (mut page, _) = Page::connect(&server, None).await;

    let (status, answer) = post_eval(
        &server,
        "?file=src/app.jank&line=10&column=3",
        "(defn ok [] 1)\n(defn broken [] (undefined-thing 1))",
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    let diagnostic = &answer["diagnostics"][0];
    assert_eq!(diagnostic["file"], "src/app.jank");
    assert_eq!(diagnostic["line"], 11);
    assert_eq!(diagnostic["column"], 18);
    let rendered = diagnostic["rendered"].as_str().unwrap();
    assert!(
        rendered.starts_with("src/app.jank:11:18: error: "),
        "{rendered}"
    );
    assert!(rendered.contains("undefined-thing"), "{rendered}");

    // The page is told for its overlay, and gets no patch, not even `ok`'s.
    match page.next().await {
        jankwasm::serve::protocol::ServerMessage::Error(error) => {
            assert_eq!(error.diagnostics[0].line, 11);
        }
        other => panic!("expected the compile error, got {other:?}"),
    }
    let pusher = spawn_post_eval(&server, "(defn after [] :after)");
    let ack = page.load_next().await;
    assert_eq!(ack.results[0].name, "user/after");
    assert_eq!(pusher.await.unwrap().0, 200);
    // `ok` was never defined: the failed batch left nothing behind.
    let (status, answer) = post_eval(&server, "", "(ok)").await;
    assert_eq!(status, 400, "{answer}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_and_foreign_origins_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let client = reqwest::Client::new();
    let huge = format!("(def s \"{}\")", "x".repeat(2 << 20));
    let response = client
        .post(http(&server, "/eval"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    // Its unread body is still in flight: the connection must not be reused.
    assert_eq!(response.headers()["connection"], "close");

    let response = client
        .post(http(&server, "/eval"))
        .header("Origin", "http://evil.example")
        .body("(println :pwned)")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);

    let response = client
        .post(http(&server, "/eval"))
        .header(
            "Origin",
            format!("http://localhost:{}", server.http_addr.port()),
        )
        .body("(+ 1 1)")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    let response = client
        .get(http(&server, "/"))
        .header("Host", "rebound.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    server.shutdown().await;
}

/// Writes `head` and then each of `pieces` on a fresh connection and reads
/// the whole answer (the server closes the connection after it).
async fn raw_exchange(server: &jankwasm::serve::Server, head: &str, pieces: &[&[u8]]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(server.http_addr)
        .await
        .unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    for piece in pieces {
        // A server that refused the request early may already have closed
        // its side: the rest of the body has nowhere to go, the answer was sent.
        if let Err(error) = stream.write_all(piece).await {
            assert!(
                matches!(
                    error.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "{error}"
            );
            break;
        }
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("an answer in time");
    // A reset after the answer arrived (unread body bytes) is not a failure.
    if let Err(error) = read {
        assert_eq!(error.kind(), std::io::ErrorKind::ConnectionReset, "{error}");
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_must_be_utf8_source_and_content_types_must_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let client = reqwest::Client::new();
    let post = |content_type: Option<&'static str>, body: Vec<u8>| {
        let mut request = client.post(http(&server, "/eval")).body(body);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, text) = post(None, b"(str \"\xff\")".to_vec()).await;
    assert_eq!(
        (status, text.as_str()),
        (400, "the body must be UTF-8 jank source\n")
    );
    for refused in [
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain; charset=iso-8859-1",
        "image/png",
    ] {
        let (status, text) = post(Some(refused), b"(+ 1 1)".to_vec()).await;
        assert_eq!(status, 415, "{refused}");
        assert!(text.contains(&format!("not {refused}")), "{text}");
    }
    for accepted in [
        None,
        Some("text/plain"),
        Some("text/plain; charset=UTF-8"),
        Some("application/x-www-form-urlencoded"),
        Some("application/octet-stream"),
    ] {
        let (status, text) = post(accepted, b"(+ 1 1)".to_vec()).await;
        assert_eq!(status, 200, "{accepted:?}: {text}");
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["result"], "2");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn chunked_bodies_are_read_and_held_to_the_same_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let head = "POST /eval HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                Transfer-Encoding: chunked\r\n\r\n";
    let answer = raw_exchange(
        &server,
        head,
        &[b"4\r\n(+ 4\r\n", b"4\r\n0 2)\r\n", b"0\r\n\r\n"],
    )
    .await;
    assert_eq!(status_line(&answer), "HTTP/1.1 200 OK", "{answer}");
    assert!(answer.contains(r#""result":"42""#), "{answer}");

    let chunk = format!("100000\r\n{}\r\n", ";".repeat(0x10_0000));
    let answer = raw_exchange(
        &server,
        head,
        &[chunk.as_bytes(), chunk.as_bytes(), b"0\r\n\r\n"],
    )
    .await;
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 413 Payload Too Large",
        "{answer}"
    );
    assert!(answer.to_ascii_lowercase().contains("connection: close"));
    let (status, answer) = post_eval(&server, "", "(+ 1 2)").await;
    assert_eq!((status, answer["result"].as_str()), (200, Some("3")));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_body_times_out_while_other_requests_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(jankwasm::serve::ServeArgs {
        body_timeout: 1.0,
        ..jankwasm::serve::ServeArgs::on_free_ports(Some(dir.path().to_path_buf()))
    })
    .await;
    use tokio::io::AsyncWriteExt;
    let mut stalled = tokio::net::TcpStream::connect(server.http_addr)
        .await
        .unwrap();
    stalled
        .write_all(b"POST /eval HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n(+ 1")
        .await
        .unwrap();
    let (status, answer) = post_eval(&server, "", "(+ 20 22)").await;
    assert_eq!((status, answer["result"].as_str()), (200, Some("42")));
    let mut answer = Vec::new();
    use tokio::io::AsyncReadExt;
    tokio::time::timeout(PATIENCE, stalled.read_to_end(&mut answer))
        .await
        .expect("the stalled request is answered")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 408 Request Timeout",
        "{answer}"
    );
    assert!(
        answer.contains("the body took over 1 s to arrive"),
        "{answer}"
    );
    server.shutdown().await;
}

/// Sends `path` as written, without a client normalizing `..` away.
fn raw_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[tokio::test(flavor = "multi_thread")]
async fn static_files_stay_inside_the_served_directory() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<h1>my app</h1>").unwrap();
    std::fs::write(dir.path().join("style.css"), "body{}").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        dir.path().join("leak.txt"),
    )
    .unwrap();
    let server = start(dir.path()).await;
    let addr = server.http_addr;

    let page = reqwest::get(http(&server, "/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page, "<h1>my app</h1>");
    let css = reqwest::get(http(&server, "/style.css")).await.unwrap();
    assert_eq!(css.headers()["content-type"], "text/css");
    let stub = reqwest::get(http(&server, "/_jankwasm/jank_stub.wasm"))
        .await
        .unwrap();
    assert_eq!(stub.headers()["content-type"], "application/wasm");
    assert_eq!(&stub.bytes().await.unwrap()[..4], b"\0asm");
    let config: serde_json::Value = reqwest::get(http(&server, "/_jankwasm/config.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        config["ws_url"],
        format!("ws://127.0.0.1:{}/repl", server.ws_addr.port())
    );

    let (traversal, encoded, link, hidden) = tokio::task::spawn_blocking(move || {
        (
            raw_get(addr, "/../secret.txt"),
            raw_get(addr, "/%2e%2e/%2e%2e/etc/passwd"),
            raw_get(addr, "/leak.txt"),
            raw_get(addr, "/.nrepl-port"),
        )
    })
    .await
    .unwrap();
    for response in [&traversal, &encoded, &link, &hidden] {
        assert!(
            !response.contains("top secret") && !response.contains("root:"),
            "{response}"
        );
        let status_line = response.lines().next().unwrap_or_default();
        assert!(
            status_line.contains(" 403 ")
                || status_line.contains(" 404 ")
                || status_line.contains(" 400 "),
            "{status_line}"
        );
    }
    assert!(link.starts_with("HTTP/1.1 403"), "{link}");
    server.shutdown().await;
}

#[test]
fn the_binary_prints_its_addresses_and_writes_nrepl_port() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("app.jank"),
        "(ns app)\n(defn answer [] 42)\n",
    )
    .unwrap();
    let mut child = spawn_serve(dir.path(), &[]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    assert!(
        first.starts_with("jankwasm serve: http://127.0.0.1:"),
        "{first}"
    );
    let port: u16 = second
        .strip_prefix("nREPL server started on port ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{second}"));
    assert_ne!(port, 0);
    let written = std::fs::read_to_string(dir.path().join(".nrepl-port")).unwrap();
    assert_eq!(written, port.to_string());
    assert!(dir.path().join(".jankwasm/patch-id").exists());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_non_loopback_bind_warns_about_remote_code_execution() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = spawn_serve(dir.path(), &["--bind", "0.0.0.0"]);
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut warning = String::new();
    stderr.read_line(&mut warning).unwrap();
    assert!(
        warning.starts_with("warning: listening on 0.0.0.0"),
        "{warning}"
    );
    assert!(warning.contains("remote code execution"), "{warning}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The `jankwasm serve` binary for `dir` on free ports, with `flags` added;
/// its output piped.
fn spawn_serve(dir: &std::path::Path, flags: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .args([
            "serve",
            "--http-port",
            "0",
            "--ws-port",
            "0",
            "--nrepl-port",
            "0",
        ])
        .args(flags)
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jankwasm serve")
}
