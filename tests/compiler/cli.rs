//! The `jankwasm` binary as a user runs it.

use pretty_assertions::assert_eq;
use std::path::PathBuf;
use std::process::{Command, Output};

fn jankwasm(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jankwasm-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn emit_writes_the_patch_and_prints_one_line() {
    let dir = scratch("emit");
    std::fs::write(
        dir.join("eita.jank"),
        include_str!("../../examples/eita.jank"),
    )
    .unwrap();
    let out = jankwasm(
        &["emit", "--patch-id", "42", "-o", "ggg.wasm", "eita.jank"],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("ggg.wasm: jank_patch_symbols_42 (2 symbols: eita/ggg eita), "),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with(" µs"), "{stdout}");
    let bytes = std::fs::read(dir.join("ggg.wasm")).unwrap();
    assert_eq!(&bytes[..4], b"\0asm");
    assert_eq!(bytes[8], 0, "dylink.0 is the first section");
}

#[test]
fn emit_cpp_writes_the_cpp_emission() {
    let dir = scratch("cpp");
    std::fs::write(dir.join("f.jank"), "(defn f [x] (+ x 1))").unwrap();
    let out = jankwasm(
        &["emit", "--patch-id", "5", "--cpp", "f.cpp", "f.jank"],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cpp = std::fs::read_to_string(dir.join("f.cpp")).unwrap();
    assert!(cpp.contains("#include \"jank_patch_abi.h\""));
    assert!(cpp.contains("patch_symbol *jank_patch_symbols_5(int *count)"));
    assert!(
        cpp.contains("{\"user/f\", \"1\", (void *)jank_fn_0}"),
        "{cpp}"
    );
}

#[test]
fn a_compile_error_is_rendered_with_a_caret_and_nothing_is_written() {
    let dir = scratch("error");
    std::fs::write(dir.join("bad.jank"), "(defn f [x]\n  (+ x y))\n").unwrap();
    let out = jankwasm(
        &["emit", "--patch-id", "1", "-o", "bad.wasm", "bad.jank"],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "bad.jank:2:8: error: unable to resolve symbol: y in this context\n2 |   (+ x y))\n  |        ^\n"
    );
    assert!(!dir.join("bad.wasm").exists());
}

#[test]
fn emit_reads_stdin_and_honours_ns() {
    let dir = scratch("stdin");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
        .args([
            "emit",
            "--patch-id",
            "3",
            "--ns",
            "app.core",
            "-o",
            "p.wasm",
            "-",
        ])
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"(defn g [] :ok)")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("(1 symbols: app.core/g)"));
}

// `jankwasm run` loads the patch under wasmtime: feature `harness`.
#[cfg(feature = "harness")]
#[test]
fn run_prints_what_the_program_prints() {
    let dir = scratch("run");
    let out = jankwasm(
        &[
            "run",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/eita.jank"),
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[0].starts_with(":FROM_CLJ_..._I_MEAN_JANK_IN_WASM!! 60 #{"),
        "{stdout}"
    );
    assert_eq!(lines[1], "(ggg 10) => 58");
}

// Macros run in the compile-time runtime: feature `harness`.
#[cfg(feature = "harness")]
#[test]
fn a_macro_that_never_ends_is_an_error_at_its_call_once_its_budget_is_spent() {
    let dir = scratch("endless-macro");
    std::fs::write(
        dir.join("m.jank"),
        "(defmacro forever [] (loop [n 0] (recur (inc n))))\n(defn f [] (forever))\n",
    )
    .unwrap();
    let out = jankwasm(&["emit", "--patch-id", "1", "-o", "m.wasm", "m.jank"], &dir);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(
            "m.jank:2:12: error: macro user/forever failed to expand: it did more than \
             its budget of 20 billion wasm instructions' work (it may never end)"
        ),
        "{stderr}"
    );
}

// `jankwasm run` loads the patch under wasmtime: feature `harness`.
#[cfg(feature = "harness")]
#[test]
fn run_reports_an_uncaught_exception_and_fails() {
    let dir = scratch("throw");
    std::fs::write(
        dir.join("t.jank"),
        "(println :before)\n(throw (ex-info \"boom\" {:code 7}))\n(println :after)\n",
    )
    .unwrap();
    let out = jankwasm(&["run", "t.jank"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), ":before\n");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("boom"), "{stderr}");
}

// `jankwasm run` loads the patch under wasmtime: feature `harness`.
#[cfg(feature = "harness")]
#[test]
fn run_keeps_compiled_patches_for_the_next_run_and_prints_the_same() {
    let dir = scratch("patch-cache");
    let cache = dir.join("cache");
    std::fs::write(
        dir.join("m.jank"),
        "(defmacro twice [x] `(* 2 ~x))\n(defn f [n] (twice (inc n)))\n(println (f 20) (twice 4))\n",
    )
    .unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_jankwasm"))
            .args(["run", "m.jank"])
            .current_dir(&dir)
            .env("JANKWASM_CACHE_DIR", &cache)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let kept = || {
        let mut files: Vec<(PathBuf, std::time::SystemTime)> =
            std::fs::read_dir(cache.join("patches"))
                .unwrap()
                .map(|entry| {
                    let entry = entry.unwrap();
                    (entry.path(), entry.metadata().unwrap().modified().unwrap())
                })
                .collect();
        files.sort();
        files
    };
    assert_eq!(run(), "42 8\n");
    // The compile-time runtime's form patches and the program's patch.
    let first = kept();
    assert!(first.len() >= 3, "{first:?}");
    assert_eq!(run(), "42 8\n");
    assert_eq!(kept(), first, "the second run wrote no patch again");
}
