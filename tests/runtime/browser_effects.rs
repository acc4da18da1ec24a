//! `jank.browser` on the wasmtime harness: its effects carried out by the
//! harness's browser double (timers, animation frames, fetch, localStorage,
//! title, log, location hash), callbacks kept alive across collections while
//! registered and let go afterwards, and every effect refused with a clear
//! error on a headless runtime.

use jank_wasmtime_harness::{BrowserDouble, FetchResponse, GcPolicy, HarnessError, Runtime};
use jankwasm::lower::Abi;
use jankwasm::session::Session;
use jankwasm::source::SourceFile;

/// A runtime with `program` (which may require jank.browser) loaded; every
/// registry entry must succeed.
fn load(runtime: &mut Runtime, program: &str) {
    let source = SourceFile::new("app.jank", program);
    let mut next_id = 0;
    let patches = Session::new()
        .compile_program(&source, Abi::Extended, &mut || {
            next_id += 1;
            next_id
        })
        .unwrap_or_else(|failure| panic!("{}", failure.render(&source)));
    for compiled in patches {
        let entries = runtime
            .load_patch(&compiled.patch.bytes, &compiled.patch.symbols_export)
            .unwrap();
        for entry in entries {
            if let Err(thrown) = entry.result {
                panic!("{} threw {}", entry.qualified_name, thrown.printed);
            }
        }
    }
}

fn with_double(program: &str) -> Runtime {
    let mut runtime = Runtime::new().unwrap();
    runtime.set_browser_double(BrowserDouble::default());
    load(&mut runtime, program);
    runtime
}

fn printed(runtime: &mut Runtime, var: &str) -> String {
    runtime.call_var("app", var, &[]).unwrap().printed
}

const APP: &str = r#"(ns app (:require [jank.browser :as b]))
(def events (atom []))
(defn note [& xs] (swap! events conj (vec xs)))
(defn seen [] @events)
"#;

