//! The hub: which pages are connected, what a page that connects must be
//! replayed, and who is waiting for which patch's acknowledgement. Patches
//! enter through `push` (from the compiler thread, in id order) and leave to
//! every page's outgoing queue and to the headless runtime; acks come back
//! through `ack` and reach the evaluation waiting for them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::headless::Headless;
use super::protocol::{HandshakeAck, PatchAck, ServerMessage, SymbolInfo, PROTOCOL_VERSION};

pub type PageId = u64;

/// One compiled patch as the hub keeps it.
#[derive(Debug)]
pub struct PatchRecord {
    pub id: u64,
    pub bytes: Arc<[u8]>,
    pub symbols_export: String,
    pub symbols: Vec<SymbolInfo>,
    /// The `patch` message, serialized once for every page.
    pub json: Arc<str>,
    /// What the patch (re)defines, for replay; none for a REPL evaluation.
    pub replay_keys: Vec<ReplayKey>,
}

/// What a replayed patch stands for: the latest patch per key is replayed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReplayKey {
    /// A var, by qualified name.
    Var(String),
    /// A top-level form of a project file that is evaluated for effect, by
    /// its text: part of the program, so a page that connects runs it too.
    FileForm { file: String, text: String },
}

/// Something that happened to a pushed patch.
#[derive(Debug, Clone, PartialEq)]
pub enum AckEvent {
    Page(PageId, PatchAck),
    PageGone(PageId),
    /// The headless runtime began running the patch: it may have been
    /// starting (compiling the stub takes seconds on a loaded machine) or
    /// busy with the patches before it until then.
    HeadlessStarted,
    /// The headless runtime's thread is gone: the patch will not run there.
    HeadlessGone,
    Headless(PatchAck),
}

/// A pushed patch: the pages it went to and its acknowledgements.
#[derive(Debug)]
pub struct Delivery {
    pub id: u64,
    pub symbols: Vec<SymbolInfo>,
    pub pages: Vec<PageId>,
    /// Whether the headless runtime took the patch (its thread is there).
    pub headless: bool,
    pub acks: UnboundedReceiver<AckEvent>,
}

/// A page's outgoing queue: JSON texts, in order.
pub type PageSender = UnboundedSender<Arc<str>>;

pub struct Hub {
    state: Mutex<HubState>,
    headless: Headless,
}

#[derive(Default)]
struct HubState {
    pages: BTreeMap<PageId, PageSender>,
    next_page: PageId,
    replay: ReplayLog,
    waiters: HashMap<u64, UnboundedSender<AckEvent>>,
}

impl Hub {
    pub fn new(headless: Headless) -> Self {
        Self {
            state: Mutex::new(HubState::default()),
            headless,
        }
    }

    fn state(&self) -> MutexGuard<'_, HubState> {
        // Every critical section leaves the state consistent before anything
        // that could panic, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends `patches`, in order, to the headless runtime and to the pages
    /// of `audience` (every page for a definition), and records them for
    /// replay.
    pub fn push(&self, patches: Vec<PatchRecord>, audience: Audience) -> Vec<Delivery> {
        let mut state = self.state();
        let mut deliveries = Vec::with_capacity(patches.len());
        for patch in patches {
            let patch = Arc::new(patch);
            let (sender, acks) = unbounded_channel();
            state.waiters.insert(patch.id, sender.clone());
            let headless = self.headless.load(patch.clone(), sender);
            let only = match audience {
                Audience::Page(page) if patch.replay_keys.is_empty() => Some(page),
                _ => None,
            };
            let mut pages = Vec::new();
            state.pages.retain(|&page, queue| {
                if only.is_some_and(|only| only != page) {
                    return true;
                }
                let alive = queue.send(patch.json.clone()).is_ok();
                if alive {
                    pages.push(page);
                }
                alive
            });
            state.replay.record(&patch);
            deliveries.push(Delivery {
                id: patch.id,
                symbols: patch.symbols.clone(),
                pages,
                headless,
                acks,
            });
        }
        deliveries
    }

    /// Registers a page that completed its handshake: queues the
    /// `handshake_ack` and the replay (patches after `loaded_through`), then
    /// every later push. Returns the page's id.
    pub fn connect(&self, queue: PageSender, loaded_through: Option<u64>) -> PageId {
        let mut state = self.state();
        let replay = state.replay.patches_after(loaded_through);
        let ack = ServerMessage::HandshakeAck(HandshakeAck {
            server: "jankwasm".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            protocol: PROTOCOL_VERSION,
            replay: replay.len(),
        });
        // A page whose queue is already closed is simply never registered.
        let _ = queue.send(ack.to_json().into());
        for patch in &replay {
            let _ = queue.send(patch.json.clone());
        }
        state.next_page += 1;
        let page = state.next_page;
        state.pages.insert(page, queue);
        page
    }

    pub fn disconnect(&self, page: PageId) {
        let mut state = self.state();
        state.pages.remove(&page);
        state
            .waiters
            .retain(|_, waiter| waiter.send(AckEvent::PageGone(page)).is_ok());
    }

    /// Routes a page's ack to whoever waits for that patch.
    pub fn ack(&self, page: PageId, ack: PatchAck) {
        let mut state = self.state();
        let id = ack.id;
        if let Some(waiter) = state.waiters.get(&id) {
            if waiter.send(AckEvent::Page(page, ack)).is_err() {
                state.waiters.remove(&id);
            }
        }
    }

