//! The long soak of `jankwasm serve` (the shared run in
//! tests/serve_support/soak.rs, longer than the bounded test): pages, nREPL
//! clients editing at once, file saves, bad edits, pages dropping and coming
//! back, and a server restart. Prints the edits applied, how many pages
//! converged on the same definitions, reconnects, and the server's memory.
//! Run: `cargo bench --bench soak` (SOAK_EDITS=N edits per client and
//! round, SOAK_PAGES=N pages).

#[path = "../tests/serve_support/mod.rs"]
mod serve_support;

use std::time::Instant;

use serve_support::soak::{self, SoakPlan};

fn from_env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let plan = SoakPlan {
        pages: from_env("SOAK_PAGES", 20),
        nrepl_clients: 3,
        edits_per_client: from_env("SOAK_EDITS", 200),
        file_saves: from_env("SOAK_EDITS", 200) / 10,
        reconnect_every: 25,
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let started = Instant::now();
    let report = runtime.block_on(soak::run(plan));
    let elapsed = started.elapsed();
    let converged = report
        .page_values
        .iter()
        .filter(|values| **values == report.expected_values)
        .count();
    let loads: usize = report.loaded_ids.iter().map(Vec::len).sum();
    let duplicates: usize = report
        .loaded_ids
        .iter()
        .map(|ids| ids.len() - ids.iter().collect::<std::collections::HashSet<_>>().len())
        .sum();
    let failed: usize = report.failed_loads.iter().map(Vec::len).sum();
    println!("soak: {plan:?}");
    println!(
        "  {} edits applied, {} bad edits refused, in {:.1} s",
        report.edits_applied,
        report.bad_edits_refused,
        elapsed.as_secs_f64()
    );
    println!(
        "  pages converged: {converged}/{}; patch loads {loads}, duplicated {duplicates}, failed {failed}; reconnects {}",
        plan.pages, report.reconnects
    );
    println!(
        "  server RSS: {} kB midway, {} kB before the restart; peak {} kB",
        report.rss_kb_midway, report.rss_kb_before_restart, report.peak_rss_kb
    );
}
