//! The harness's side of the stub's `host.effect` import, through which
//! `jank.browser` reaches the page (wire format in jank_patch_abi.h). A
//! runtime is headless by default and refuses every effect, saying it has no
//! browser; [`Runtime::with_browser_double`](crate::Runtime) gives it a
//! [`BrowserDouble`] instead: timers, animation frames, fetch, localStorage,
//! the title, the log and the location hash, all in memory, with callbacks
//! run when a test asks ([`Runtime::run_effects`](crate::Runtime)).

use std::collections::{BTreeMap, HashMap};

use crate::runtime::Arg;

/// Tags of the stub's compact encoding (runtime-abi/stub/src/encode.rs)
/// that a request may hold.
mod tag {
    pub const NIL: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    pub const NUMBER: u8 = 3;
    pub const STRING: u8 = 4;
    pub const KEYWORD: u8 = 5;
    pub const VECTOR: u8 = 8;
    pub const FN: u8 = 13;
}

/// One argument of an effect request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    Nil,
    Bool(bool),
    Number(f64),
    Str(String),
    Keyword(String),
    /// A jank fn's address, retained for the host once the request is accepted.
    Fn(u32),
}

/// `[op & args]` from the request bytes, or why they cannot be read.
pub(crate) fn decode_request(bytes: &[u8]) -> Result<Vec<Item>, String> {
    let mut reader = Reader { bytes, at: 0 };
    if reader.byte()? != tag::VECTOR {
        return Err("an effect request is not a vector".into());
    }
    let count = reader.u32()?;
    let items = (0..count)
        .map(|_| reader.item())
        .collect::<Result<Vec<_>, _>>()?;
    if reader.at != bytes.len() {
        return Err("trailing bytes after an effect request".into());
    }
    Ok(items)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, count: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len())
            .ok_or("a truncated effect request")?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn text(&mut self) -> Result<String, String> {
        let length = self.u32()? as usize;
        String::from_utf8(self.take(length)?.to_vec())
            .map_err(|_| "an effect request's text is not UTF-8".to_string())
    }

    fn item(&mut self) -> Result<Item, String> {
        Ok(match self.byte()? {
            tag::NIL => Item::Nil,
            tag::FALSE => Item::Bool(false),
            tag::TRUE => Item::Bool(true),
            tag::NUMBER => {
                let bytes = self.take(8)?;
                let mut array = [0u8; 8];
                array.copy_from_slice(bytes);
                Item::Number(f64::from_le_bytes(array))
            }
            tag::STRING => Item::Str(self.text()?),
            tag::KEYWORD => Item::Keyword(self.text()?),
            tag::FN => Item::Fn(self.u32()?),
            other => {
                return Err(format!(
                    "an effect's arguments are nil, booleans, numbers, strings, keywords and fns (tag {other})"
                ))
            }
        })
    }
}

/// A reply to the stub: one scalar in the compact encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    Nil,
    Number(f64),
    Str(String),
}

impl Reply {
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            Reply::Nil => vec![tag::NIL],
            Reply::Number(n) => {
                let mut out = vec![tag::NUMBER];
                out.extend_from_slice(&n.to_le_bytes());
                out
            }
            Reply::Str(s) => {
                let mut out = vec![tag::STRING];
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
                out
            }
        }
    }
}

/// What a fetch of a URL gets from a [`BrowserDouble`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchResponse {
    /// An HTTP response (any status).
    Response { status: u16, body: String },
    /// A network failure, with the message the callback gets.
    Failed(String),
}

/// A callback the double will run: the jank fn's address, its arguments,
/// and whether running it ends the host's hold on it (a timer's does; the
/// hash listener's does not).
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub due: u64,
    pub order: u64,
    pub id: Option<i64>,
    pub callback: u32,
    pub args: Vec<Arg>,
    pub once: bool,
}

/// An in-memory browser for tests. Time stands still until
/// [`Runtime::run_effects`](crate::Runtime) runs what is pending, in the
/// order a browser would (by due time, then by registration).
#[derive(Debug, Default)]
pub struct BrowserDouble {
    /// Each `log` call's text, in order.
    pub log: Vec<String>,
    pub title: String,
    /// `location.hash`, `""` or `"#..."`.
    pub hash: String,
    pub local_storage: BTreeMap<String, String>,
    /// What `fetch` gets, by URL; any other URL fails as a network error.
    pub fetch_responses: HashMap<String, FetchResponse>,
    /// The time in ms that `run_effects` has reached.
    pub now: u64,
    pub(crate) pending: Vec<Pending>,
    pub(crate) hash_listener: Option<u32>,
    next: u64,
}

/// An animation frame is due one 60 fps frame after it was asked for.
const FRAME_MS: u64 = 16;

/// What the host does with the callbacks an effect let go of: release them.
pub(crate) type Released = Vec<u32>;

impl BrowserDouble {
    fn queue(
        &mut self,
        delay: u64,
        callback: u32,
        args: Vec<Arg>,
        once: bool,
        with_id: bool,
    ) -> i64 {
        self.next += 1;
        let id = self.next as i64;
        self.pending.push(Pending {
            due: self.now + delay,
            order: self.next,
            id: with_id.then_some(id),
            callback,
            args,
            once,
        });
        id
    }

