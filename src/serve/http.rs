//! The HTTP side: the project's static files, the built-in client assets
//! under `/_jankwasm/`, `/_jankwasm/config.json` (where the page finds the
//! WebSocket), and `POST /eval`, whose body is jank source: compile errors
//! answer 400 with diagnostics and push nothing; otherwise the answer has
//! each form's value, what was printed and the runtime errors.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::access::Access;
use super::assets;
use super::compiler::{CompileError, CompileMode, CompileRequest};
use super::eval::{AnsweredBy, EvalOutcome, Evaluator};
use super::hub::Audience;
use super::protocol::{DiagnosticReport, PROTOCOL_VERSION};
use super::static_files::{self, StaticError};
use crate::source::Pos;

/// The largest `POST /eval` body.
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

pub struct HttpState {
    pub evaluator: Evaluator,
    /// The served directory, canonical; None when serving the built-in demo.
    pub root: Option<PathBuf>,
    pub access: Access,
    pub ws_port: u16,
    /// How long a client may take to send a `POST /eval` body.
    pub body_timeout: std::time::Duration,
}

pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/eval", post(eval))
        .route("/_jankwasm/config.json", get(config))
        .route("/_jankwasm/{*asset}", get(asset))
        .route("/", get(index))
        .route("/{*path}", get(static_file))
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .with_state(state)
}

async fn check_host(State(state): State<Arc<HttpState>>, request: Request, next: Next) -> Response {
    if !state
        .access
        .host_allowed(request.headers().get(header::HOST))
    {
        return (StatusCode::FORBIDDEN, "unknown Host\n").into_response();
    }
    next.run(request).await
}

fn no_store(content_type: &str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

fn send_asset(asset: &assets::Asset) -> Response {
    no_store(asset.content_type, asset.bytes)
}

async fn index(State(state): State<Arc<HttpState>>) -> Response {
    if let Some(root) = &state.root {
        if let Ok(file) = static_files::read(root, "index.html").await {
            return no_store(&file.content_type, file.bytes);
        }
    }
    match assets::find(assets::INDEX) {
        Some(asset) => send_asset(asset),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn asset(Path(path): Path<String>) -> Response {
    match assets::find(&path) {
        Some(asset) => send_asset(asset),
        None => (StatusCode::NOT_FOUND, "no such asset\n").into_response(),
    }
}

async fn static_file(State(state): State<Arc<HttpState>>, Path(path): Path<String>) -> Response {
    let Some(root) = &state.root else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    match static_files::read(root, &path).await {
        Ok(file) => no_store(&file.content_type, file.bytes),
        Err(StaticError::NotFound) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        Err(StaticError::Forbidden) => (StatusCode::FORBIDDEN, "forbidden\n").into_response(),
    }
}

#[derive(Serialize)]
struct Config {
    ws_url: String,
    ws_port: u16,
    stub_url: String,
    protocol: u32,
}

async fn config(State(state): State<Arc<HttpState>>, headers: HeaderMap) -> Json<Config> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| match h.rfind(':') {
            Some(colon) if !h.ends_with(']') => &h[..colon],
            _ => h,
        })
        .unwrap_or("127.0.0.1");
    Json(Config {
        ws_url: format!("ws://{host}:{}/repl", state.ws_port),
        ws_port: state.ws_port,
        stub_url: format!("{}jank_stub.wasm", assets::PREFIX),
        protocol: PROTOCOL_VERSION,
    })
}

#[derive(Deserialize)]
struct EvalParams {
    ns: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
}

/// `POST /eval`'s answer. `result`/`error` are the seed's fields (last value,
/// first error); the rest is per form.
#[derive(Serialize)]
struct EvalAnswer {
    ns: String,
    result: Option<String>,
    error: Option<String>,
    values: Vec<String>,
    output: String,
    stderr: String,
    errors: Vec<String>,
    forms: Vec<FormAnswer>,
}

#[derive(Serialize)]
struct FormAnswer {
    line: u32,
    column: u32,
    patch_id: Option<u64>,
    /// `page` or `headless`.
    answered_by: Option<&'static str>,
    value: Option<String>,
    errors: Vec<String>,
    output: String,
    note: Option<String>,
}

#[derive(Serialize)]
struct CompileFailure {
    error: String,
    diagnostics: Vec<DiagnosticReport>,
}

async fn eval(
    State(state): State<Arc<HttpState>>,
    Query(params): Query<EvalParams>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if !state.access.origin_allowed(headers.get(header::ORIGIN)) {
        return closing((StatusCode::FORBIDDEN, "Origin not allowed\n"));
    }
    if let Err(refusal) = source_content_type(headers.get(header::CONTENT_TYPE)) {
        return closing((StatusCode::UNSUPPORTED_MEDIA_TYPE, refusal));
    }
    let body = match tokio::time::timeout(
        state.body_timeout,
        axum::body::to_bytes(body, MAX_REQUEST_BYTES),
    )
    .await
    {
        Ok(Ok(body)) => body,
        Ok(Err(error)) if is_over_limit(&error) => {
            return closing((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is over the {MAX_REQUEST_BYTES}-byte limit\n"),
            ))
        }
        Ok(Err(error)) => {
            return closing((
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {error}\n"),
            ))
        }
        Err(_) => {
            return closing((
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body took over {} s to arrive\n",
                    state.body_timeout.as_secs_f64()
                ),
            ))
        }
    };
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return (
            StatusCode::BAD_REQUEST,
            "the body must be UTF-8 jank source\n",
        )
            .into_response();
    };
    let request = CompileRequest {
        file: params.file.unwrap_or_else(|| "<http>".to_string()),
        text,
        origin: Pos::new(
            params.line.unwrap_or(1).max(1),
            params.column.unwrap_or(1).max(1),
        ),
        ns: params.ns.unwrap_or_else(|| "user".to_string()),
        mode: CompileMode::Atomic,
        audience: Audience::Everyone,
        repl_session: None,
        ns_must_exist: false,
    };
    match state.evaluator.evaluate(request).await {
        Ok(outcome) => Json(answer(outcome)).into_response(),
        Err(CompileError::Diagnostics(diagnostics)) => (
            StatusCode::BAD_REQUEST,
            Json(CompileFailure {
                error: diagnostics.iter().map(|d| d.rendered.as_str()).collect(),
                diagnostics,
            }),
        )
            .into_response(),
        Err(other) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(CompileFailure {
                error: other.to_string(),
                diagnostics: Vec::new(),
            }),
        )
            .into_response(),
    }
}

