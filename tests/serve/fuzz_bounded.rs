//! The fuzz targets' checks (jankwasm::fuzzing) as a bounded stable test:
//! each runs over its seed corpus, then over a fixed number of mutations of
//! those seeds drawn from a fixed-seed RNG, so every run checks the same
//! inputs. The long runs are `cargo +nightly fuzz run TARGET` (README,
//! "Fuzzing"). A failure names the input, escaped, to paste into a
//! regression test. nREPL messages also go through a running server's
//! dispatcher, which must answer a later request on the same connection.

use crate::serve_support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use jankwasm::fuzzing::{self, Violation};
use jankwasm::lower::{Abi, PatchOptions};
use jankwasm::serve::nrepl::bencode::Framer;
use jankwasm::session::Session;
use jankwasm::source::SourceFile;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Fragments the mutator splices in: the syntax each format is made of, and
/// the numbers and sizes that sit on limits.
const SOURCE_TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "#{",
    "#(",
    "#_",
    "#'",
    "#?(",
    "#?@(",
    "'",
    "`",
    "~",
    "~@",
    "@",
    "^",
    "^:",
    "\\",
    "\\u",
    "\\newline",
    "\"",
    "\\\"",
    ";",
    "\n",
    " ",
    "%",
    "%1",
    "%&",
    "&",
    ":",
    "::",
    "/",
    "recur",
    "fn*",
    "let*",
    "loop*",
    "def",
    "defn",
    "defonce",
    "ns",
    "quote",
    "var",
    "try",
    "catch",
    "finally",
    "throw",
    "case",
    "letfn",
    "for",
    "doseq",
    "->",
    "->>",
    "cond",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "1e309",
    "0x",
    "36r",
    "2r",
    "1/0",
    "0.0",
    "##NaN",
    "##Inf",
    "nil",
    "true",
    "\u{0}",
    "\u{10ffff}",
    "é",
    "\t",
    "\r",
];
const NREPL_TOKENS: &[&str] = &[
    "d",
    "l",
    "e",
    "i",
    "i0e",
    "i-0e",
    "i-1e",
    "i99999999999999999999e",
    "0:",
    "1:",
    "4:",
    ":",
    "2:op",
    "4:eval",
    "4:code",
    "2:id",
    "7:session",
    "2:ns",
    "4:line",
    "6:column",
    "le",
    "de",
    "1048577:",
    "99999999999999999999:",
    "-1:",
];
const PAGE_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\u0000",
    "\\ud800",
    "null",
    "true",
    "false",
    "-1",
    "0",
    "1e400",
    "-0",
    "18446744073709551615",
    "18446744073709551616",
    "9007199254740993",
    "\"type\"",
    "\"handshake\"",
    "\"patch_ack\"",
    "\"eval\"",
    "\"last_patch_id\"",
    "\"id\"",
    "\"ok\"",
    "\"code\"",
    "\"results\"",
    "\"request_id\"",
];
const PATCH_TOKENS: &[&str] = &[
    "\0asm",
    "\u{1}\0\0\0",
    "\u{8}dylink.0",
    "dylink",
    "env",
    "GOT.mem",
    "memory",
    "__memory_base",
    "__table_base",
    "__stack_pointer",
    "__indirect_function_table",
    "jank_patch_symbols_1",
    "__wasm_call_ctors",
    "jank_host_gc_collect",
    "\u{7f}",
    "\u{7e}",
];

