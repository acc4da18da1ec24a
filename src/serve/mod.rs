//! `jankwasm serve`: the live loop from editor to browser. Source arrives by
//! nREPL, `POST /eval`, a page's `eval` or a saved file; it is compiled one
//! top-level form per patch on the compiler thread, pushed to every page over
//! WebSocket and to a headless runtime, and the values come back from a
//! page's acknowledgement (or the headless runtime's) to whoever asked.
//!
//! - `compiler.rs`: the one compiler session, on its own thread; pushes patches.
//! - `forms.rs`: source text cut into top-level forms.
//! - `patch_ids.rs`: ids that never repeat, persisted in `.jankwasm/patch-id`.
//! - `hub.rs`: connected pages, replay, routing acks to waiting evaluations.
//! - `headless.rs`: the wasmtime runtime that loads every patch too.
//! - `eval.rs`: compile, push, collect values: the one evaluation path.
//! - `protocol.rs`: the WebSocket messages (the browser client's contract).
//! - `ws.rs`, `http.rs`, `nrepl/`: the three interfaces; `access.rs` who may use them.
//! - `static_files.rs`, `assets.rs`: what HTTP serves; `watch.rs`: the project's files.

mod access;
pub mod assets;
mod compiler;
mod eval;
mod forms;
pub mod headless;
mod http;
mod hub;
pub mod nrepl;
pub(crate) mod patch_ids;
pub mod protocol;
mod static_files;
mod watch;
pub(crate) mod ws;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::session::{declared_ns, dependency_order, root_of, SourcePaths};
use axum::serve::ListenerExt as _;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch as signal;
use tokio::task::JoinHandle;

use self::access::Access;
use self::compiler::CompilerHandle;
use self::eval::Evaluator;
use self::headless::Headless;
use self::hub::Hub;
use self::patch_ids::{PatchIdError, PatchIds};
use self::watch::Project;

/// `jankwasm serve`'s arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeArgs {
    /// A project directory (all its .jank files are loaded and watched), or
    /// one .jank file (only it; its directory is served). Without one, the
    /// built-in demo app runs, with its state files in the current directory.
    pub target: Option<PathBuf>,
    /// HTTP port (0: any free port, printed).
    #[arg(long, default_value_t = 8080)]
    pub http_port: u16,
    /// WebSocket port for pages (0: any free port, printed).
    #[arg(long, default_value_t = 7888)]
    pub ws_port: u16,
    /// nREPL port (0: any free port, printed).
    #[arg(long, default_value_t = 7889)]
    pub nrepl_port: u16,
    /// Address to listen on. Anything but loopback exposes nREPL, which is
    /// remote code execution, to the network.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub bind: IpAddr,
    /// Relay nREPL to a native (jank) nREPL at HOST:PORT and patch the
    /// definitions it evaluates into the pages.
    #[arg(long, value_name = "HOST:PORT")]
    pub upstream: Option<String>,
    /// Another browser origin allowed to connect (e.g. http://devbox:8080).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origins: Vec<String>,
    /// Seconds to wait for a page's (or the headless runtime's) answer.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub eval_timeout: f64,
    /// Seconds a client may take to send a `POST /eval` body.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub body_timeout: f64,
    /// A directory `require` loads namespaces from, besides the project and
    /// the roots its files' `ns` forms imply; repeatable.
    #[arg(long = "source-path", value_name = "DIR")]
    pub source_paths: Vec<PathBuf>,
}