/// A refusal sent before the body was read to its end: what is left of it
/// is still on the wire, so the connection cannot carry another request,
/// and the client must be told so or it would reuse it.
fn closing(refusal: impl IntoResponse) -> Response {
    let mut response = refusal.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

fn is_over_limit(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .is_some_and(|source| source.is::<http_body_util::LengthLimitError>())
}

/// `POST /eval` takes jank source as sent by curl (`--data-binary` says
/// form-urlencoded), by fetch (text/plain) or with no type at all. A type
/// that says the body is something else (JSON, a multipart form) or in
/// another charset is refused rather than compiled as source.
fn source_content_type(value: Option<&HeaderValue>) -> Result<(), String> {
    let Some(value) = value else { return Ok(()) };
    let refuse = || {
        format!(
            "the body must be jank source (text/plain; charset=utf-8), not {}\n",
            String::from_utf8_lossy(value.as_bytes())
        )
    };
    let text = value.to_str().map_err(|_| refuse())?.to_ascii_lowercase();
    let mut parts = text.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default();
    let source_like = essence.starts_with("text/")
        || matches!(
            essence,
            "application/x-www-form-urlencoded" | "application/octet-stream" | "application/edn"
        );
    let utf8 = parts
        .filter_map(|param| param.strip_prefix("charset="))
        .all(|charset| matches!(charset.trim_matches('"'), "utf-8" | "utf8" | "us-ascii"));
    if source_like && utf8 {
        Ok(())
    } else {
        Err(refuse())
    }
}

fn answer(outcome: EvalOutcome) -> EvalAnswer {
    let errors = outcome.errors();
    let values = outcome.values();
    EvalAnswer {
        result: outcome
            .forms
            .last()
            .and_then(|f| f.value().map(str::to_string)),
        error: errors.first().cloned(),
        values,
        output: outcome.output(),
        stderr: outcome.forms.iter().map(|f| f.stderr.as_str()).collect(),
        errors,
        forms: outcome
            .forms
            .iter()
            .map(|form| FormAnswer {
                line: form.pos.line,
                column: form.pos.col,
                patch_id: form.patch_id,
                answered_by: form.answered_by.map(|by| match by {
                    AnsweredBy::Page(_) => "page",
                    AnsweredBy::Headless => "headless",
                }),
                value: form.value().map(str::to_string),
                errors: form.errors(),
                output: form.output.clone(),
                note: form.note.clone(),
            })
            .collect(),
        ns: outcome.ns,
    }
}
