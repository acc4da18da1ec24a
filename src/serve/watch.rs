//! The project's `.jank` files: found at start (and compiled, in path order)
//! and watched afterwards. A saved file goes to the compiler, which
//! recompiles only the top-level forms whose text changed and pushes them;
//! the outcome (patches, or the compile error) is printed on the console.
//! A saved `.css` file is announced to every page (a `stylesheet` message),
//! which swaps it in without a reload.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, Debouncer};
use tokio::sync::mpsc;

use super::compiler::{CompileError, Compiled};
use super::eval::Evaluator;
use super::protocol::{ServerMessage, StylesheetMessage};
use super::{say, warn};

/// How long a burst of file events (an editor's write-and-rename) is merged.
const DEBOUNCE: Duration = Duration::from_millis(25);

/// Where the project is, and how its files are named in diagnostics.
#[derive(Debug, Clone)]
pub struct Project {
    /// Canonical, for watching and containment.
    pub root: PathBuf,
    /// As the user gave it, for the names files carry.
    pub shown_root: PathBuf,
    /// Set when the user named one file: then it is the whole project.
    pub only: Option<PathBuf>,
}

impl Project {
    /// The name a file under the project carries (its path as the user would
    /// write it); None for files that are not project sources.
    pub fn source_name(&self, path: &Path) -> Option<String> {
        if self.only.as_ref().is_some_and(|only| only != path) {
            return None;
        }
        let relative = path.strip_prefix(&self.root).ok()?;
        let hidden_or_build = relative.components().any(|c| {
            let name = c.as_os_str().to_string_lossy();
            name.starts_with('.') || name == "target" || name == "node_modules"
        });
        let is_jank = relative.extension().is_some_and(|e| e == "jank");
        (!hidden_or_build && is_jank).then(|| self.shown_root.join(relative).display().to_string())
    }

    /// The URL path a served `.css` file under the project has (`/css/app.css`);
    /// None for anything else.
    pub fn stylesheet_path(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        let mut url = String::new();
        for component in relative.components() {
            let std::path::Component::Normal(name) = component else {
                return None;
            };
            let name = name.to_str()?;
            if name.starts_with('.') {
                return None;
            }
            url.push('/');
            url.push_str(name);
        }
        relative
            .extension()
            .is_some_and(|e| e == "css")
            .then_some(url)
    }

    /// Every project source, in path order.
    pub fn sources(&self) -> Vec<(PathBuf, String)> {
        let mut found = Vec::new();
        let mut pending = vec![self.root.clone()];
        while let Some(dir) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                match entry.file_type() {
                    Ok(kind) if kind.is_dir() && !hidden => pending.push(path),
                    Ok(kind) if kind.is_file() => {
                        if let Some(name) = self.source_name(&path) {
                            found.push((path, name));
                        }
                    }
                    _ => {}
                }
            }
        }
        found.sort();
        found
    }
}

/// Starts watching; the returned debouncer must be kept alive.
pub fn spawn(
    project: Project,
    evaluator: Evaluator,
) -> Result<Debouncer<notify::RecommendedWatcher>, notify::Error> {
    let (changed, mut changes) = mpsc::unbounded_channel::<PathBuf>();
    let mut debouncer = new_debouncer(DEBOUNCE, move |result: DebounceEventResult| {
        if let Ok(events) = result {
            for event in events {
                let _ = changed.send(event.path);
            }
        }
    })?;
    debouncer
        .watcher()
        .watch(&project.root, RecursiveMode::Recursive)?;
    tokio::spawn(async move {
        // One save can raise several events; the same text twice is one change.
        let mut last_seen: HashMap<PathBuf, Option<String>> = HashMap::new();
        while let Some(path) = changes.recv().await {
            if let Some(url_path) = project.stylesheet_path(&path) {
                if path.is_file() {
                    evaluator
                        .hub
                        .broadcast(&ServerMessage::Stylesheet(StylesheetMessage {
                            path: url_path,
                        }));
                }
                continue;
            }
            let Some(name) = project.source_name(&path) else {
                continue;
            };
            let text = tokio::fs::read_to_string(&path).await.ok();
            if last_seen.get(&path) == Some(&text) {
                continue;
            }
            last_seen.insert(path, text.clone());
            let result = evaluator.compiler.file_changed(name.clone(), text).await;
            // Waiting for the pages' answers must not hold up the next save.
            let evaluator = evaluator.clone();
            tokio::spawn(async move { report(&evaluator, &name, result).await });
        }
    });
    Ok(debouncer)
}

/// Prints what a file compilation pushed and how the loads went.
pub async fn report(evaluator: &Evaluator, name: &str, result: Result<Compiled, CompileError>) {
    let compiled = match result {
        Ok(compiled) => compiled,
        Err(error) => {
            warn(error.to_string().trim_end());
            return;
        }
    };
    let ids: Vec<String> = compiled
        .forms
        .iter()
        .filter_map(|f| f.delivery.as_ref().map(|d| d.id.to_string()))
        .collect();
    if ids.is_empty() {
        return;
    }
    say(&format!(
        "jankwasm serve: {name}: compiled {} form(s) into patch(es) {}\n",
        ids.len(),
        ids.join(", ")
    ));
    for form in compiled.forms {
        let outcome = evaluator.collect(form).await;
        for error in outcome.errors() {
            warn(&format!("jankwasm serve: {name}:{}: {error}", outcome.pos));
        }
        say(&outcome.output);
    }
}
