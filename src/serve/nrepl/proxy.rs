//! `--upstream HOST:PORT`: every nREPL connection is relayed to a native
//! nREPL (jank's own) byte for byte, so the editor gets exactly the upstream's
//! answers. On the way, the code of each `eval` and `load-file` is also
//! compiled here, and the definitions in it (not the forms evaluated for
//! effect, which upstream already ran) are pushed to the pages. When that
//! fails, the editor is told with an extra `err` message for the same
//! request, sent between upstream's messages, never inside one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedReadHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::bencode::{Framer, FramingError, Limits, Message, Response};
use super::{spawn_writer, unframeable, Outbox, Replier};
use crate::serve::compiler::{CompileMode, CompileRequest};
use crate::serve::eval::Evaluator;
use crate::serve::hub::Audience;
use crate::source::Pos;

pub struct ProxyState {
    pub upstream: String,
    pub evaluator: Evaluator,
    /// Each upstream session's namespace, as upstream's answers report it.
    session_ns: Mutex<HashMap<String, String>>,
}

impl ProxyState {
    pub fn new(upstream: String, evaluator: Evaluator) -> Self {
        Self {
            upstream,
            evaluator,
            session_ns: Mutex::new(HashMap::new()),
        }
    }

    fn session_ns(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.session_ns.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub async fn serve(listener: TcpListener, state: Arc<ProxyState>, shutdown: watch::Receiver<bool>) {
    super::accept_until_shutdown(listener, shutdown, |client, shutdown| {
        relay(client, state.clone(), shutdown)
    })
    .await;
}

async fn relay(client: TcpStream, state: Arc<ProxyState>, mut shutdown: watch::Receiver<bool>) {
    let (client_read, client_write) = client.into_split();
    let (to_client, client_writer) = spawn_writer(client_write);
    let upstream = match TcpStream::connect(&state.upstream).await {
        Ok(upstream) => {
            let _ = upstream.set_nodelay(true);
            upstream
        }
        Err(error) => {
            let response = Response::new()
                .str(
                    "err",
                    format!(
                        "jankwasm: cannot reach the upstream nREPL {}: {error}\n",
                        state.upstream
                    ),
                )
                .status(&["error", "done"]);
            to_client.send(response.encode());
            drop(to_client);
            let _ = client_writer.await;
            return;
        }
    };
    let (upstream_read, mut upstream_write) = upstream.into_split();
    let answers = tokio::spawn(relay_answers(
        upstream_read,
        to_client.clone(),
        state.clone(),
    ));
    let mut requests = MessageReader::new(client_read);
    'relaying: loop {
        let messages = tokio::select! {
            messages = requests.next() => messages,
            _ = shutdown.changed() => break,
        };
        let Some((messages, error)) = messages else {
            break;
        };
        for bytes in messages {
            if upstream_write.write_all(&bytes).await.is_err() {
                break 'relaying;
            }
            if let Ok(message) = Message::decode(&bytes) {
                patch_pages(&state, message, &to_client);
            }
        }
        if let Some(error) = error {
            unframeable(&to_client, &error);
            to_client.close();
            break;
        }
    }
    answers.abort();
    drop(to_client);
    let _ = client_writer.await;
}

/// Upstream's answers go to the client unchanged, whole message by whole
/// message (so injected messages never split one); the namespaces they
/// report are remembered per session. An upstream that stops speaking
/// bencode is cut off, with a last word to the client.
async fn relay_answers(upstream: OwnedReadHalf, to_client: Outbox, state: Arc<ProxyState>) {
    let mut answers = MessageReader::new(upstream);
    while let Some((messages, error)) = answers.next().await {
        for bytes in messages {
            if let Ok(message) = Message::decode(&bytes) {
                if let (Some(session), Some(ns)) = (message.str("session"), message.str("ns")) {
                    state.session_ns().insert(session, ns);
                }
            }
            if !to_client.send(bytes) {
                return;
            }
        }
        if let Some(error) = error {
            to_client.send(
                Response::new()
                    .str(
                        "err",
                        format!("jankwasm: the upstream nREPL sent {error}\n"),
                    )
                    .status(&["error", "done"])
                    .encode(),
            );
            to_client.close();
            return;
        }
    }
}

/// Compiles the definitions of an `eval` or `load-file` and pushes them.
fn patch_pages(state: &Arc<ProxyState>, message: Message, to_client: &Outbox) {
    let session = message.str("session");
    let (text, file, origin, ns) = match message.str("op").as_deref() {
        Some("eval") => {
            let Some(code) = message.str("code") else {
                return;
            };
            let ns = message
                .str("ns")
                .filter(|ns| !ns.is_empty())
                .or_else(|| {
                    session
                        .as_ref()
                        .and_then(|s| state.session_ns().get(s).cloned())
                })
                .unwrap_or_else(|| "user".into());
            let line = message
                .int("line")
                .and_then(|l| u32::try_from(l).ok())
                .filter(|&l| l > 0);
            let column = message
                .int("column")
                .and_then(|c| u32::try_from(c).ok())
                .filter(|&c| c > 0);
            (
                code,
                message.str("file").unwrap_or_else(|| "<nrepl>".into()),
                Pos::new(line.unwrap_or(1), column.unwrap_or(1)),
                ns,
            )
        }
        Some("load-file") => {
            let Some(text) = message.str("file") else {
                return;
            };
            (
                text,
                message
                    .str("file-path")
                    .unwrap_or_else(|| "<load-file>".into()),
                Pos::new(1, 1),
                "user".to_string(),
            )
        }
        _ => return,
    };
    let reply = Replier::new(to_client.clone(), message.get("id").cloned(), session);
    let evaluator = state.evaluator.clone();
    let request = CompileRequest {
        file,
        text,
        origin,
        ns,
        mode: CompileMode::DefsOnly,
        audience: Audience::Everyone,
        repl_session: None,
        ns_must_exist: false,
    };
    tokio::spawn(async move {
        // Upstream reports syntax errors itself; only definitions jankwasm
        // cannot compile are worth an extra message.
        let Ok(compiled) = evaluator.compiler.compile(request).await else {
            return;
        };
        for error in compiled.errors {
            reply.send(Response::new().str(
                "err",
                format!("jankwasm: not patched into the pages:\n{}", error.rendered),
            ));
        }
        for form in compiled.forms {
            let outcome = evaluator.collect(form).await;
            for error in outcome.errors() {
                reply
                    .send(Response::new().str("err", format!("jankwasm: on the pages: {error}\n")));
            }
        }
    });
}

/// Whole messages from one side of the relay, every byte kept.
struct MessageReader {
    read: OwnedReadHalf,
    framer: Framer,
    chunk: Vec<u8>,
}

impl MessageReader {
    fn new(read: OwnedReadHalf) -> Self {
        Self {
            read,
            framer: Framer::new(Limits::RELAY),
            chunk: vec![0; 64 * 1024],
        }
    }

    /// The messages completed by the next read, and the error that stopped
    /// the framing; None at end of stream.
    async fn next(&mut self) -> Option<(Vec<Vec<u8>>, Option<FramingError>)> {
        let count = match self.read.read(&mut self.chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(count) => count,
        };
        let pushed = self.framer.push(&self.chunk[..count]);
        let messages = pushed.messages.into_iter().map(|framed| framed.bytes);
        Some((messages.collect(), pushed.error))
    }
}