impl ServeArgs {
    /// Arguments for `target` on free loopback ports, as tests start it.
    pub fn on_free_ports(target: Option<PathBuf>) -> Self {
        Self {
            target,
            http_port: 0,
            ws_port: 0,
            nrepl_port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            upstream: None,
            allow_origins: Vec::new(),
            eval_timeout: 10.0,
            body_timeout: 30.0,
            source_paths: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{path}: {source}")]
    Target {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    PatchIds(#[from] PatchIdError),
    #[error("writing {path}: {source}")]
    PortFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("watching the project: {0}")]
    Watch(#[from] notify::Error),
    #[error("starting the compiler thread: {0}")]
    Compiler(std::io::Error),
    #[error("--eval-timeout and --body-timeout must be positive numbers of seconds")]
    Timeout,
}

/// A running server.
pub struct Server {
    pub http_addr: SocketAddr,
    pub ws_addr: SocketAddr,
    pub nrepl_addr: SocketAddr,
    /// Where `.nrepl-port` and `.jankwasm/` live.
    pub state_dir: PathBuf,
    stop: signal::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    evaluator: Evaluator,
    startup: StartupResults,
    _watcher: Option<notify_debouncer_mini::Debouncer<notify::RecommendedWatcher>>,
}

impl Server {
    /// What `jankwasm serve` prints once it listens.
    pub fn banner(&self) -> String {
        format!(
            "jankwasm serve: http://{}/ (pages connect to ws://{}/repl)\n\
             nREPL server started on port {} on host {} - nrepl://{}\n",
            self.http_addr,
            self.ws_addr,
            self.nrepl_addr.port(),
            self.nrepl_addr.ip(),
            self.nrepl_addr,
        )
    }

    /// Prints what compiling the app at start did (after the banner), and
    /// how its patches load, in the background.
    pub fn report_startup(&mut self) {
        for (name, result) in self.startup.drain(..) {
            let evaluator = self.evaluator.clone();
            tokio::spawn(async move { watch::report(&evaluator, &name, result).await });
        }
    }

    /// Stops listening, closes every connection and removes `.nrepl-port`.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        let _ = std::fs::remove_file(self.state_dir.join(".nrepl-port"));
    }
}

/// What the target names: the project directory (None for the demo) and the
/// directory holding the server's state files.
fn resolve_target(target: Option<&Path>) -> Result<(Option<Project>, PathBuf), ServeError> {
    let Some(target) = target else {
        let cwd = std::env::current_dir().map_err(|source| ServeError::Target {
            path: PathBuf::from("."),
            source,
        })?;
        return Ok((None, cwd));
    };
    let canonical = target.canonicalize().map_err(|source| ServeError::Target {
        path: target.to_path_buf(),
        source,
    })?;
    let (root, shown_root, only) = if canonical.is_dir() {
        (canonical, target.to_path_buf(), None)
    } else {
        let parent = |p: &Path| p.parent().map(Path::to_path_buf).unwrap_or_default();
        (parent(&canonical), parent(target), Some(canonical))
    };
    Ok((
        Some(Project {
            root: root.clone(),
            shown_root,
            only,
        }),
        root,
    ))
}

async fn listen(bind: IpAddr, port: u16) -> Result<TcpListener, ServeError> {
    let addr = SocketAddr::new(bind, port);
    let error = |source| ServeError::Listen { addr, source };
    let socket = match bind {
        IpAddr::V4(_) => TcpSocket::new_v4(),
        IpAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(error)?;
    // A restarted server takes its ports back at once.
    socket.set_reuseaddr(true).map_err(error)?;
    socket.bind(addr).map_err(error)?;
    socket.listen(1024).map_err(error)
}

/// Starts every part of the server; it runs until `shutdown`.
pub async fn start(args: ServeArgs) -> Result<Server, ServeError> {
    let positive = |seconds: f64| seconds.is_finite() && seconds > 0.0;
    if !positive(args.eval_timeout) || !positive(args.body_timeout) {
        return Err(ServeError::Timeout);
    }
    let (project, state_dir) = resolve_target(args.target.as_deref())?;
    let ids = Arc::new(Mutex::new(PatchIds::open(&state_dir)?));
    let hub = Arc::new(Hub::new(Headless::spawn()));
    let sources = project_sources(project.as_ref());
    let source_paths = source_paths(project.as_ref(), &sources, &args.source_paths);
    let compiler = CompilerHandle::spawn(hub.clone(), ids.clone(), source_paths)
        .map_err(ServeError::Compiler)?;
    let evaluator = Evaluator {
        compiler: compiler.clone(),
        hub: hub.clone(),
        timeout: Duration::from_secs_f64(args.eval_timeout),
    };

    let http_listener = listen(args.bind, args.http_port).await?;
    let ws_listener = listen(args.bind, args.ws_port).await?;
    let nrepl_listener = listen(args.bind, args.nrepl_port).await?;
    let local = |listener: &TcpListener, port| {
        listener.local_addr().map_err(|source| ServeError::Listen {
            addr: SocketAddr::new(args.bind, port),
            source,
        })
    };
    let http_addr = local(&http_listener, args.http_port)?;
    let ws_addr = local(&ws_listener, args.ws_port)?;
    let nrepl_addr = local(&nrepl_listener, args.nrepl_port)?;
    let access = Access::new(args.bind, http_addr.port(), &args.allow_origins);

    let startup = load_app(sources, &evaluator).await;
    let watcher = match &project {
        Some(project) => Some(watch::spawn(project.clone(), evaluator.clone())?),
        None => None,
    };

    let (stop, stopped) = signal::channel(false);
    let mut tasks = Vec::new();
    let http = http::router(Arc::new(http::HttpState {
        evaluator: evaluator.clone(),
        root: project.as_ref().map(|p| p.root.clone()),
        access: access.clone(),
        ws_port: ws_addr.port(),
        body_timeout: Duration::from_secs_f64(args.body_timeout),
    }));
    tasks.push(tokio::spawn(serve_router(
        http_listener,
        http,
        stopped.clone(),
    )));
    let ws = ws::router(Arc::new(ws::WsState {
        hub: hub.clone(),
        evaluator: evaluator.clone(),
        ids,
        access,
        shutdown: stopped.clone(),
    }));
    tasks.push(tokio::spawn(serve_router(ws_listener, ws, stopped.clone())));
    tasks.push(match args.upstream {
        Some(upstream) => tokio::spawn(nrepl::proxy::serve(
            nrepl_listener,
            Arc::new(nrepl::proxy::ProxyState::new(upstream, evaluator.clone())),
            stopped.clone(),
        )),
        None => tokio::spawn(nrepl::serve(
            nrepl_listener,
            Arc::new(nrepl::NreplState::new(evaluator.clone())),
            stopped.clone(),
        )),
    });

    let port_file = state_dir.join(".nrepl-port");
    std::fs::write(&port_file, nrepl_addr.port().to_string()).map_err(|source| {
        ServeError::PortFile {
            path: port_file,
            source,
        }
    })?;
    Ok(Server {
        http_addr,
        ws_addr,
        nrepl_addr,
        state_dir,
        stop,
        tasks,
        _watcher: watcher,
        evaluator,
        startup,
    })
}

async fn serve_router(
    listener: TcpListener,
    router: axum::Router,
    mut stopped: signal::Receiver<bool>,
) {
    // Patches and answers are small writes that must leave at once: without
    // TCP_NODELAY, Nagle's algorithm holds a write until the peer's delayed
    // ACK (40 ms on Linux).
    let listener = listener.tap_io(|stream| {
        let _ = stream.set_nodelay(true);
    });
    let result = axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            let _ = stopped.changed().await;
        })
        .await;
    if let Err(error) = result {
        warn(&format!("jankwasm serve: {error}"));
    }
}

/// What compiling the app at start gave, per file, to report once the
/// banner is out.
type StartupResults = Vec<(String, Result<compiler::Compiled, compiler::CompileError>)>;

/// The project's sources (name, path, text) in the order to compile them:
/// each after the files declaring the namespaces it requires. Without a
/// project, the built-in demo.
fn project_sources(project: Option<&Project>) -> Vec<(String, Option<PathBuf>, String)> {
    let Some(project) = project else {
        return vec![(
            assets::DEMO.file.to_string(),
            None,
            assets::DEMO.source.to_string(),
        )];
    };
    let found: Vec<(String, PathBuf, String)> = project
        .sources()
        .into_iter()
        .filter_map(|(path, name)| Some((name, path.clone(), std::fs::read_to_string(path).ok()?)))
        .collect();
    let texts: Vec<&str> = found.iter().map(|(_, _, text)| text.as_str()).collect();
    let order = dependency_order(&texts);
    let mut slots: Vec<Option<(String, PathBuf, String)>> = found.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|index| slots[index].take())
        .map(|(name, path, text)| (name, Some(path), text))
        .collect()
}

/// Where `require` looks: the project root, the root each source's `ns`
/// implies (`src/` for `src/app/core.jank` declaring `app.core`), then the
/// `--source-path` directories.
fn source_paths(
    project: Option<&Project>,
    sources: &[(String, Option<PathBuf>, String)],
    extra: &[PathBuf],
) -> SourcePaths {
    let mut paths = SourcePaths::new();
    if let Some(project) = project {
        paths.add(project.root.clone());
    }
    for (_, path, text) in sources {
        let implied = path
            .as_deref()
            .zip(declared_ns(text))
            .and_then(|(path, ns)| root_of(path, &ns));
        if let Some(root) = implied {
            paths.add(root);
        }
    }
    for path in extra {
        paths.add(path.clone());
    }
    paths
}

/// Compiles the app before anything listens, so the first page gets all of it.
async fn load_app(
    sources: Vec<(String, Option<PathBuf>, String)>,
    evaluator: &Evaluator,
) -> StartupResults {
    let mut results = Vec::new();
    for (name, _, text) in sources {
        let result = evaluator
            .compiler
            .file_changed(name.clone(), Some(text))
            .await;
        results.push((name, result));
    }
    results
}

/// Console output that never panics: the terminal, or the pipe a tool read
/// the banner from, may be gone while the server keeps serving.
fn say(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// A line on stderr, as `say` does it.
fn warn(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Ctrl-C, or SIGTERM from a process manager.
async fn stop_requested() {
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let terminated = async {
        match &mut terminate {
            Some(signal) => {
                signal.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated => {}
    }
}

/// `jankwasm serve`: runs until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: starting the async runtime: {e}"))?;
    runtime.block_on(async move {
        if !args.bind.is_loopback() {
            warn(&format!(
                "warning: listening on {}: anyone who can reach this address can run code \
                 through nREPL and POST /eval (remote code execution). Bind 127.0.0.1 unless \
                 you mean it.",
                args.bind
            ));
        }
        let mut server = start(args).await.map_err(|e| format!("error: {e}"))?;
        say(&server.banner());
        server.report_startup();
        stop_requested().await;
        server.shutdown().await;
        Ok(())
    })
}
