//! A bounded soak of `jankwasm serve` (the binary): 20 pages, 3 nREPL
//! clients editing at once, file saves, bad edits, pages dropping and coming
//! back, and a server restart on the same ports. No page loses or repeats a
//! patch, every page ends with the same definitions, and the server's memory
//! stays flat. `cargo bench --bench soak` runs a longer one.

use crate::serve_support;

use pretty_assertions::assert_eq;
use serve_support::soak::{self, SoakPlan};

#[tokio::test(flavor = "multi_thread")]
async fn pages_converge_through_edits_drops_and_a_restart() {
    let plan = SoakPlan {
        pages: 20,
        nrepl_clients: 3,
        edits_per_client: 8,
        file_saves: 4,
        reconnect_every: 5,
    };
    let report = soak::run(plan).await;

    assert_eq!(report.page_values.len(), plan.pages);
    for (page, values) in report.page_values.iter().enumerate() {
        assert_eq!(values, &report.expected_values, "page {page}");
    }
    // A fresh page's replay is in program order, not id order; what a page
    // must never do is load a patch twice.
    for (page, ids) in report.loaded_ids.iter().enumerate() {
        let unique: std::collections::HashSet<&u64> = ids.iter().collect();
        assert_eq!(
            unique.len(),
            ids.len(),
            "page {page} loaded a patch twice: {ids:?}"
        );
    }
    assert!(
        report.failed_loads.iter().all(Vec::is_empty),
        "{:?}",
        report.failed_loads
    );
    let edits = 2 * (plan.nrepl_clients * plan.edits_per_client + plan.file_saves);
    assert_eq!(report.edits_applied, edits);
    assert_eq!(
        report.bad_edits_refused,
        2 * plan.nrepl_clients * plan.edits_per_client / 2
    );
    // Every page came back after the restart; a third also dropped on purpose.
    assert!(
        report.reconnects > plan.pages,
        "reconnects: {}",
        report.reconnects
    );
    // The second half of the edits costs the server no more than noise.
    assert!(
        report.rss_kb_before_restart <= report.rss_kb_midway + report.rss_kb_midway / 5 + 16_384,
        "server memory grew from {} kB to {} kB",
        report.rss_kb_midway,
        report.rss_kb_before_restart
    );
}