    /// Stops the headless runtime's run of patch `id`, whose evaluation
    /// nobody waits for any more (or skips it if still queued); false when
    /// it has run already.
    pub fn interrupt_headless(&self, id: u64) -> bool {
        self.headless.interrupt(id)
    }

    /// Stops routing acks of patch `id` (its evaluation has its answer).
    pub fn forget(&self, id: u64) {
        self.state().waiters.remove(&id);
    }

    /// Sends `message` to every connected page.
    pub fn broadcast(&self, message: &ServerMessage) {
        let text: Arc<str> = message.to_json().into();
        self.state()
            .pages
            .retain(|_, queue| queue.send(text.clone()).is_ok());
    }

    pub fn page_count(&self) -> usize {
        self.state().pages.len()
    }

    /// Drops replay entries of `file`'s effect forms that are no longer in it.
    pub fn retain_file_forms(&self, file: &str, texts: &HashSet<String>) {
        self.state().replay.retain(|key| match key {
            ReplayKey::FileForm { file: f, text } => f != file || texts.contains(text),
            ReplayKey::Var(_) => true,
        });
    }

    /// Ids of the patches a page connecting now would be replayed, in order.
    pub fn replay_ids(&self) -> Vec<u64> {
        self.state()
            .replay
            .patches_after(None)
            .iter()
            .map(|patch| patch.id)
            .collect()
    }
}

/// Which pages run a pushed form that defines nothing (a definition goes to
/// every page, so that they all run the same program).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// An editor's, a curl request's or a saved file's forms.
    Everyone,
    /// What a page typed into its own REPL: its effects stay in that page.
    Page(PageId),
}

/// The latest patch per key, with the order in which keys first appeared.
/// A page starting afresh is replayed in that order (so a var is defined
/// before the forms written after it use it) with each key's latest patch.
/// A page catching up after patch N gets what came after N in the order
/// it happened, as if it had stayed connected: ids then only grow, so its
/// `last_patch_id` never claims less than it loaded.
#[derive(Default)]
pub(super) struct ReplayLog {
    next_seq: u64,
    entries: HashMap<ReplayKey, (u64, Arc<PatchRecord>)>,
}

impl ReplayLog {
    pub(super) fn record(&mut self, patch: &Arc<PatchRecord>) {
        for key in &patch.replay_keys {
            match self.entries.get_mut(key) {
                Some(entry) => entry.1 = patch.clone(),
                None => {
                    self.entries
                        .insert(key.clone(), (self.next_seq, patch.clone()));
                    self.next_seq += 1;
                }
            }
        }
    }

    fn retain(&mut self, keep: impl Fn(&ReplayKey) -> bool) {
        self.entries.retain(|key, _| keep(key));
    }

    pub(super) fn patches_after(&self, loaded_through: Option<u64>) -> Vec<Arc<PatchRecord>> {
        let mut entries: Vec<&(u64, Arc<PatchRecord>)> = self.entries.values().collect();
        match loaded_through {
            None => entries.sort_by_key(|(seq, _)| *seq),
            Some(_) => entries.sort_by_key(|(_, patch)| patch.id),
        }
        let mut seen = HashSet::new();
        entries
            .into_iter()
            .map(|(_, patch)| patch)
            .filter(|patch| loaded_through.is_none_or(|through| patch.id > through))
            .filter(|patch| seen.insert(patch.id))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, keys: Vec<ReplayKey>) -> Arc<PatchRecord> {
        Arc::new(PatchRecord {
            id,
            bytes: Arc::from(Vec::new()),
            symbols_export: format!("jank_patch_symbols_{id}"),
            symbols: Vec::new(),
            json: Arc::from(format!("{id}")),
            replay_keys: keys,
        })
    }

    fn var(name: &str) -> ReplayKey {
        ReplayKey::Var(name.to_string())
    }

    fn ids(patches: &[Arc<PatchRecord>]) -> Vec<u64> {
        patches.iter().map(|p| p.id).collect()
    }

    #[test]
    fn replay_keeps_first_seen_order_with_latest_patches() {
        let mut log = ReplayLog::default();
        log.record(&record(1, vec![var("user/a")]));
        log.record(&record(2, vec![var("user/b")]));
        log.record(&record(3, vec![]));
        log.record(&record(4, vec![var("user/a")]));
        assert_eq!(ids(&log.patches_after(None)), [4, 2]);
        assert_eq!(ids(&log.patches_after(Some(2))), [4]);
        assert_eq!(ids(&log.patches_after(Some(4))), Vec::<u64>::new());
    }

    #[test]
    fn catching_up_goes_in_id_order() {
        let mut log = ReplayLog::default();
        log.record(&record(1, vec![var("user/a")]));
        log.record(&record(2, vec![var("user/b")]));
        log.record(&record(3, vec![var("user/c")]));
        log.record(&record(4, vec![var("user/a")]));
        log.record(&record(5, vec![var("user/b")]));
        assert_eq!(ids(&log.patches_after(None)), [4, 5, 3]);
        assert_eq!(ids(&log.patches_after(Some(2))), [3, 4, 5]);
    }

    #[test]
    fn a_patch_under_several_keys_is_replayed_once() {
        let mut log = ReplayLog::default();
        log.record(&record(7, vec![var("user/a"), var("user/b")]));
        assert_eq!(ids(&log.patches_after(None)), [7]);
    }
}
