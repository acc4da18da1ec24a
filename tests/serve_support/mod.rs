//! What the `serve_*` tests share: a server started in-process on free
//! ports, a page played by a WebSocket client that really loads each patch
//! into the stub runtime under wasmtime (so its values are real), and an
//! nREPL client speaking bencode over TCP.
#![allow(dead_code)]

pub mod soak;

use std::path::Path;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use jank_wasmtime_harness::Runtime;
use jankwasm::serve::nrepl::bencode::{self, Framer, Limits, Message, Value};
use jankwasm::serve::protocol::{HandshakeAck, PageMessage, PatchAck, ServerMessage};
use jankwasm::serve::{ServeArgs, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Only a hang detector, so far beyond any answer's time: a first eval
/// starts a runtime (wasmtime compiling the stub, in a debug build), which
/// took over 30 s once with the browser suite's pages and servers starting
/// at once on a loaded two-core machine. Every wait is bounded by it.
pub const PATIENCE: Duration = Duration::from_secs(120);

pub async fn start(dir: &Path) -> Server {
    jankwasm::serve::start(ServeArgs::on_free_ports(Some(dir.to_path_buf())))
        .await
        .expect("server starts")
}

pub async fn start_with(args: ServeArgs) -> Server {
    jankwasm::serve::start(args).await.expect("server starts")
}

/// A server on free ports for `dir` that waits `seconds` for an answer.
pub async fn start_with_eval_timeout(dir: &Path, seconds: f64) -> Server {
    start_with(ServeArgs {
        eval_timeout: seconds,
        ..ServeArgs::on_free_ports(Some(dir.to_path_buf()))
    })
    .await
}

pub fn http(server: &Server, path: &str) -> String {
    format!("http://{}{path}", server.http_addr)
}

/// `POST /eval` with `code`; the status and the JSON answer.
pub async fn post_eval(server: &Server, query: &str, code: &str) -> (u16, serde_json::Value) {
    post_eval_to(http(server, &format!("/eval{query}")), code.to_string()).await
}

/// `POST /eval` with `code` in a task of its own, for a test that plays a
/// page while the request waits for it.
pub fn spawn_post_eval(
    server: &Server,
    code: &str,
) -> tokio::task::JoinHandle<(u16, serde_json::Value)> {
    tokio::spawn(post_eval_to(http(server, "/eval"), code.to_string()))
}

async fn post_eval_to(url: String, code: String) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(url)
        .body(code)
        .timeout(PATIENCE)
        .send()
        .await
        .expect("POST /eval answers");
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    (status, json)
}

/// A browser page played in the test: a WebSocket client with its own stub
/// runtime under wasmtime.
pub struct Page {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub runtime: Runtime,
    pub last_patch_id: Option<u64>,
}

impl Page {
    /// Connects and hands shakes; returns the page and the server's ack.
    pub async fn connect(server: &Server, last_patch_id: Option<u64>) -> (Self, HandshakeAck) {
        Self::connect_to(server.ws_addr, last_patch_id).await
    }

    pub async fn connect_to(
        ws_addr: std::net::SocketAddr,
        last_patch_id: Option<u64>,
    ) -> (Self, HandshakeAck) {
        let runtime = Runtime::new().expect("stub runtime");
        match Self::try_connect_with(ws_addr, runtime, last_patch_id).await {
            Ok(connected) => connected,
            Err((_, error)) => panic!("{error}"),
        }
    }

