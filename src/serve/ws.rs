//! The WebSocket side: one task per page. It checks the Origin, reads the
//! page's JSON messages (protocol.rs), registers the page with the hub on
//! its handshake (which queues the replay), routes acks to the hub, runs the
//! page's own `eval` requests, and writes the page's outgoing queue.

use std::sync::{Arc, Mutex};

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};

use super::access::Access;
use super::compiler::{CompileError, CompileMode, CompileRequest};
use super::eval::Evaluator;
use super::hub::{Audience, Hub, PageId, PageSender};
use super::patch_ids::PatchIds;
use super::protocol::{
    ErrorKind, ErrorMessage, EvalResult, PageEval, PageMessage, PatchAck, ServerMessage,
    MAX_MESSAGE_BYTES,
};
use super::warn;
use crate::source::Pos;

pub struct WsState {
    pub hub: Arc<Hub>,
    pub evaluator: Evaluator,
    pub ids: Arc<Mutex<PatchIds>>,
    pub access: Access,
    pub shutdown: watch::Receiver<bool>,
}

pub fn router(state: Arc<WsState>) -> Router {
    Router::new()
        .route("/", get(upgrade))
        .route("/{*path}", get(upgrade))
        .with_state(state)
}

async fn upgrade(
    State(state): State<Arc<WsState>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if !state.access.origin_allowed(headers.get(header::ORIGIN))
        || !state.access.host_allowed(headers.get(header::HOST))
    {
        return (StatusCode::FORBIDDEN, "Origin not allowed\n").into_response();
    }
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| page(socket, state))
}

fn protocol_error(queue: &PageSender, error: String) {
    let message = ServerMessage::Error(ErrorMessage {
        kind: ErrorKind::Protocol,
        error,
        diagnostics: Vec::new(),
        request_id: None,
    });
    let _ = queue.send(message.to_json().into());
}

async fn page(socket: WebSocket, state: Arc<WsState>) {
    let (mut sink, mut stream) = socket.split();
    let (queue, mut outgoing) = mpsc::unbounded_channel::<Arc<str>>();
    let (close, mut closing) = oneshot::channel::<CloseFrame>();
    let writer = tokio::spawn(async move {
        let frame = loop {
            let text = tokio::select! {
                biased;
                text = outgoing.recv() => text,
                frame = &mut closing => break frame.ok(),
            };
            let Some(text) = text else { break None };
            if sink
                .send(Message::Text(text.as_ref().into()))
                .await
                .is_err()
            {
                return;
            }
        };
        // What was queued before the close goes first: a last error message.
        while let Ok(text) = outgoing.try_recv() {
            if sink
                .send(Message::Text(text.as_ref().into()))
                .await
                .is_err()
            {
                return;
            }
        }
        let _ = sink.send(Message::Close(frame)).await;
        let _ = sink.close().await;
    });
    let mut shutdown = state.shutdown.clone();
    let mut page: Option<PageId> = None;
    let farewell = loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = shutdown.changed() => break farewell(close_code::AWAY, "the server is stopping"),
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                protocol_error(&queue, "binary frames are not part of the protocol".into());
                continue;
            }
            Some(Ok(Message::Close(_))) | None => break farewell(close_code::NORMAL, ""),
            Some(Ok(_)) => continue,
            Some(Err(error)) => {
                // The socket cannot be read past this: say why, then close.
                let (code, reason) = unreadable(error);
                protocol_error(&queue, format!("{reason}; closing the connection"));
                break farewell(code, &reason);
            }
        };
        match interpret(text.as_str(), page, &state.ids) {
            PageRequest::Connect { loaded_through } => {
                page = Some(state.hub.connect(queue.clone(), loaded_through));
            }
            PageRequest::Ack { page, ack } => {
                if !ack.ok {
                    warn(&format!(
                        "jankwasm serve: page {page}: patch {} failed to load: {}",
                        ack.id,
                        ack.error.as_deref().unwrap_or("no reason given")
                    ));
                }
                state.hub.ack(page, ack);
            }
            PageRequest::Eval(request) => {
                tokio::spawn(page_eval(
                    state.evaluator.clone(),
                    queue.clone(),
                    page,
                    request,
                ));
            }
            PageRequest::Refuse(error) => protocol_error(&queue, error),
        }
    };
    if let Some(page) = page {
        state.hub.disconnect(page);
    }
    // The page notices the close at once (on shutdown too) and reconnects.
    let _ = close.send(farewell);
    // A peer that stopped reading must not keep the writer forever.
    let stop_writer = writer.abort_handle();
    if tokio::time::timeout(CLOSING_PATIENCE, writer)
        .await
        .is_err()
    {
        stop_writer.abort();
    }
}

