//! Saving a project file recompiles only the top-level forms whose text
//! changed and pushes them; a broken save pushes nothing and tells the pages.

use crate::serve_support;

use std::time::Duration;

use jankwasm::serve::protocol::ServerMessage;
use pretty_assertions::assert_eq;
use serve_support::*;

const APP: &str = "(ns app)\n\n\
(defonce clicks (atom 0))\n\n\
(defn label [] (str \"clicked \" @clicks))\n\n\
(defn click! [] (swap! clicks inc) (label))\n";

/// Saves like an editor: write a temporary file, rename it over.
fn save(path: &std::path::Path, text: &str) {
    let temporary = path.with_extension("jank.tmp");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// The names a patch message defines.
fn names(message: &ServerMessage) -> Vec<String> {
    match message {
        ServerMessage::Patch(patch) => patch.symbols.iter().map(|s| s.name.clone()).collect(),
        other => panic!("expected a patch, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_save_pushes_only_the_changed_forms() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.jank");
    std::fs::write(&file, APP).unwrap();
    let server = start(dir.path()).await;
    let (mut page, ack) = Page::connect(&server, None).await;
    assert_eq!(ack.replay, 3);
    for _ in 0..3 {
        page.load_next().await;
    }
    page.call("app", "click!");
    page.call("app", "click!");

    // Change one defn and move another down a line: one patch.
    let edited = APP
        .replace("\"clicked \"", "\"clicks: \"")
        .replace("\n(defn click!", "\n\n(defn click!");
    save(&file, &edited);
    let message = page.next().await;
    assert_eq!(names(&message), ["app/label"]);
    let ServerMessage::Patch(patch) = message else {
        unreachable!()
    };
    assert_eq!(patch.source.as_ref().map(|s| s.line), Some(5));
    page.load(patch).await;
    assert_eq!(page.try_next(Duration::from_millis(500)).await, None);
    assert_eq!(page.call("app", "label"), "\"clicks: 2\"");

    // A new form at the end: just that one.
    let extended = format!("{edited}\n(defn zero! [] (reset! clicks 0))\n");
    save(&file, &extended);
    assert_eq!(names(&page.next().await), ["app/zero!"]);

    // A broken save: the error goes to the page, nothing is pushed, and
    // the next good save still pushes what changed since the last good one.
    save(&file, &extended.replace("(label))", "(labe))"));
    match page.next().await {
        ServerMessage::Error(error) => {
            assert_eq!(error.diagnostics[0].line, 8, "{}", error.error);
            assert!(error.error.contains("labe"), "{}", error.error);
        }
        other => panic!("expected the compile error, got {other:?}"),
    }
    assert_eq!(page.try_next(Duration::from_millis(300)).await, None);
    save(
        &file,
        &extended.replace("(swap! clicks inc)", "(swap! clicks + 10)"),
    );
    assert_eq!(names(&page.next().await), ["app/click!"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_target_is_the_whole_project() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.jank");
    std::fs::write(&file, APP).unwrap();
    std::fs::write(
        dir.path().join("other.jank"),
        "(ns other)\n(def unrelated 1)\n",
    )
    .unwrap();
    let server = start(&file).await;
    let (mut page, ack) = Page::connect(&server, None).await;
    assert_eq!(ack.replay, 3, "only app.jank's definitions");
    for _ in 0..3 {
        page.load_next().await;
    }
    save(
        &dir.path().join("other.jank"),
        "(ns other)\n(def unrelated 2)\n",
    );
    assert_eq!(page.try_next(Duration::from_millis(500)).await, None);
    save(&file, &APP.replace("\"clicked \"", "\"n=\""));
    assert_eq!(names(&page.next().await), ["app/label"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_stylesheet_is_announced_and_reload_hooks_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.jank");
    std::fs::write(&file, APP).unwrap();
    std::fs::create_dir(dir.path().join("css")).unwrap();
    let server = start(dir.path()).await;
    let (mut page, _) = Page::connect(&server, None).await;
    for _ in 0..3 {
        page.load_next().await;
    }

    std::fs::write(dir.path().join("css/app.css"), "body { color: red }").unwrap();
    match page.next().await {
        ServerMessage::Stylesheet(stylesheet) => assert_eq!(stylesheet.path, "/css/app.css"),
        other => panic!("expected a stylesheet message, got {other:?}"),
    }

    let hooked = format!(
        "{APP}\n(defn ^:dev/before-load stop [] nil)\n(defn ^{{:dev/after-load true}} start [] nil)\n"
    );
    save(&file, &hooked);
    let mut hooks = Vec::new();
    let mut patches = 0;
    while patches < 2 {
        // The stylesheet's write may be reported more than once (create,
        // then modify, in two debounce windows on a busy machine).
        let patch = match page.next().await {
            ServerMessage::Patch(patch) => patch,
            ServerMessage::Stylesheet(stylesheet) => {
                assert_eq!(stylesheet.path, "/css/app.css");
                continue;
            }
            other => panic!("expected a patch, got {other:?}"),
        };
        patches += 1;
        for symbol in patch.symbols {
            hooks.push((symbol.name, symbol.hooks));
        }
    }
    assert_eq!(
        hooks,
        [
            ("app/stop".to_string(), vec!["before-load".to_string()]),
            ("app/start".to_string(), vec!["after-load".to_string()]),
        ]
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_of_several_namespaces_loads_in_dependency_order() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("app")).unwrap();
    std::fs::create_dir_all(dir.path().join("lib/extra")).unwrap();
    // Alphabetically core comes first; it must compile after util.
    std::fs::write(
        src.join("app/core.jank"),
        "(ns app.core (:require [app.util :as u]))\n\
         (defmacro via-util [x] `(u/add2 ~x))\n\
         (defn answer [] (via-util 40))\n",
    )
    .unwrap();
    std::fs::write(
        src.join("app/util.jank"),
        "(ns app.util)\n(defn inc2 [x] (+ x 2))\n(defmacro add2 [x] `(inc2 ~x))\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("lib/extra/math.jank"),
        "(ns extra.math)\n(defn triple [x] (* 3 x))\n",
    )
    .unwrap();
    let server = start_with(jankwasm::serve::ServeArgs {
        source_paths: vec![dir.path().join("lib")],
        ..jankwasm::serve::ServeArgs::on_free_ports(Some(src.clone()))
    })
    .await;
    let (status, answer) = post_eval(&server, "", "(app.core/answer)").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "42", "{answer}");

    // A namespace outside the project loads from --source-path on require.
    let (status, answer) = post_eval(
        &server,
        "?ns=app.core",
        "(require '[extra.math :as m])\n(m/triple (answer))",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["result"], "126", "{answer}");
    assert_eq!(
        answer["values"],
        serde_json::json!(["nil", "126"]),
        "{answer}"
    );

    // Macros from an editor: one that throws is a compile error at its call,
    // and the session goes on.
    let (status, answer) = post_eval(
        &server,
        "?ns=app.core",
        "(defmacro strict [x] (if (number? x) x (throw (ex-info \"not a number\" {}))))",
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (_, answer) = post_eval(&server, "?ns=app.core", "(strict :k)").await;
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("1:1: error: macro app.core/strict failed to expand: it threw clojure.lang.ExceptionInfo: not a number {}"),
        "{answer}"
    );
    let (_, answer) = post_eval(&server, "?ns=app.core", "(+ (strict 1) (via-util 0))").await;
    assert_eq!(answer["result"], "3", "{answer}");

    // A missing one is a compile error at the libspec, naming where it looked.
    let (_, answer) = post_eval(&server, "", "(require 'extra.nope)").await;
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("1:11: error: could not locate namespace extra.nope: searched "),
        "{answer}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redefined_macro_recompiles_the_forms_that_used_it_and_pages_keep_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    let util = dir.path().join("app/util.jank");
    std::fs::write(&util, "(ns app.util)\n(defmacro scaled [x] `(* 2 ~x))\n").unwrap();
    std::fs::write(
        dir.path().join("app/core.jank"),
        "(ns app.core (:require [app.util :refer [scaled]]))\n\
         (defonce clicks (atom 0))\n\
         (defn click! [] (swap! clicks inc))\n\
         (defn score [] (scaled @clicks))\n\
         (defn unrelated [] :same)\n",
    )
    .unwrap();
    let server = start(dir.path()).await;
    let (mut page, ack) = Page::connect(&server, None).await;
    for _ in 0..ack.replay {
        page.load_next().await;
    }
    page.call("app.core", "click!");
    page.call("app.core", "click!");
    assert_eq!(page.call("app.core", "score"), "4");

    // Only the macro changes: the file defining it pushes the macro, then
    // the form of another file that expanded it is recompiled and pushed.
    save(&util, "(ns app.util)\n(defmacro scaled [x] `(* 100 ~x))\n");
    assert_eq!(names(&page.next().await), ["app.util/scaled"]);
    let recompiled = page.next().await;
    assert_eq!(names(&recompiled), ["app.core/score"]);
    let ServerMessage::Patch(patch) = recompiled else {
        unreachable!()
    };
    page.load(patch).await;
    assert_eq!(
        page.call("app.core", "score"),
        "200",
        "the atom kept its 2 clicks"
    );
    assert_eq!(page.try_next(Duration::from_millis(500)).await, None);
    server.shutdown().await;
}