    /// Connects a page that keeps `runtime` (and so its state), as a page
    /// does when its socket comes back; on failure the runtime is handed back.
    pub async fn try_connect_with(
        ws_addr: std::net::SocketAddr,
        runtime: Runtime,
        last_patch_id: Option<u64>,
    ) -> Result<(Self, HandshakeAck), (Runtime, String)> {
        let connected = tokio::time::timeout(
            PATIENCE,
            tokio_tungstenite::connect_async(format!("ws://{ws_addr}/repl")),
        )
        .await;
        let socket = match connected {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(error)) => return Err((runtime, format!("WebSocket handshake: {error}"))),
            Err(_) => return Err((runtime, "no WebSocket handshake in time".into())),
        };
        let mut page = Self {
            socket,
            runtime,
            last_patch_id,
        };
        let handshake = serde_json::json!({
            "type": "handshake", "client": "test-page", "version": "1",
            "last_patch_id": last_patch_id,
        });
        if !page.try_send_text(handshake.to_string()).await {
            return Err((page.runtime, "the handshake could not be sent".into()));
        }
        match page.try_next(PATIENCE).await {
            Some(ServerMessage::HandshakeAck(ack)) => Ok((page, ack)),
            other => Err((
                page.runtime,
                format!("expected handshake_ack, got {other:?}"),
            )),
        }
    }

    /// Closes the socket and hands back the runtime, for a reconnect.
    pub async fn disconnect(mut self) -> (Runtime, Option<u64>) {
        let _ = self.socket.close(None).await;
        (self.runtime, self.last_patch_id)
    }

    pub async fn send_json(&mut self, value: &serde_json::Value) {
        self.send_text(value.to_string()).await;
    }

    /// Sends `text`; false when the server has closed the connection.
    pub async fn try_send_text(&mut self, text: String) -> bool {
        self.socket.send(WsMessage::Text(text.into())).await.is_ok()
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.socket
            .send(WsMessage::Binary(bytes.into()))
            .await
            .expect("page sends");
    }

    /// A text frame whose payload is not UTF-8, which no well-behaved
    /// client can send.
    pub async fn send_invalid_utf8_text(&mut self, payload: &[u8]) {
        use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
        use tokio_tungstenite::tungstenite::protocol::frame::Frame;
        let frame = Frame::message(payload.to_vec(), OpCode::Data(Data::Text), true);
        self.socket
            .send(WsMessage::Frame(frame))
            .await
            .expect("page sends");
    }

    pub async fn send_text(&mut self, text: String) {
        self.socket
            .send(WsMessage::Text(text.into()))
            .await
            .expect("page sends");
    }

    /// The next server message.
    pub async fn next(&mut self) -> ServerMessage {
        self.try_next(PATIENCE).await.expect("a message in time")
    }

    /// The next server message within `wait`, if any.
    pub async fn try_next(&mut self, wait: Duration) -> Option<ServerMessage> {
        loop {
            let frame = tokio::time::timeout(wait, self.socket.next()).await.ok()?;
            match frame {
                Some(Ok(WsMessage::Text(text))) => {
                    return Some(serde_json::from_str(text.as_str()).expect("server JSON"))
                }
                // A closed or reset socket: the server went away.
                Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => return None,
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Receives the next patch, loads it and acknowledges it.
    pub async fn load_next(&mut self) -> PatchAck {
        match self.next().await {
            ServerMessage::Patch(patch) => self.load(patch).await,
            other => panic!("expected a patch, got {other:?}"),
        }
    }

    pub async fn load(&mut self, patch: jankwasm::serve::protocol::PatchMessage) -> PatchAck {
        let (ack, sent) = self.try_load(patch).await;
        assert!(sent, "page sends its ack");
        ack
    }

    /// Loads a patch and acknowledges it; false when the ack could not be
    /// sent (the server went away meanwhile).
    pub async fn try_load(
        &mut self,
        patch: jankwasm::serve::protocol::PatchMessage,
    ) -> (PatchAck, bool) {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&patch.data)
            .expect("base64 patch");
        let ack = jankwasm::serve::headless::load(
            &mut self.runtime,
            patch.id,
            &bytes,
            &patch.symbol_name,
        );
        // The highest id loaded, as the page client reports it: a fresh
        // page's replay is in program order, not id order.
        self.last_patch_id = self.last_patch_id.max(Some(patch.id));
        let message = serde_json::to_value(PageMessage::PatchAck(ack.clone())).unwrap();
        let sent = self.try_send_text(message.to_string()).await;
        (ack, sent)
    }

    /// Calls `ns/name` in this page's runtime (what a click handler does).
    pub fn call(&mut self, ns: &str, name: &str) -> String {
        self.runtime
            .call_var(ns, name, &[])
            .expect("call into the page")
            .printed
    }

    /// Answers every patch from now on, in the background, until `stop`
    /// fires (then hands the page back) or the server goes away.
    pub fn serve_patches(
        mut self,
        mut stop: tokio::sync::oneshot::Receiver<()>,
    ) -> tokio::task::JoinHandle<Self> {
        tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    message = self.try_next(Duration::from_secs(3600)) => message,
                    _ = &mut stop => break,
                };
                match message {
                    Some(ServerMessage::Patch(patch)) => {
                        self.load(patch).await;
                    }
                    Some(_) => {}
                    None => break,
                }
            }
            self
        })
    }

    /// Calls `ns/name` with integer arguments.
    pub fn call_with(&mut self, ns: &str, name: &str, args: &[i64]) -> String {
        let args: Vec<jank_wasmtime_harness::Arg> = args
            .iter()
            .map(|&n| jank_wasmtime_harness::Arg::Int(n))
            .collect();
        self.runtime
            .call_var(ns, name, &args)
            .expect("call into the page")
            .printed
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// An nREPL client over TCP.
pub struct Nrepl {
    stream: TcpStream,
    framer: Framer,
    /// Messages read but not yet asked for.
    received: std::collections::VecDeque<Message>,
    next_id: u64,
}

pub fn s(text: &str) -> Value {
    bencode::string(text)
}

impl Nrepl {
    pub async fn connect(server: &Server) -> Self {
        Self::connect_to(&server.nrepl_addr.to_string()).await
    }

    pub async fn connect_to(addr: &str) -> Self {
        Self {
            stream: TcpStream::connect(addr).await.expect("nREPL connects"),
            framer: Framer::new(Limits::RELAY),
            received: std::collections::VecDeque::new(),
            next_id: 0,
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("nREPL write");
    }

    /// Sends `fields` with a fresh `id`, which it returns.
    pub async fn send(&mut self, fields: &[(&str, Value)]) -> String {
        self.next_id += 1;
        let id = format!("t{}", self.next_id);
        let mut response = bencode::Response::new().str("id", &id);
        for (key, value) in fields {
            response = response.set(key, value.clone());
        }
        self.send_raw(&response.encode()).await;
        id
    }

    pub async fn recv(&mut self) -> Message {
        self.recv_or_closed()
            .await
            .expect("nREPL connection closed")
    }

    /// The next message, or None once the server has closed the connection.
    pub async fn recv_or_closed(&mut self) -> Option<Message> {
        self.recv_or_closed_within(PATIENCE).await
    }

    /// As `recv_or_closed`, waiting up to `patience` for each read.
    pub async fn recv_or_closed_within(&mut self, patience: Duration) -> Option<Message> {
        let mut chunk = [0u8; 8192];
        loop {
            if let Some(message) = self.received.pop_front() {
                return Some(message);
            }
            let count = tokio::time::timeout(patience, self.stream.read(&mut chunk))
                .await
                .expect("an nREPL answer in time");
            let count = match count {
                Ok(0) | Err(_) => return None,
                Ok(count) => count,
            };
            let pushed = self.framer.push(&chunk[..count]);
            assert_eq!(pushed.error, None, "the server sends bencode");
            for framed in pushed.messages {
                self.received
                    .push_back(Message::decode(&framed.bytes).expect("a dictionary"));
            }
        }
    }

    /// Every response to `id` up to and including the one with status `done`.
    pub async fn until_done(&mut self, id: &str) -> Vec<Message> {
        let mut responses = Vec::new();
        loop {
            let message = self.recv().await;
            if message.str("id").as_deref() != Some(id) {
                continue;
            }
            let done = statuses(&message).iter().any(|s| s == "done");
            responses.push(message);
            if done {
                return responses;
            }
        }
    }

    pub async fn request(&mut self, fields: &[(&str, Value)]) -> Vec<Message> {
        let id = self.send(fields).await;
        self.until_done(&id).await
    }
}

pub fn statuses(message: &Message) -> Vec<String> {
    match message.get("status") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Every value of `key` across `responses`, in order.
pub fn field(responses: &[Message], key: &str) -> Vec<String> {
    responses.iter().filter_map(|m| m.str(key)).collect()
}

/// True when `tool` runs; otherwise says why the test is skipped, or fails
/// under CI, where .ci/run installs everything.
pub fn have_tool(tool: &str, check: &[&str]) -> bool {
    let found = std::process::Command::new(tool)
        .args(check)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is not installed; .ci/run installs it"
        );
        eprintln!("skipping: {tool} not installed (.ci/run installs it)");
    }
    found
}

/// Where Debian's libnrepl-clojure puts nREPL (client and server).
pub const NREPL_JAR: &str = "/usr/share/java/nrepl.jar";

/// Whether `clojure` and Debian's nREPL are installed; outside CI a missing
/// one skips the test (after saying so), in CI it fails.
pub fn have_debian_nrepl() -> bool {
    have_tool("clojure", &["-e", "nil"]) && {
        let found = std::path::Path::new(NREPL_JAR).exists();
        if !found {
            assert!(
                std::env::var_os("CI").is_none(),
                "{NREPL_JAR} is missing; .ci/run installs libnrepl-clojure"
            );
            eprintln!("skipping: libnrepl-clojure not installed (.ci/run installs it)");
        }
        found
    }
}