/// A mutation of one seed: one to four edits (bit flips, byte changes,
/// deletions, duplications, splices from another seed, tokens).
fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>], tokens: &[&str]) -> Vec<u8> {
    let mut bytes = seeds[rng.random_range(0..seeds.len())].clone();
    for _ in 0..rng.random_range(1..=4) {
        let at = rng.random_range(0..=bytes.len());
        match rng.random_range(0..7) {
            0 if at < bytes.len() => bytes[at] ^= 1 << rng.random_range(0..8),
            1 if at < bytes.len() => bytes[at] = rng.random(),
            2 => {
                let end = (at + rng.random_range(1..=16)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let end = (at + rng.random_range(1..=64)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                let to = rng.random_range(0..=bytes.len());
                bytes.splice(to..to, copy);
            }
            4 => {
                let other = &seeds[rng.random_range(0..seeds.len())];
                let from = rng.random_range(0..=other.len());
                let end = (from + rng.random_range(1..=64)).min(other.len());
                bytes.splice(at..at, other[from..end].iter().copied());
            }
            5 if at < bytes.len() => {
                // A LEB128 or length on a limit: the encodings' edge values.
                let edge = [0x00, 0x7f, 0x80, 0xff][rng.random_range(0..4)];
                bytes[at] = edge;
            }
            _ => {
                let token = tokens[rng.random_range(0..tokens.len())].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
        }
    }
    bytes
}

/// Runs `check` over the seeds and `mutations` mutated cases; fails with
/// every input that broke an invariant or panicked.
fn run(
    target: &str,
    seeds: &[Vec<u8>],
    mutations: usize,
    tokens: &[&str],
    check: fn(&[u8]) -> Result<(), Violation>,
) {
    assert!(!seeds.is_empty(), "{target}: no seeds");
    let mut rng = StdRng::seed_from_u64(0x6a61_6e6b);
    let cases = seeds
        .iter()
        .cloned()
        .chain((0..mutations).map(|_| mutate(&mut rng, seeds, tokens)));
    let mut failures = Vec::new();
    let mut count = 0;
    for input in cases {
        count += 1;
        let verdict = match catch_unwind(AssertUnwindSafe(|| check(&input))) {
            Ok(Ok(())) => continue,
            Ok(Err(violation)) => violation.to_string(),
            Err(panic) => format!(
                "panicked: {}",
                panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)")
            ),
        };
        failures.push(format!(
            "{verdict}\n  input: {:?}",
            String::from_utf8_lossy(&input)
        ));
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{target}: {count} cases, all held");
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Every file in `dir` (with `extension`), in name order.
fn files(dir: &str, extension: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn source_text_compiles_to_loadable_patches_or_positioned_diagnostics() {
    let mut seeds = files("tests/corpus/ok", "jank");
    seeds.extend(files("tests/corpus/rejected", "jank"));
    run("source", &seeds, 1500, SOURCE_TOKENS, fuzzing::check_source);
}

#[test]
fn source_text_compiles_or_is_rejected_inside_the_text() {
    let mut seeds = files("tests/corpus/ok", "jank");
    seeds.extend(files("tests/corpus/rejected", "jank"));
    run(
        "source_compile",
        &seeds,
        10_000,
        SOURCE_TOKENS,
        fuzzing::check_source_compiles,
    );
}

#[test]
fn nrepl_bytes_frame_and_decode_without_losing_the_id() {
    run(
        "nrepl",
        &files("fuzz/seeds/nrepl", "bencode"),
        50_000,
        NREPL_TOKENS,
        fuzzing::check_nrepl,
    );
}

#[test]
fn page_messages_are_interpreted_or_refused_with_a_reason() {
    run(
        "page_message",
        &files("fuzz/seeds/page", "json"),
        50_000,
        PAGE_TOKENS,
        fuzzing::check_page_message,
    );
}

#[test]
fn mutated_patches_are_refused_with_an_error_and_the_runtime_survives() {
    // Every eighth program of the oracle corpus, compiled as `jankwasm emit
    // --patch-id 1` would (the long run's seeds are made that way).
    let options = PatchOptions {
        patch_id: fuzzing::PATCH_ID,
        abi: Abi::Extended,
    };
    let seeds: Vec<Vec<u8>> = files("tests/corpus/ok", "jank")
        .into_iter()
        .step_by(8)
        .filter_map(|text| {
            let source = SourceFile::new("seed.jank", String::from_utf8(text).unwrap());
            Session::new().compile(&source, &options).ok()
        })
        .map(|patch| patch.bytes)
        .collect();
    run("patch", &seeds, 600, PATCH_TOKENS, fuzzing::check_patch);
}

/// Prints the case being run if the test panics during it.
struct CaseGuard<'a>(&'a [u8]);

impl Drop for CaseGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("while dispatching {:?}", String::from_utf8_lossy(self.0));
        }
    }
}

/// The whole messages at the start of `bytes` (what a server dispatches
/// before the framing stops it).
fn whole_messages(bytes: &[u8]) -> &[u8] {
    let mut framer = Framer::default();
    let mut end = 0;
    for (at, byte) in bytes.iter().enumerate() {
        let pushed = framer.push(std::slice::from_ref(byte));
        if !pushed.messages.is_empty() {
            end = at + 1;
        }
        if pushed.error.is_some() {
            break;
        }
    }
    &bytes[..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn nrepl_messages_dispatch_and_the_connection_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve_support::start_with_eval_timeout(dir.path(), 2.0).await;
    let seeds = files("fuzz/seeds/nrepl", "bencode");
    let mut rng = StdRng::seed_from_u64(0x6e72_6570);
    let mutated: Vec<Vec<u8>> = (0..3000)
        .map(|_| mutate(&mut rng, &seeds, NREPL_TOKENS))
        .collect();
    let mut dispatched = 0;
    for input in seeds.iter().chain(&mutated) {
        let messages = whole_messages(input);
        let _guard = CaseGuard(messages);
        let mut nrepl = serve_support::Nrepl::connect(&server).await;
        nrepl.send_raw(messages).await;
        let answer = nrepl.request(&[("op", serve_support::s("describe"))]).await;
        assert!(
            answer[0].get("ops").is_some(),
            "describe after the input answered {answer:?}"
        );
        dispatched += 1;
    }
    eprintln!("nrepl dispatch: {dispatched} cases, every connection still answered");
    server.shutdown().await;
}

// Regressions: what the long fuzz runs found, each with its real outcome.

/// Found by `page_message`: a handshake's `last_patch_id` near 2^64
/// overflowed the id counter (a panic in a debug build; in release the next
/// id wrapped to 0 and ids repeated). Ids past JavaScript's largest exact
/// integer were never handed out: the page is replayed everything and the
/// next patch gets an ordinary id.
#[tokio::test(flavor = "multi_thread")]
async fn a_page_reporting_an_impossible_patch_id_cannot_move_the_counter() {
    const LARGEST_PATCH_ID: u64 = (1 << 53) - 1;
    let dir = tempfile::tempdir().unwrap();
    let server = serve_support::start(dir.path()).await;
    let (status, _) = serve_support::post_eval(&server, "", "(def base 40)").await;
    assert_eq!(status, 200);
    for reported in [u64::MAX, u64::MAX - 255, LARGEST_PATCH_ID] {
        let (mut page, ack) = serve_support::Page::connect(&server, Some(reported)).await;
        assert_eq!(ack.replay, 1, "last_patch_id {reported}");
        let replayed = page.load_next().await;
        assert!(replayed.id < 10, "replayed patch {}", replayed.id);
        page.close().await;
    }
    let (mut page, _) = serve_support::Page::connect(&server, None).await;
    page.load_next().await;
    let request = serve_support::spawn_post_eval(&server, "(def base 41)");
    let live = page.load_next().await;
    assert!(live.id < 10, "the next patch got id {}", live.id);
    assert_eq!(live.results[0].value.as_deref(), Some("#'user/base"));
    assert_eq!(request.await.unwrap().0, 200);
    server.shutdown().await;
}

/// Found by `source_compile`: quotes under each of a few nested
/// syntax-quotes (within the nesting limit) multiply the expansion, and 350
/// bytes of them kept the compiler busy for minutes (and, a little smaller,
/// built forms so deep that compiling them overflowed the stack). A
/// syntax-quote that would build a form deeper than the reader accepts is
/// refused at that form; one that would rebuild too many, at its backquote.
#[test]
fn nested_syntax_quotes_are_refused_before_they_explode() {
    let quotes = format!("`{}", "'".repeat(25));
    let wide = format!("[{}]", "a ".repeat(2000));
    for (text, expected) in [
        (
            format!("(def x {}sym)", quotes.repeat(6)),
            Err("1:158: syntax-quote builds a form nested more than 256 deep"),
        ),
        (
            format!("(def x ```{wide})"),
            Err("1:8: syntax-quote expands more than 32768 forms"),
        ),
        (format!("(def x {}sym)", "`'''''".repeat(2)), Ok(())),
        (format!("(def x ``{wide})"), Ok(())),
    ] {
        let source = SourceFile::new("t.jank", text.as_str());
        let options = PatchOptions {
            patch_id: 1,
            abi: Abi::Extended,
        };
        let outcome = Session::new()
            .compile(&source, &options)
            .map(drop)
            .map_err(|failure| match failure {
                jankwasm::diag::Failure::Diagnostic(diagnostic) => {
                    format!("{}: {}", diagnostic.pos, diagnostic.message)
                }
                jankwasm::diag::Failure::Internal(internal) => panic!("{internal}"),
            });
        assert_eq!(outcome, expected.map_err(str::to_string), "{text}");
    }
}

/// Found by `patch`: a mutated patch whose entry hands the host a pointer
/// into the stub's memory that is no value. What the stub then does depends
/// on what lies there, which changes whenever the stub's data grows: it
/// trapped in `jank_host_pr_str`, and since the number tower landed the
/// entry returns NULL instead. Either way it must be a typed error naming
/// it, never a panic or a value. The file's `jank_var_intern` import was
/// renamed `jank_var_intern_c` when that helper took jank's name.
#[test]
fn a_patch_that_hands_the_host_no_value_is_a_typed_error() {
    let bytes = std::fs::read(repo("fuzz/regressions/patch-traps-in-pr-str.wasm")).unwrap();
    let mut runtime = jank_wasmtime_harness::Runtime::new().unwrap();
    match runtime.load_patch(&bytes, fuzzing::SYMBOLS_EXPORT) {
        Err(jank_wasmtime_harness::HarnessError::Trap {
            during, message, ..
        }) => {
            assert_eq!(during, "printing with jank_host_pr_str");
            assert!(message.contains("unreachable"), "{message}");
        }
        Ok(outcomes) => {
            let last = outcomes.last().expect("the patch has entries");
            match &last.result {
                Err(thrown) => assert!(
                    thrown
                        .printed
                        .contains("a patch function returned NULL without a pending exception"),
                    "{thrown:?}"
                ),
                other => panic!("expected the last entry to fail, got {other:?}"),
            }
        }
        other => panic!("expected a trap or a failed entry, got {other:?}"),
    }
    assert!(fuzzing::check_patch(&bytes).is_ok());
}

/// Found by `source_compile` (a timeout): 22 quotes around a syntax-quote of
/// 55 nested quotes. The constant pool compared every new constant with
/// every registered one by printing both, cubic in the nesting; now one
/// print per constant looks it up.
#[test]
fn deeply_nested_quoted_constants_compile() {
    let bytes = std::fs::read(repo("fuzz/regressions/source-compile-deep-quotes.jank")).unwrap();
    assert!(fuzzing::check_source_compiles(&bytes).is_ok());
}

/// Found by `source` after 623,387 cases: a top-level `(concat [] "cd" *)`
/// is a lazy seq that throws when the registry prints it, as Clojure's REPL
/// does. The check took the uncaught exception for the harness refusing
/// the patch; a form that throws is the program's business.
#[test]
fn a_value_that_throws_as_it_is_printed_is_the_programs_exception() {
    let bytes = std::fs::read(repo("fuzz/regressions/source-throws-while-printing.jank")).unwrap();
    assert!(fuzzing::check_source(&bytes).is_ok());
}
