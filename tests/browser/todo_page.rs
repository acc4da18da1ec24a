//! examples/todo, TodoMVC in jank, served by `jankwasm serve` and driven in
//! headless Chromium with real clicks and keys: add, toggle, toggle all,
//! filters by location hash, edit in place (double-click, Enter, Escape), delete, clear
//! completed and the count; typing keeps the focus; a `POST /eval` edit of
//! the view while text is in the input keeps the text and the todos and runs
//! the app's after-load hook; a saved stylesheet restyles without a reload;
//! the todos persist in localStorage into a new page.

use crate::browser;
use crate::serve_support;

use std::path::Path;
use std::time::Duration;

use browser::{Browser, Page};
use pretty_assertions::assert_eq;

const WAIT: Duration = Duration::from_secs(30);

fn example(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/todo")
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn labels(page: &Page) -> serde_json::Value {
    page.eval("[...document.querySelectorAll('.todo-list li label')].map((l) => l.textContent)")
}

fn wait_for_labels(page: &Page, expected: &[&str]) {
    let wanted = serde_json::to_string(expected).expect("JSON");
    page.wait_for(
        &format!(
            "JSON.stringify([...document.querySelectorAll('.todo-list li label')].map((l) => l.textContent)) === {}",
            serde_json::to_string(&wanted).expect("JSON")
        ),
        WAIT,
    );
}

fn count_text(page: &Page) -> String {
    page.text(".todo-count")
}

/// The value of an atom var of todo.app, printed.
fn atom_value(page: &Page, name: &str) -> serde_json::Value {
    page.eval(&format!(
        "(() => {{ const rt = jankClient.backend.runtime; \
         const v = rt.prStr(rt.invoke(rt.intern('clojure.core', 'deref'), [rt.deref(rt.intern('todo.app', '{name}'))])); \
         rt.safePoint(); return v; }})()"
    ))
}

const FOCUSED_CLASS: &str = "document.activeElement.className";

#[test]
fn todomvc_in_jank_works_keeps_focus_and_text_across_a_view_edit_and_restyles_live() {
    let Some(browser) = Browser::launch() else {
        return;
    };
    let project = tempfile::tempdir().expect("a project directory");
    for file in [
        "src/todo/app.jank",
        "src/todo/model.jank",
        "test/todo/model_test.jank",
        "index.html",
        "todo.css",
    ] {
        let path = project.path().join(file);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("make the directory");
        std::fs::write(path, example(file)).expect("copy the example");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let server = runtime.block_on(serve_support::start(project.path()));
    let page = browser.open(&serve_support::http(&server, "/"));
    page.wait_for("document.querySelector('.new-todo') !== null", WAIT);

    // Adding: Enter submits, the input empties and keeps the focus.
    page.click(".new-todo");
    for title in ["milk", "bread", "eggs"] {
        page.type_text(title);
        page.press("Enter");
        // As a user would, the next title is typed once the input has emptied
        // (the page's render after Enter clears it).
        page.wait_for("document.querySelector('.new-todo').value === ''", WAIT);
    }
    wait_for_labels(&page, &["milk", "bread", "eggs"]);
    assert_eq!(page.eval(FOCUSED_CLASS), "new-todo");
    assert_eq!(page.eval("document.querySelector('.new-todo').value"), "");
    assert_eq!(count_text(&page), "3 items left");
    // Blank input adds nothing.
    page.type_text("   ");
    page.press("Enter");
    page.wait_for("document.querySelector('.new-todo').value === ''", WAIT);
    assert_eq!(count_text(&page), "3 items left");

    // Toggling one, and the filters.
    page.click(".todo-list li:nth-child(1) .toggle");
    page.wait_for(
        "document.querySelector('.todo-count').textContent === '2 items left'",
        WAIT,
    );
    assert_eq!(
        page.eval("document.querySelector('.todo-list li').className"),
        "completed"
    );
    let show = |href: &str| {
        page.eval(&format!(
            "document.querySelector(\".filters a[href='{href}']\").click()"
        ));
    };
    show("#/active");
    wait_for_labels(&page, &["bread", "eggs"]);
    show("#/completed");
    wait_for_labels(&page, &["milk"]);
    assert_eq!(
        page.eval("document.querySelector('.filters a.selected').textContent"),
        "Completed"
    );
    show("#/");
    // The filters follow the location hash (jank.browser's hash listener).
    assert_eq!(page.eval("location.hash"), "#/");
    wait_for_labels(&page, &["milk", "bread", "eggs"]);

    // Toggle all: all done, then all active again.
    page.click("#toggle-all");
    page.wait_for(
        "document.querySelector('.todo-count').textContent === '0 items left'",
        WAIT,
    );
    page.click("#toggle-all");
    page.wait_for(
        "document.querySelector('.todo-count').textContent === '3 items left'",
        WAIT,
    );

    // Editing in place: a double-click opens the edit box with the focus,
    // Enter saves, Escape cancels.
    let double_click = |label: &str| {
        page.eval(&format!(
            "(() => {{ const l = [...document.querySelectorAll('.todo-list label')].find((l) => l.textContent === '{label}'); \
             l.dispatchEvent(new MouseEvent('dblclick', {{ bubbles: true }})); return true; }})()"
        ));
        page.wait_for("document.activeElement.className === 'edit'", WAIT);
    };
    double_click("bread");
    assert_eq!(page.eval("document.activeElement.value"), "bread");
    page.eval("document.activeElement.select()");
    page.type_text("rye bread");
    page.press("Enter");
    wait_for_labels(&page, &["milk", "rye bread", "eggs"]);
    double_click("eggs");
    page.eval("document.activeElement.select()");
    page.type_text("nothing");
    page.press("Escape");
    page.wait_for("document.querySelector('.edit') === null", WAIT);
    assert_eq!(
        labels(&page),
        serde_json::json!(["milk", "rye bread", "eggs"])
    );

    // Delete, and clear completed.
    page.eval("document.querySelectorAll('.todo-list .destroy')[2].click()");
    wait_for_labels(&page, &["milk", "rye bread"]);
    page.click(".todo-list li:nth-child(1) .toggle");
    page.wait_for("document.querySelector('.clear-completed') !== null", WAIT);
    page.click(".clear-completed");
    wait_for_labels(&page, &["rye bread"]);
    assert_eq!(count_text(&page), "1 item left");

    // A view edit while text is in the input: the page changes, the text,
    // its focus and the todos stay, and the after-load hook runs once.
    page.click(".new-todo");
    page.type_text("draft");
    page.wait_for(
        "document.querySelector('.new-todo').value === 'draft'",
        WAIT,
    );
    let reloads_before: i64 = atom_value(&page, "reloads")
        .as_str()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    let app = example("src/todo/app.jank");
    let start = app.find("(defn view").expect("the view");
    let end = app.find("(defn handle").expect("the form after it");
    let edited_view = app[start..end].replace("[:h1 \"todos\"]", "[:h1 \"jank todos\"]");
    let (status, answer) = runtime.block_on(serve_support::post_eval(
        &server,
        "?ns=todo.app",
        &edited_view,
    ));
    assert_eq!(status, 200, "{answer}");
    page.wait_for(
        "document.querySelector('h1').textContent === 'jank todos'",
        WAIT,
    );
    assert_eq!(
        page.eval("document.querySelector('.new-todo').value"),
        "draft"
    );
    assert_eq!(page.eval(FOCUSED_CLASS), "new-todo");
    assert_eq!(labels(&page), serde_json::json!(["rye bread"]));
    assert_eq!(
        atom_value(&page, "reloads"),
        (reloads_before + 1).to_string()
    );

    // A saved stylesheet restyles the page; it is not reloaded.
    let color = "getComputedStyle(document.querySelector('h1')).color";
    assert_eq!(page.eval(color), "rgb(184, 63, 69)");
    page.eval("window.notReloaded = true");
    let css = example("todo.css").replace("color: #b83f45", "color: #2040a0");
    std::fs::write(project.path().join("todo.css"), css).expect("save the stylesheet");
    page.wait_for(&format!("{color} === 'rgb(32, 64, 160)'"), WAIT);
    assert_eq!(page.eval("window.notReloaded === true"), true);
    assert_eq!(
        page.eval("document.querySelector('.new-todo').value"),
        "draft"
    );

    // The todos persist in localStorage: a new page of the app, opened on
    // the active filter, shows them, filtered by its hash.
    let second = browser.open(&serve_support::http(&server, "/#/active"));
    second.wait_for("document.querySelector('.new-todo') !== null", WAIT);
    wait_for_labels(&second, &["rye bread"]);
    assert_eq!(
        second.eval("document.querySelector('.filters a.selected').textContent"),
        "Active"
    );
    assert_eq!(
        second.eval("localStorage.getItem('todos-jank')"),
        "- rye bread"
    );
    runtime.block_on(server.shutdown());
}