    fn cancel(&mut self, id: f64, released: &mut Released) {
        self.pending.retain(|pending| {
            let matches = pending.id.is_some_and(|own| own as f64 == id);
            if matches {
                released.push(pending.callback);
            }
            !matches
        });
    }

    /// Sets the hash; a change queues the listener's call with the new and
    /// the old hash, as a `hashchange` event would.
    pub fn set_hash(&mut self, hash: &str) {
        let hash = if hash.is_empty() || hash.starts_with('#') {
            hash.to_string()
        } else {
            format!("#{hash}")
        };
        if hash == self.hash {
            return;
        }
        let old = std::mem::replace(&mut self.hash, hash.clone());
        if let Some(listener) = self.hash_listener {
            self.queue(
                0,
                listener,
                vec![Arg::Str(hash), Arg::Str(old)],
                false,
                false,
            );
        }
    }

    /// Carries out `[op & args]`; fns the request passed and the double
    /// keeps are retained by the stub, the others go to `released`.
    pub(crate) fn effect(
        &mut self,
        request: &[Item],
        released: &mut Released,
    ) -> Result<Reply, String> {
        let (op, args) = split_op(request)?;
        let kept: Vec<u32> = args
            .iter()
            .filter_map(|item| match item {
                Item::Fn(address) => Some(*address),
                _ => None,
            })
            .collect();
        let reply = match (op, args) {
            ("set-timeout", [Item::Fn(f), Item::Number(ms)]) => {
                let delay = if *ms > 0.0 { *ms as u64 } else { 0 };
                return Ok(Reply::Number(
                    self.queue(delay, *f, vec![], true, true) as f64
                ));
            }
            ("request-animation-frame", [Item::Fn(f)]) => {
                let at = (self.now + FRAME_MS) as f64;
                return Ok(Reply::Number(
                    self.queue(FRAME_MS, *f, vec![Arg::Double(at)], true, true) as f64,
                ));
            }
            ("clear-timeout" | "cancel-animation-frame", [Item::Number(id)]) => {
                self.cancel(*id, released);
                Reply::Nil
            }
            ("clear-timeout" | "cancel-animation-frame", [Item::Nil]) => Reply::Nil,
            ("fetch", [Item::Str(url), Item::Fn(f)]) => {
                let args = match self.fetch_responses.get(url) {
                    Some(FetchResponse::Response { status, body }) => {
                        vec![
                            Arg::Int(i64::from(*status)),
                            Arg::Str(body.clone()),
                            Arg::Nil,
                        ]
                    }
                    Some(FetchResponse::Failed(message)) => {
                        vec![Arg::Nil, Arg::Nil, Arg::Str(message.clone())]
                    }
                    None => vec![
                        Arg::Nil,
                        Arg::Nil,
                        Arg::Str(format!("Failed to fetch {url}")),
                    ],
                };
                self.queue(0, *f, args, true, false);
                return Ok(Reply::Nil);
            }
            ("local-storage-get", [Item::Str(key)]) => match self.local_storage.get(key) {
                Some(value) => Reply::Str(value.clone()),
                None => Reply::Nil,
            },
            ("local-storage-set", [Item::Str(key), Item::Str(value)]) => {
                self.local_storage.insert(key.clone(), value.clone());
                Reply::Nil
            }
            ("local-storage-remove", [Item::Str(key)]) => {
                self.local_storage.remove(key);
                Reply::Nil
            }
            ("log", [Item::Str(text)]) => {
                self.log.push(text.clone());
                Reply::Nil
            }
            ("set-title", [Item::Str(title)]) => {
                self.title = title.clone();
                Reply::Nil
            }
            ("location-hash", []) => Reply::Str(self.hash.clone()),
            ("set-location-hash", [Item::Str(hash)]) => {
                self.set_hash(hash);
                Reply::Nil
            }
            ("on-hash-change", [listener @ (Item::Fn(_) | Item::Nil)]) => {
                released.extend(self.hash_listener.take());
                if let Item::Fn(f) = listener {
                    self.hash_listener = Some(*f);
                }
                return Ok(Reply::Nil);
            }
            _ => {
                return Err(format!(
                    "jank.browser: no effect {op} taking {}",
                    describe(args)
                ))
            }
        };
        // The effects that returned here keep no callback.
        released.extend(kept);
        Ok(reply)
    }
}

fn split_op(request: &[Item]) -> Result<(&str, &[Item]), String> {
    match request.split_first() {
        Some((Item::Keyword(op), args)) => Ok((op, args)),
        _ => Err("an effect request starts with its op, a keyword".into()),
    }
}

/// The kinds of `args`, for a refusal's message.
fn describe(args: &[Item]) -> String {
    let kinds: Vec<&str> = args
        .iter()
        .map(|item| match item {
            Item::Nil => "nil",
            Item::Bool(_) => "a boolean",
            Item::Number(_) => "a number",
            Item::Str(_) => "a string",
            Item::Keyword(_) => "a keyword",
            Item::Fn(_) => "a fn",
        })
        .collect();
    if kinds.is_empty() {
        "no arguments".into()
    } else {
        kinds.join(", ")
    }
}

/// The refusal of a runtime with no browser.
pub(crate) fn headless_refusal(request: &[Item]) -> String {
    match split_op(request) {
        Ok((op, _)) => format!(
            "jank.browser's :{op} needs a browser page; this runtime is headless (open the app's page to run it)"
        ),
        Err(message) => message,
    }
}