/// How long a closing connection's last messages may take to be written.
const CLOSING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

fn farewell(code: u16, reason: &str) -> CloseFrame {
    CloseFrame {
        code,
        reason: reason.into(),
    }
}

/// Why a page's socket cannot be read any further, and the close code that
/// says so.
fn unreadable(error: axum::Error) -> (u16, String) {
    use tungstenite::error::{CapacityError, Error};
    match error.into_inner().downcast::<Error>().map(|error| *error) {
        Ok(Error::Capacity(CapacityError::MessageTooLong { .. })) => (
            close_code::SIZE,
            format!("a message over the {MAX_MESSAGE_BYTES}-byte limit"),
        ),
        Ok(Error::Utf8(_)) => (
            close_code::INVALID,
            "a text message that is not UTF-8".into(),
        ),
        Ok(Error::Protocol(_) | Error::Capacity(_)) => (
            close_code::PROTOCOL,
            "a frame that breaks the WebSocket protocol".into(),
        ),
        _ => (close_code::ERROR, "the connection failed".into()),
    }
}

/// What one text frame of a page asks the server to do, decided without
/// the socket (so it can be fuzzed): the JSON, the handshake-first rule and
/// the patch ids a returning page reports.
#[derive(Debug)]
pub(crate) enum PageRequest {
    /// Register the page; its replay skips patches up to `loaded_through`.
    Connect {
        loaded_through: Option<u64>,
    },
    Ack {
        page: PageId,
        ack: PatchAck,
    },
    Eval(PageEval),
    /// Answer with a protocol error; the connection stays open.
    Refuse(String),
}

/// Interprets a page's text frame; `page` is its id once it has handshaken.
/// A handshake moves the patch id counter past the page's `last_patch_id`.
pub(crate) fn interpret(text: &str, page: Option<PageId>, ids: &Mutex<PatchIds>) -> PageRequest {
    let message = match serde_json::from_str::<PageMessage>(text) {
        Ok(message) => message,
        Err(error) => return PageRequest::Refuse(format!("malformed message: {error}")),
    };
    match message {
        PageMessage::Handshake(_) if page.is_some() => {
            PageRequest::Refuse("handshake sent twice".into())
        }
        PageMessage::Handshake(handshake) => PageRequest::Connect {
            loaded_through: handshake
                .last_patch_id
                .and_then(|last| admit_page_ids(ids, last)),
        },
        PageMessage::PatchAck(ack) => match page {
            Some(page) => PageRequest::Ack { page, ack },
            None => PageRequest::Refuse("patch_ack before handshake".into()),
        },
        PageMessage::Eval(request) => PageRequest::Eval(request),
    }
}

/// The ids a page reports having loaded: every later id must be greater.
/// Returns what the replay may skip: None when the page's ids are not this
/// project's (they are ahead of the counter), so it gets everything.
fn admit_page_ids(ids: &Mutex<PatchIds>, last: u64) -> Option<u64> {
    let mut ids = ids.lock().unwrap_or_else(|p| p.into_inner());
    let foreign = last >= ids.peek();
    if let Err(error) = ids.skip_past(last) {
        warn(&format!("jankwasm serve: {error}"));
    }
    (!foreign).then_some(last)
}

/// A page's `eval`: answered by that page once it has handshaken.
async fn page_eval(
    evaluator: Evaluator,
    queue: PageSender,
    page: Option<PageId>,
    request: PageEval,
) {
    let compile = CompileRequest {
        file: "<page>".into(),
        text: request.code,
        origin: Pos::new(1, 1),
        ns: request.ns.unwrap_or_else(|| "user".into()),
        mode: CompileMode::Atomic,
        audience: page.map_or(Audience::Everyone, Audience::Page),
        repl_session: None,
        ns_must_exist: false,
    };
    let evaluated = match page {
        Some(page) => evaluator.evaluate_for_page(compile, page).await,
        None => evaluator.evaluate(compile).await,
    };
    let reply = match evaluated {
        Ok(outcome) => ServerMessage::EvalResult(EvalResult {
            request_id: request.request_id,
            result: outcome
                .forms
                .last()
                .and_then(|f| f.value().map(str::to_string)),
            values: outcome.values(),
            output: outcome.output(),
            errors: outcome.errors(),
        }),
        Err(error) => ServerMessage::Error(ErrorMessage {
            kind: match error {
                CompileError::Diagnostics(_) => ErrorKind::Compile,
                _ => ErrorKind::Eval,
            },
            error: error.to_string(),
            diagnostics: match error {
                CompileError::Diagnostics(diagnostics) => diagnostics,
                _ => Vec::new(),
            },
            request_id: request.request_id,
        }),
    };
    let _ = queue.send(reply.to_json().into());
}
