//! The nREPL server (bencode over TCP), enough for CIDER, Calva and Conjure:
//! `clone close describe eval load-file interrupt ls-sessions completions
//! complete lookup info eldoc ns-list`. Evaluations go through the same path as `POST /eval`
//! (eval.rs): values come from a page or the headless runtime. Each session
//! keeps its own namespace (the editor's `ns` field wins, an `ns` form
//! changes it) and runs its evaluations one at a time; `interrupt` stops
//! waiting for one. With `--upstream`, connections go to proxy.rs instead.
//!
//! - `bencode.rs`: framing, decoding and encoding.
//! - `proxy.rs`: the transparent proxy to a native nREPL.

pub mod bencode;
pub mod proxy;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::future::{AbortHandle, Abortable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

use self::bencode::{
    dict, string, strings, Elided, Framer, FramingError, Message, Response, Value,
};
use super::compiler::{CompileError, CompileMode, CompileRequest, VarDoc};
use super::eval::{EvalOutcome, Evaluator};
use super::hub::Audience;
use crate::serve::warn;
use crate::source::Pos;

/// The ops `describe` lists.
const OPS: &[&str] = &[
    "clone",
    "close",
    "complete",
    "completions",
    "describe",
    "eldoc",
    "eval",
    "info",
    "interrupt",
    "load-file",
    "lookup",
    "ls-sessions",
    "ns-list",
];

/// What every connection shares.
pub struct NreplState {
    pub evaluator: Evaluator,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
}

impl NreplState {
    pub fn new(evaluator: Evaluator) -> Self {
        Self {
            evaluator,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Session {
    id: String,
    ns: Mutex<String>,
    /// Held while an evaluation runs: a session evaluates one thing at a time.
    turn: tokio::sync::Mutex<()>,
    running: Mutex<Vec<Running>>,
}

/// An evaluation in flight, so `interrupt` can stop it.
struct Running {
    /// Tells this evaluation from others with the same message id.
    token: u64,
    msg_id: Option<String>,
    abort: AbortHandle,
    reply: Replier,
}

impl Session {
    fn new(ns: String) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            ns: Mutex::new(ns),
            turn: tokio::sync::Mutex::new(()),
            running: Mutex::new(Vec::new()),
        }
    }

    fn ns(&self) -> String {
        self.ns.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_ns(&self, ns: &str) {
        *self.ns.lock().unwrap_or_else(|p| p.into_inner()) = ns.to_string();
    }

    fn running(&self) -> std::sync::MutexGuard<'_, Vec<Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a connection's writer sends, in order.
enum Outgoing {
    Bytes(Vec<u8>),
    /// Everything queued before this is written, then the connection closes.
    Close,
}

/// The queue of one connection's writer.
#[derive(Clone)]
pub struct Outbox(mpsc::UnboundedSender<Outgoing>);

impl Outbox {
    /// Queues bytes; false once the connection is gone.
    pub fn send(&self, bytes: Vec<u8>) -> bool {
        self.0.send(Outgoing::Bytes(bytes)).is_ok()
    }

    /// Closes the connection after what is queued: later sends are dropped.
    pub fn close(&self) {
        let _ = self.0.send(Outgoing::Close);
    }
}

/// Sends responses to one request: every one carries its `id` and `session`.
#[derive(Clone)]
pub struct Replier {
    out: Outbox,
    id: Option<Value>,
    session: Option<String>,
}

impl Replier {
    pub fn new(out: Outbox, id: Option<Value>, session: Option<String>) -> Self {
        Self { out, id, session }
    }

    /// The replier for `message`'s `id` and `session`.
    fn to(out: &Outbox, message: &Message) -> Self {
        Self::new(
            out.clone(),
            message.get("id").cloned(),
            message.str("session"),
        )
    }

    pub fn send(&self, mut response: Response) {
        if let Some(id) = &self.id {
            response = response.set("id", id.clone());
        }
        if let Some(session) = &self.session {
            response = response.str("session", session);
        }
        // A closed connection has nobody to tell.
        self.out.send(response.encode());
    }
}

/// Accepts connections until `shutdown`.
pub async fn serve(listener: TcpListener, state: Arc<NreplState>, shutdown: watch::Receiver<bool>) {
    accept_until_shutdown(listener, shutdown, |stream, shutdown| {
        connection(stream, state.clone(), shutdown)
    })
    .await;
}

/// Accepts nREPL connections until `shutdown` and runs `handle` on each in
/// a task of its own (this server's, or the `--upstream` relay).
pub(crate) async fn accept_until_shutdown<F, Handled>(
    listener: TcpListener,
    shutdown: watch::Receiver<bool>,
    handle: F,
) where
    F: Fn(TcpStream, watch::Receiver<bool>) -> Handled,
    Handled: std::future::Future<Output = ()> + Send + 'static,
{
    let mut stop = shutdown.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        match accepted {
            Ok((stream, _)) => {
                // An answer is several small messages (value, out, done): sent
                // as written, not held for the editor's delayed ACK.
                let _ = stream.set_nodelay(true);
                tokio::spawn(handle(stream, shutdown.clone()));
            }
            Err(error) => warn(&format!("jankwasm serve: nREPL accept failed: {error}")),
        }
    }
}

/// Writes the queued responses of one connection in order.
pub fn spawn_writer(
    mut write: tokio::net::tcp::OwnedWriteHalf,
) -> (Outbox, tokio::task::JoinHandle<()>) {
    let (out, mut queue) = mpsc::unbounded_channel::<Outgoing>();
    let task = tokio::spawn(async move {
        while let Some(outgoing) = queue.recv().await {
            match outgoing {
                Outgoing::Bytes(bytes) => {
                    if write.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                Outgoing::Close => {
                    let _ = write.shutdown().await;
                    break;
                }
            }
        }
    });
    (Outbox(out), task)
}

async fn connection(
    stream: TcpStream,
    state: Arc<NreplState>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (mut read, write) = stream.into_split();
    let (out, writer) = spawn_writer(write);
    let mut framer = Framer::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let count = tokio::select! {
            count = read.read(&mut chunk) => count,
            _ = shutdown.changed() => break,
        };
        let count = match count {
            Ok(0) | Err(_) => break,
            Ok(count) => count,
        };
        let pushed = framer.push(&chunk[..count]);
        for framed in pushed.messages {
            match Message::decode(&framed.bytes) {
                Ok(message) if framed.elided.is_empty() => handle(&state, message, &out),
                Ok(message) => too_large(&Replier::to(&out, &message), &framed.elided),
                // The framing held: the next message can still be read.
                Err(error) => malformed(&out, &error),
            }
        }
        if let Some(error) = pushed.error {
            // No later message boundary can be found: nREPL closes such a
            // connection, after saying why.
            unframeable(&out, &error);
            out.close();
            break;
        }
    }
    drop(out);
    let _ = writer.await;
}

fn malformed(out: &Outbox, error: &str) {
    let response = Response::new()
        .str("err", format!("malformed nREPL message: {error}\n"))
        .status(&["error", "malformed-message", "done"]);
    out.send(response.encode());
}

pub(crate) fn unframeable(out: &Outbox, error: &FramingError) {
    let response = Response::new()
        .str(
            "err",
            format!("malformed nREPL message: {error}; closing the connection\n"),
        )
        .status(&["error", "malformed-message", "done"]);
    out.send(response.encode());
}

/// A request with a string over the limit was read past, not run.
fn too_large(reply: &Replier, elided: &[Elided]) {
    let fields: Vec<String> = elided
        .iter()
        .map(|elided| match &elided.key {
            Some(key) => format!("`{key}` is {} bytes", elided.bytes),
            None => format!("a string of {} bytes", elided.bytes),
        })
        .collect();
    reply.send(
        Response::new()
            .str(
                "err",
                format!(
                    "request not run: {}, over the {}-byte limit\n",
                    fields.join(", "),
                    bencode::MAX_STRING_BYTES
                ),
            )
            .status(&["error", "request-too-large", "done"]),
    );
}

fn handle(state: &Arc<NreplState>, message: Message, out: &Outbox) {
    let session_id = message.str("session");
    let reply = Replier::to(out, &message);
    let op = message.str("op").unwrap_or_default();
    let session = match &session_id {
        Some(id) => match state.sessions().get(id).cloned() {
            Some(session) => Some(session),
            None => {
                reply.send(Response::new().status(&["error", "unknown-session", "done"]));
                return;
            }
        },
        None => None,
    };
    let ns_of = |session: &Option<Arc<Session>>| {
        message
            .str("ns")
            .filter(|ns| !ns.is_empty())
            .or_else(|| session.as_ref().map(|s| s.ns()))
            .unwrap_or_else(|| "user".to_string())
    };
    match op.as_str() {
        "clone" => {
            let ns = session
                .as_ref()
                .map_or_else(|| "user".to_string(), |s| s.ns());
            let new = Arc::new(Session::new(ns));
            state.sessions().insert(new.id.clone(), new.clone());
            reply.send(
                Response::new()
                    .str("new-session", &new.id)
                    .status(&["done"]),
            );
        }
        "close" => match session {
            Some(session) => {
                state.sessions().remove(&session.id);
                interrupt_all(&session);
                reply.send(Response::new().status(&["done", "session-closed"]));
            }
            None => reply.send(Response::new().status(&["error", "unknown-session", "done"])),
        },
        "describe" => reply.send(describe(&ns_of(&session))),
        "ls-sessions" => {
            let mut ids: Vec<String> = state.sessions().keys().cloned().collect();
            ids.sort();
            reply.send(
                Response::new()
                    .set("sessions", strings(&ids))
                    .status(&["done"]),
            );
        }
        "eval" => match message.text("code") {
            Ok(Some(code)) => {
                let request = CompileRequest {
                    file: message.str("file").unwrap_or_else(|| "<nrepl>".into()),
                    text: code,
                    origin: position(&message),
                    ns: ns_of(&session),
                    mode: CompileMode::Atomic,
                    audience: Audience::Everyone,
                    repl_session: session.as_ref().map(|s| s.id.clone()),
                    ns_must_exist: message.str("ns").is_some_and(|ns| !ns.is_empty()),
                };
                start_eval(state, session, &message, reply, request, EvalKind::Eval);
            }
            Ok(None) => reply.send(Response::new().status(&["error", "no-code", "done"])),
            Err(error) => not_utf8(&reply, &error),
        },
        "load-file" => match message.text("file") {
            Ok(Some(text)) => {
                let request = CompileRequest {
                    file: message
                        .str("file-path")
                        .or_else(|| message.str("file-name"))
                        .unwrap_or_else(|| "<load-file>".into()),
                    text,
                    origin: Pos::new(1, 1),
                    ns: session.as_ref().map_or_else(|| "user".into(), |s| s.ns()),
                    mode: CompileMode::Atomic,
                    audience: Audience::Everyone,
                    repl_session: session.as_ref().map(|s| s.id.clone()),
                    ns_must_exist: false,
                };
                start_eval(state, session, &message, reply, request, EvalKind::LoadFile);
            }
            Ok(None) => reply.send(Response::new().status(&["error", "no-file", "done"])),
            Err(error) => not_utf8(&reply, &error),
        },
        "interrupt" => interrupt(session, message.str("interrupt-id"), &reply),
        "completions" | "complete" => {
            let prefix = message
                .str("prefix")
                .or_else(|| message.str("symbol"))
                .unwrap_or_default();
            let ns = ns_of(&session);
            let extra = extra_metadata(&message);
            let compiler = state.evaluator.compiler.clone();
            tokio::spawn(async move {
                let candidates = compiler.complete(ns, prefix).await;
                let list = candidates
                    .into_iter()
                    .map(|c| {
                        let mut entries = vec![
                            ("candidate", string(&c.candidate)),
                            ("type", string(c.kind)),
                        ];
                        if let Some(ns) = &c.ns {
                            entries.push(("ns", string(ns)));
                        }
                        if extra.arglists && !c.arglists.is_empty() {
                            entries.push(("arglists", strings(&c.arglists)));
                        }
                        if let Some(doc) = c.doc.as_ref().filter(|_| extra.doc) {
                            entries.push(("doc", string(doc)));
                        }
                        dict(entries)
                    })
                    .collect();
                reply.send(
                    Response::new()
                        .set("completions", Value::List(list))
                        .status(&["done"]),
                );
            });
        }
        "lookup" | "info" | "eldoc" => {
            let symbol = message
                .str("sym")
                .or_else(|| message.str("symbol"))
                .unwrap_or_default();
            let ns = ns_of(&session);
            let compiler = state.evaluator.compiler.clone();
            tokio::spawn(async move {
                let doc = compiler.lookup(ns, symbol).await;
                reply.send(lookup_response(&op, doc));
            });
        }
        "ns-list" => {
            let filters = match ns_filters(&message) {
                Ok(filters) => filters,
                Err(error) => {
                    reply.send(
                        Response::new()
                            .str("err", format!("bad filter-regexps: {error}\n"))
                            .status(&["error", "done"]),
                    );
                    return;
                }
            };
            let compiler = state.evaluator.compiler.clone();
            tokio::spawn(async move {
                let names: Vec<String> = compiler
                    .namespaces()
                    .await
                    .into_iter()
                    .filter(|name| !filters.is_match(name))
                    .collect();
                reply.send(
                    Response::new()
                        .set("ns-list", strings(&names))
                        .status(&["done"]),
                );
            });
        }
        "" => reply.send(Response::new().status(&["error", "no-op", "done"])),
        _ => reply.send(
            Response::new()
                .str("op", &op)
                .status(&["error", "unknown-op", "done"]),
        ),
    }
}

/// Which of a completion's extra keys (`extra-metadata`, Conjure's) to send.
struct ExtraMetadata {
    arglists: bool,
    doc: bool,
}

fn extra_metadata(message: &Message) -> ExtraMetadata {
    let wanted = |key: &str| match message.get("extra-metadata") {
        Some(Value::List(items)) => items
            .iter()
            .any(|item| matches!(item, Value::Bytes(b) if b == key.as_bytes())),
        _ => false,
    };
    ExtraMetadata {
        arglists: wanted("arglists"),
        doc: wanted("doc"),
    }
}

/// `ns-list`'s `filter-regexps`: namespaces matching any are left out.
fn ns_filters(message: &Message) -> Result<regex::RegexSet, regex::Error> {
    let patterns: Vec<String> = match message.get("filter-regexps") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    regex::RegexSet::new(patterns)
}

/// A definition's file as editors open it: a `file:` URL when it is on disk
/// (Calva parses it as a URI; CIDER and Conjure accept the URL too), else
/// the name as it was given (`<nrepl>`, the built-in demo).
fn file_url(file: &str) -> String {
    match std::fs::canonicalize(file) {
        Ok(path) => format!("file:{}", path.display()),
        Err(_) => file.to_string(),
    }
}

fn not_utf8(reply: &Replier, error: &str) {
    reply.send(
        Response::new()
            .str("err", format!("request not run: {error}\n"))
            .status(&["error", "not-utf8", "done"]),
    );
}

pub(crate) fn position(message: &Message) -> Pos {
    let at_least_one = |value: Option<i64>| {
        value
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&v| v > 0)
            .unwrap_or(1)
    };
    Pos::new(
        at_least_one(message.int("line")),
        at_least_one(message.int("column")),
    )
}

fn describe(ns: &str) -> Response {
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.').map(|p| p.parse::<i64>().unwrap_or(0));
    let mut next = || Value::Int(parts.next().unwrap_or(0));
    let jankwasm = dict([
        ("major", next()),
        ("minor", next()),
        ("incremental", next()),
        ("version-string", string(version)),
    ]);
    let nrepl = dict([
        ("major", Value::Int(1)),
        ("minor", Value::Int(0)),
        ("incremental", Value::Int(0)),
        ("version-string", string("1.0.0")),
    ]);
    Response::new()
        .set("ops", dict(OPS.iter().map(|op| (*op, dict([])))))
        .set("versions", dict([("nrepl", nrepl), ("jankwasm", jankwasm)]))
        .set("aux", dict([("current-ns", string(ns))]))
        .status(&["done"])
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EvalKind {
    Eval,
    /// Only the last form's value is reported, and the session's namespace stays.
    LoadFile,
}

fn start_eval(
    state: &Arc<NreplState>,
    session: Option<Arc<Session>>,
    message: &Message,
    reply: Replier,
    request: CompileRequest,
    kind: EvalKind,
) {
    // A message without a session runs in a session of its own, as in nREPL.
    let session = session.unwrap_or_else(|| Arc::new(Session::new(request.ns.clone())));
    static NEXT_TOKEN: AtomicU64 = AtomicU64::new(0);
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    let (abort, registration) = AbortHandle::new_pair();
    session.running().push(Running {
        token,
        msg_id: message.str("id"),
        abort,
        reply: reply.clone(),
    });
    let evaluator = state.evaluator.clone();
    let task = {
        let session = session.clone();
        async move {
            let _turn = session.turn.lock().await;
            let outcome = evaluator.evaluate(request).await;
            report(&reply, &session, outcome, kind);
        }
    };
    tokio::spawn(async move {
        let _ = Abortable::new(task, registration).await;
        session.running().retain(|running| running.token != token);
    });
}

/// Sends what an evaluation produced, then `done` (namespace-not-found
/// carries its `done`, as nREPL sends it).
fn report(
    reply: &Replier,
    session: &Session,
    outcome: Result<EvalOutcome, CompileError>,
    kind: EvalKind,
) {
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(CompileError::NamespaceNotFound(ns)) => {
            reply.send(
                Response::new()
                    .str("err", format!("namespace not found: {ns}\n"))
                    .status(&["error", "namespace-not-found", "done"]),
            );
            return;
        }
        Err(CompileError::Diagnostics(diagnostics)) => {
            // CIDER finds the place to highlight by this sentence, Clojure's.
            let text: String = diagnostics
                .iter()
                .map(|d| {
                    format!(
                        "Syntax error compiling at ({}:{}:{}).\n{}",
                        d.file, d.line, d.column, d.rendered
                    )
                })
                .collect();
            reply.send(Response::new().str("err", text));
            eval_error(reply, "class jankwasm.CompileError");
            reply.send(Response::new().status(&["done"]));
            return;
        }
        Err(error) => {
            reply.send(Response::new().str("err", format!("{error}\n")));
            eval_error(reply, "class jankwasm.ServerError");
            reply.send(Response::new().status(&["done"]));
            return;
        }
    };
    let last = outcome.forms.len().saturating_sub(1);
    for (index, form) in outcome.forms.iter().enumerate() {
        if !form.output.is_empty() {
            reply.send(Response::new().str("out", &form.output));
        }
        if !form.stderr.is_empty() {
            reply.send(Response::new().str("err", &form.stderr));
        }
        if let Some(note) = &form.note {
            reply.send(Response::new().str("err", format!("{note}\n")));
        }
        match form.value() {
            Some(value) if kind == EvalKind::Eval || index == last => {
                reply.send(Response::new().str("value", value).str(
                    "ns",
                    match kind {
                        EvalKind::Eval => outcome.ns.clone(),
                        EvalKind::LoadFile => session.ns(),
                    },
                ))
            }
            Some(_) => {}
            None => {
                for error in form.errors() {
                    reply.send(Response::new().str("err", format!("{error}\n")));
                }
                let class = if form.failure.is_some() {
                    "class jankwasm.LoadError"
                } else {
                    "class jank.Thrown"
                };
                eval_error(reply, class);
                // load-file stops at the first error, as Clojure's `load`
                // does: what the later forms did is not its answer.
                if kind == EvalKind::LoadFile {
                    break;
                }
            }
        }
    }
    if kind == EvalKind::Eval {
        session.set_ns(&outcome.ns);
    }
    reply.send(Response::new().status(&["done"]));
}

fn eval_error(reply: &Replier, class: &str) {
    reply.send(
        Response::new()
            .str("ex", class)
            .str("root-ex", class)
            .status(&["eval-error"]),
    );
}

fn interrupt(session: Option<Arc<Session>>, interrupt_id: Option<String>, reply: &Replier) {
    let Some(session) = session else {
        reply.send(Response::new().status(&["error", "unknown-session", "done"]));
        return;
    };
    let stopped = {
        let mut running = session.running();
        if running.is_empty() {
            drop(running);
            reply.send(Response::new().status(&["session-idle", "done"]));
            return;
        }
        let (stop, keep): (Vec<Running>, Vec<Running>) = running
            .drain(..)
            .partition(|r| interrupt_id.is_none() || r.msg_id == interrupt_id);
        *running = keep;
        stop
    };
    if stopped.is_empty() {
        reply.send(Response::new().status(&["error", "interrupt-id-mismatch", "done"]));
        return;
    }
    stop_all(stopped);
    reply.send(Response::new().status(&["done"]));
}

fn interrupt_all(session: &Session) {
    let stopped: Vec<Running> = session.running().drain(..).collect();
    stop_all(stopped);
}

/// Stops waiting for these evaluations (what a page is running cannot be
/// stopped from here) and tells their requesters.
fn stop_all(stopped: Vec<Running>) {
    for running in stopped {
        running.abort.abort();
        running.reply.send(Response::new().status(&["interrupted"]));
        running.reply.send(Response::new().status(&["done"]));
    }
}

fn lookup_response(op: &str, doc: Option<VarDoc>) -> Response {
    let Some(doc) = doc else {
        return match op {
            "lookup" => Response::new()
                .set("info", dict([]))
                .status(&["done", "no-info"]),
            "eldoc" => Response::new().status(&["no-eldoc", "done"]),
            _ => Response::new().status(&["no-info", "done"]),
        };
    };
    let mut info = vec![
        ("ns", string(&doc.ns)),
        ("name", string(&doc.name)),
        ("arglists-str", string(doc.arglists.join("\n"))),
    ];
    if let Some(text) = &doc.doc {
        info.push(("doc", string(text)));
    }
    if let Some(file) = &doc.file {
        info.push(("file", string(file_url(file))));
    }
    if let Some(line) = doc.line {
        info.push(("line", Value::Int(line.into())));
    }
    if let Some(column) = doc.column {
        info.push(("column", Value::Int(column.into())));
    }
    match op {
        "lookup" => Response::new().set("info", dict(info)).status(&["done"]),
        "eldoc" => {
            let arglists = doc
                .arglists
                .iter()
                .map(|arglist| strings(&arglist_symbols(arglist)))
                .collect();
            let mut response = Response::new()
                .str("ns", &doc.ns)
                .str("name", &doc.name)
                .str(
                    "type",
                    if doc.arglists.is_empty() {
                        "variable"
                    } else {
                        "function"
                    },
                )
                .set("eldoc", Value::List(arglists));
            if let Some(text) = &doc.doc {
                response = response.str("docstring", text);
            }
            response.status(&["done"])
        }
        _ => {
            let mut response = Response::new();
            for (key, value) in info {
                response = response.set(key, value);
            }
            response.status(&["done"])
        }
    }
}

/// `"[a {:keys [b]} & more]"` as `["a", "{:keys [b]}", "&", "more"]`: the
/// top-level items of a printed argument vector.
fn arglist_symbols(arglist: &str) -> Vec<String> {
    let inner = arglist
        .trim()
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(arglist);
    let mut items = Vec::new();
    let mut current = String::new();
    let mut depth = 0i32;
    for c in inner.chars() {
        match c {
            '[' | '{' | '(' => depth += 1,
            ']' | '}' | ')' => depth -= 1,
            _ => {}
        }
        if (c.is_whitespace() || c == ',') && depth == 0 {
            if !current.is_empty() {
                items.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arglists_split_at_the_top_level() {
        assert_eq!(
            arglist_symbols("[a {:keys [b c]} & more]"),
            ["a", "{:keys [b c]}", "&", "more"]
        );
        assert_eq!(arglist_symbols("[]"), Vec::<String>::new());
    }
}