#[test]
fn timers_fire_in_due_order_and_a_cleared_one_never_fires() {
    let mut runtime = with_double(&format!(
        "{APP}
(defn start []
  (b/set-timeout #(note :slow) 50)
  (b/set-timeout #(note :fast) 10)
  (let [id (b/set-timeout #(note :cleared) 20)]
    (b/clear-timeout id))
  (b/request-animation-frame (fn [t] (note :frame t)))
  :started)"
    ));
    assert_eq!(printed(&mut runtime, "start"), ":started");
    let outcomes = runtime.run_effects().unwrap();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(Result::is_ok));
    assert_eq!(
        printed(&mut runtime, "seen"),
        "[[:fast] [:frame 16.0] [:slow]]"
    );
    assert!(runtime.run_effects().unwrap().is_empty());
}

#[test]
fn a_callback_stays_alive_across_collections_while_registered_and_is_released_after() {
    let mut runtime = with_double(&format!(
        "{APP}
(defn start []
  (let [message (str \"made \" \"at run time\")]
    (b/set-timeout (fn [] (note message)) 5)
    nil))"
    ));
    runtime.set_gc_policy(GcPolicy::EverySafePoint).unwrap();
    let retained_before = runtime.gc_stats().unwrap().unwrap().retained;
    printed(&mut runtime, "start");
    runtime.collect_garbage().unwrap();
    assert_eq!(
        runtime.gc_stats().unwrap().unwrap().retained,
        retained_before + 1,
        "the pending timer's fn is retained"
    );
    runtime.run_effects().unwrap();
    assert_eq!(printed(&mut runtime, "seen"), "[[\"made at run time\"]]");
    assert_eq!(
        runtime.gc_stats().unwrap().unwrap().retained,
        retained_before,
        "a fired timer's fn is released"
    );
}

#[test]
fn fetch_answers_with_a_response_map_or_an_error() {
    let mut runtime = Runtime::new().unwrap();
    let mut browser = BrowserDouble::default();
    browser.fetch_responses.insert(
        "/todos.json".into(),
        FetchResponse::Response {
            status: 200,
            body: "[1 2]".into(),
        },
    );
    browser.fetch_responses.insert(
        "/missing".into(),
        FetchResponse::Response {
            status: 404,
            body: "no".into(),
        },
    );
    browser.fetch_responses.insert(
        "/down".into(),
        FetchResponse::Failed("connection refused".into()),
    );
    runtime.set_browser_double(browser);
    load(
        &mut runtime,
        &format!(
            "{APP}
(defn start []
  (doseq [url [\"/todos.json\" \"/missing\" \"/down\"]]
    (b/fetch url (fn [response] (note url response)))))"
        ),
    );
    printed(&mut runtime, "start");
    runtime.run_effects().unwrap();
    assert_eq!(
        printed(&mut runtime, "seen"),
        "[[\"/todos.json\" {:ok true, :status 200, :body \"[1 2]\"}] \
         [\"/missing\" {:ok false, :status 404, :body \"no\"}] \
         [\"/down\" {:ok false, :error \"connection refused\"}]]"
    );
}

#[test]
fn storage_title_log_and_the_location_hash_with_its_change_listener() {
    let mut runtime = with_double(&format!(
        "{APP}
(defn start []
  (b/local-storage-set! \"todos\" \"[:a]\")
  (b/local-storage-set! \"gone\" \"x\")
  (b/local-storage-remove! \"gone\")
  (b/set-title! \"3 left\")
  (b/log \"hello\" 42 :kw)
  (b/on-hash-change (fn [new old] (note :hash new old)))
  (b/set-location-hash! \"/active\")
  [(b/local-storage-get \"todos\") (b/local-storage-get \"gone\") (b/location-hash)])"
    ));
    assert_eq!(
        printed(&mut runtime, "start"),
        "[\"[:a]\" nil \"#/active\"]"
    );
    let browser = runtime.browser_double().unwrap();
    assert_eq!(browser.title, "3 left");
    assert_eq!(browser.log, ["hello 42 :kw"]);
    assert_eq!(browser.local_storage.len(), 1);
    // The user following a link changes the hash too.
    browser.set_hash("#/completed");
    runtime.run_effects().unwrap();
    assert_eq!(
        printed(&mut runtime, "seen"),
        "[[:hash \"#/active\" \"\"] [:hash \"#/completed\" \"#/active\"]]"
    );
}

#[test]
fn a_callback_that_throws_is_reported_and_the_others_still_run() {
    let mut runtime = with_double(&format!(
        "{APP}
(defn start []
  (b/set-timeout #(throw (ex-info \"tick failed\" {{}})) 1)
  (b/set-timeout #(note :after) 2))"
    ));
    printed(&mut runtime, "start");
    let outcomes = runtime.run_effects().unwrap();
    match &outcomes[0] {
        Err(HarnessError::Thrown(thrown)) => {
            assert!(thrown.printed.contains("tick failed"), "{}", thrown.printed)
        }
        other => panic!("expected the throw, got {other:?}"),
    }
    assert!(outcomes[1].is_ok());
    assert_eq!(printed(&mut runtime, "seen"), "[[:after]]");
}

#[test]
fn a_headless_runtime_refuses_each_effect_naming_it() {
    let mut runtime = Runtime::new().unwrap();
    load(
        &mut runtime,
        &format!("{APP}\n(defn start [] (b/set-timeout #(note :never) 10))\n(defn hash [] (b/location-hash))"),
    );
    for (var, op) in [("start", ":set-timeout"), ("hash", ":location-hash")] {
        match runtime.call_var("app", var, &[]) {
            Err(HarnessError::Thrown(thrown)) => {
                assert!(
                    thrown.printed.contains(&format!(
                        "jank.browser's {op} needs a browser page; this runtime is headless"
                    )),
                    "{}",
                    thrown.printed
                );
                assert!(
                    thrown.printed.contains(&format!(":effect {op}")),
                    "{}",
                    thrown.printed
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn a_misused_effect_is_refused_with_what_it_was_given() {
    let mut runtime = with_double(&format!(
        "{APP}\n(defn start [] (b/set-timeout 10 #(note :x)))"
    ));
    match runtime.call_var("app", "start", &[]) {
        Err(HarnessError::Thrown(thrown)) => assert!(
            thrown
                .printed
                .contains("jank.browser: no effect set-timeout taking a number, a fn"),
            "{}",
            thrown.printed
        ),
        other => panic!("expected a refusal, got {other:?}"),
    }
}
