//! nREPL's wire format: bencode dictionaries back to back on a TCP stream.
//! `Framer` follows the stream's structure byte by byte as it arrives, so it
//! never rescans, never recurses (deep nesting cannot overflow the stack)
//! and never buffers what it will not keep: a string over the string limit
//! is skipped as it streams past, exactly its declared length, and the
//! message around it still completes, so its `id` can be answered. Bytes
//! that are not bencode leave no way to find the next message: that is a
//! `FramingError`, after which the stream cannot be trusted. serde_bencode
//! decodes and encodes the framed bytes.

use std::collections::{BTreeMap, HashMap};

pub use serde_bencode::value::Value;

/// The longest string kept; longer ones are elided.
pub const MAX_STRING_BYTES: usize = 1 << 20;
/// The most bytes of one message kept (elided strings not counted).
pub const MAX_MESSAGE_BYTES: usize = 4 << 20;
/// The longest string skipped rather than refused: past this a peer is not
/// a client gone wrong but a stream not worth following.
pub const MAX_SKIPPED_BYTES: usize = 256 << 20;
/// Deepest list/dict nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Longest integer or length prefix, in digits.
const MAX_DIGITS: usize = 20;
/// Dictionary keys longer than this are not remembered for `Elided::key`.
const MAX_KEY_BYTES: usize = 64;

/// How much of a stream a `Framer` keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_string: usize,
    pub max_message: usize,
    pub max_skipped: usize,
    pub max_depth: usize,
}

impl Limits {
    /// What the server accepts from a client.
    pub const SERVER: Limits = Limits {
        max_string: MAX_STRING_BYTES,
        max_message: MAX_MESSAGE_BYTES,
        max_skipped: MAX_SKIPPED_BYTES,
        max_depth: MAX_DEPTH,
    };

    /// A relay's: every byte kept, so messages pass on unchanged.
    pub const RELAY: Limits = Limits {
        max_string: usize::MAX,
        max_message: 64 << 20,
        max_skipped: 0,
        max_depth: MAX_DEPTH,
    };
}

/// A string the framer skipped instead of keeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elided {
    /// The dictionary key it was the value of, when it was one.
    pub key: Option<String>,
    /// Its declared length.
    pub bytes: usize,
}

/// One whole value from the stream: its bytes, with each elided string
/// replaced by the empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed {
    pub bytes: Vec<u8>,
    pub elided: Vec<Elided>,
}

/// What one piece of a stream gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub messages: Vec<Framed>,
    pub error: Option<FramingError>,
}

/// The stream is not bencode (or exceeds a structural limit) at this point,
/// so no later message boundary can be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason} at byte {offset} of a message")]
pub struct FramingError {
    pub reason: String,
    pub offset: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexeme {
    /// Before a value, or before a container's closing `e`.
    Start,
    Integer {
        digits: usize,
        signed: bool,
    },
    Length {
        value: usize,
        digits: usize,
    },
    /// Inside a string's bytes; `start` is where a kept string begins in
    /// the message.
    Body {
        remaining: usize,
        kept: bool,
        start: usize,
    },
}

#[derive(Debug, Clone)]
struct Container {
    dict: bool,
    items: usize,
    /// The key whose value comes next, in a dictionary.
    key: Option<String>,
}

/// Finds message boundaries in a byte stream fed in pieces of any size.
#[derive(Debug, Clone)]
pub struct Framer {
    limits: Limits,
    lexeme: Lexeme,
    containers: Vec<Container>,
    message: Vec<u8>,
    elided: Vec<Elided>,
    /// Bytes of the current message seen so far, kept or not (so the
    /// byte being read is number `offset`, counting from 1).
    offset: usize,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new(Limits::SERVER)
    }
}

impl Framer {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            lexeme: Lexeme::Start,
            containers: Vec::new(),
            message: Vec::new(),
            elided: Vec::new(),
            offset: 0,
        }
    }

    /// True between messages: nothing of a next one has arrived.
    pub fn at_boundary(&self) -> bool {
        self.offset == 0
    }

    /// Takes the next piece of the stream: the messages it completed, and
    /// the error that stopped it, after which nothing more can be framed.
    pub fn push(&mut self, input: &[u8]) -> Pushed {
        let mut messages = Vec::new();
        let error = self.push_into(input, &mut messages).err();
        Pushed { messages, error }
    }

    fn push_into(
        &mut self,
        mut input: &[u8],
        completed: &mut Vec<Framed>,
    ) -> Result<(), FramingError> {
        while let Some(&byte) = input.first() {
            if let Lexeme::Body {
                remaining,
                kept,
                start,
            } = self.lexeme
            {
                let take = remaining.min(input.len());
                if kept {
                    self.keep(&input[..take])?;
                }
                self.offset += take;
                input = &input[take..];
                if take == remaining {
                    self.lexeme = Lexeme::Start;
                    let key = kept.then(|| &self.message[start..]);
                    let key = key
                        .filter(|key| key.len() <= MAX_KEY_BYTES)
                        .and_then(|key| std::str::from_utf8(key).ok())
                        .map(str::to_string);
                    self.value_done(key, completed);
                } else {
                    self.lexeme = Lexeme::Body {
                        remaining: remaining - take,
                        kept,
                        start,
                    };
                }
                continue;
            }
            input = &input[1..];
            self.offset += 1;
            self.byte(byte, completed)?;
        }
        Ok(())
    }

    fn fail(&self, reason: impl Into<String>) -> FramingError {
        FramingError {
            reason: reason.into(),
            offset: self.offset,
        }
    }

    fn keep(&mut self, bytes: &[u8]) -> Result<(), FramingError> {
        if self.message.len() + bytes.len() > self.limits.max_message {
            return Err(self.fail(format!(
                "a message over the {}-byte limit",
                self.limits.max_message
            )));
        }
        self.message.extend_from_slice(bytes);
        Ok(())
    }

    fn byte(&mut self, byte: u8, completed: &mut Vec<Framed>) -> Result<(), FramingError> {
        let mut ends_value = false;
        match (self.lexeme, byte) {
            (Lexeme::Start, b'i') => {
                self.lexeme = Lexeme::Integer {
                    digits: 0,
                    signed: false,
                }
            }
            (Lexeme::Start, b'0'..=b'9') => {
                self.lexeme = Lexeme::Length {
                    value: usize::from(byte - b'0'),
                    digits: 1,
                }
            }
            (Lexeme::Start, b'l' | b'd') => {
                if self.containers.len() >= self.limits.max_depth {
                    return Err(self.fail(format!("nesting deeper than {}", self.limits.max_depth)));
                }
                self.containers.push(Container {
                    dict: byte == b'd',
                    items: 0,
                    key: None,
                });
            }
            (Lexeme::Start, b'e') => match self.containers.last() {
                Some(container) if !container.dict || container.items % 2 == 0 => {
                    self.containers.pop();
                    ends_value = true;
                }
                Some(_) => return Err(self.fail("a dictionary key without a value")),
                None => return Err(self.fail("an `e` that closes nothing")),
            },
            (Lexeme::Start, other) => {
                return Err(self.fail(format!("unexpected byte {other:#04x}")))
            }
            (
                Lexeme::Integer {
                    digits: 0,
                    signed: false,
                },
                b'-',
            ) => {
                self.lexeme = Lexeme::Integer {
                    digits: 0,
                    signed: true,
                }
            }
            (Lexeme::Integer { digits, signed }, b'0'..=b'9') if digits < MAX_DIGITS => {
                self.lexeme = Lexeme::Integer {
                    digits: digits + 1,
                    signed,
                }
            }
            (Lexeme::Integer { digits, .. }, b'e') if digits > 0 => {
                self.lexeme = Lexeme::Start;
                ends_value = true;
            }
            (Lexeme::Integer { .. }, _) => return Err(self.fail("a malformed integer")),
            (Lexeme::Length { value, digits }, b'0'..=b'9') => {
                let value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(usize::from(byte - b'0')))
                    .filter(|_| digits < MAX_DIGITS)
                    .ok_or_else(|| self.fail("a string length that is too long"))?;
                self.lexeme = Lexeme::Length {
                    value,
                    digits: digits + 1,
                };
            }
            (Lexeme::Length { value, digits }, b':') => {
                return self.string_start(value, digits, completed)
            }
            (Lexeme::Length { .. }, _) => return Err(self.fail("a malformed string length")),
            (Lexeme::Body { .. }, _) => {
                unreachable!("push takes string bodies in bulk")
            }
        }
        self.keep(&[byte])?;
        if ends_value {
            self.value_done(None, completed);
        }
        Ok(())
    }

    /// After a string's `N:`: keep its bytes, or skip them when too long.
    fn string_start(
        &mut self,
        length: usize,
        digits: usize,
        completed: &mut Vec<Framed>,
    ) -> Result<(), FramingError> {
        let kept = length <= self.limits.max_string;
        if kept {
            self.keep(b":")?;
        } else {
            if length > self.limits.max_skipped {
                return Err(self.fail(format!(
                    "a string of {length} bytes, over the {}-byte limit",
                    self.limits.max_skipped
                )));
            }
            // The message keeps an empty string in its place.
            self.message.truncate(self.message.len() - digits);
            self.keep(b"0:")?;
            let key = self
                .containers
                .last()
                .filter(|c| c.dict && c.items % 2 == 1)
                .and_then(|c| c.key.clone());
            self.elided.push(Elided { key, bytes: length });
        }
        if length == 0 {
            self.lexeme = Lexeme::Start;
            self.value_done(Some(String::new()), completed);
        } else {
            self.lexeme = Lexeme::Body {
                remaining: length,
                kept,
                start: self.message.len(),
            };
        }
        Ok(())
    }

    /// A value ended: it is a container's item, or a whole message.
    fn value_done(&mut self, text: Option<String>, completed: &mut Vec<Framed>) {
        match self.containers.last_mut() {
            Some(container) => {
                container.key = (container.dict && container.items % 2 == 0)
                    .then_some(text)
                    .flatten();
                container.items += 1;
            }
            None => {
                completed.push(Framed {
                    bytes: std::mem::take(&mut self.message),
                    elided: std::mem::take(&mut self.elided),
                });
                self.offset = 0;
            }
        }
    }
}

/// A request: a bencode dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(pub HashMap<Vec<u8>, Value>);

impl Message {
    /// Decodes one framed value, which must be a dictionary.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        match serde_bencode::from_bytes::<Value>(bytes) {
            Ok(Value::Dict(entries)) => Ok(Self(entries)),
            Ok(_) => Err("an nREPL message must be a dictionary".into()),
            Err(error) => Err(format!("not bencode: {error}")),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key.as_bytes())
    }

    /// A string field (invalid UTF-8 replaced).
    pub fn str(&self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }

    /// A string field that must be UTF-8 as sent (source code: a replaced
    /// byte would compile into something the user never wrote).
    pub fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.get(key) {
            Some(Value::Bytes(bytes)) => String::from_utf8(bytes.clone())
                .map(Some)
                .map_err(|error| format!("the `{key}` field is not UTF-8: {error}")),
            _ => Ok(None),
        }
    }

    /// An integer field; clients send line and column as integers or digits.
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Int(value) => Some(*value),
            Value::Bytes(bytes) => std::str::from_utf8(bytes).ok()?.trim().parse().ok(),
            _ => None,
        }
    }
}

/// A response being built: keys sorted, as bencode wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response(pub BTreeMap<String, Value>);

impl Response {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_string(), value);
        self
    }

    pub fn str(self, key: &str, value: impl AsRef<str>) -> Self {
        self.set(key, string(value))
    }

    pub fn status(self, statuses: &[&str]) -> Self {
        self.set("status", strings(statuses))
    }

    pub fn encode(&self) -> Vec<u8> {
        let dict = Value::Dict(
            self.0
                .iter()
                .map(|(k, v)| (k.as_bytes().to_vec(), v.clone()))
                .collect(),
        );
        // Encoding a Value cannot fail: every key is a byte string.
        serde_bencode::to_bytes(&dict).unwrap_or_default()
    }
}

pub fn string(text: impl AsRef<str>) -> Value {
    Value::Bytes(text.as_ref().as_bytes().to_vec())
}

pub fn strings<S: AsRef<str>>(items: &[S]) -> Value {
    Value::List(items.iter().map(string).collect())
}

pub fn dict<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Value::Dict(
        entries
            .into_iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_all(limits: Limits, stream: &[u8]) -> Result<Vec<Framed>, FramingError> {
        let pushed = Framer::new(limits).push(stream);
        match pushed.error {
            Some(error) => Err(error),
            None => Ok(pushed.messages),
        }
    }

    fn frame_more(framer: &mut Framer, piece: &[u8]) -> Vec<Framed> {
        let pushed = framer.push(piece);
        assert_eq!(pushed.error, None);
        pushed.messages
    }

    #[test]
    fn messages_before_an_error_in_the_same_piece_are_kept() {
        let pushed = Framer::default().push(b"d2:op8:describeexyz");
        assert_eq!(pushed.messages.len(), 1);
        assert_eq!(pushed.error.unwrap().reason, "unexpected byte 0x78");
    }

    #[test]
    fn frames_back_to_back_messages_fed_in_any_pieces() {
        let stream = b"d2:op5:clonee" as &[u8];
        let mut stream = stream.to_vec();
        stream.extend_from_slice(b"d4:code7:(+ 1 2)2:idi42e2:op4:evale");
        for piece in 1..stream.len() {
            let mut framer = Framer::default();
            let mut framed = Vec::new();
            for chunk in stream.chunks(piece) {
                framed.extend(frame_more(&mut framer, chunk));
            }
            assert!(framer.at_boundary());
            let bytes: Vec<&[u8]> = framed.iter().map(|f| f.bytes.as_slice()).collect();
            assert_eq!(bytes, [&stream[..13], &stream[13..]], "pieces of {piece}");
        }
        let eval = Message::decode(&frame_all(Limits::SERVER, &stream).unwrap()[1].bytes).unwrap();
        assert_eq!(eval.str("code").as_deref(), Some("(+ 1 2)"));
        assert_eq!(eval.int("id"), Some(42));
    }

    #[test]
    fn a_partial_message_completes_nothing() {
        let message = b"d4:code7:(+ 1 2)2:idi42e2:op4:evale";
        for cut in 0..message.len() {
            let mut framer = Framer::default();
            assert_eq!(frame_more(&mut framer, &message[..cut]), [], "cut at {cut}");
            assert_eq!(framer.at_boundary(), cut == 0);
        }
    }

    #[test]
    fn an_oversized_string_is_skipped_by_its_declared_length_and_named() {
        let limits = Limits {
            max_string: 8,
            ..Limits::SERVER
        };
        let mut stream = b"d4:code20:".to_vec();
        stream.extend_from_slice(&[b'x'; 20]);
        stream.extend_from_slice(b"2:id2:t72:op4:evale");
        stream.extend_from_slice(b"d2:id2:t82:op8:describee");
        let framed = frame_all(limits, &stream).unwrap();
        assert_eq!(framed.len(), 2);
        assert_eq!(framed[0].bytes, b"d4:code0:2:id2:t72:op4:evale");
        assert_eq!(
            framed[0].elided,
            [Elided {
                key: Some("code".into()),
                bytes: 20
            }]
        );
        let first = Message::decode(&framed[0].bytes).unwrap();
        assert_eq!(first.str("id").as_deref(), Some("t7"));
        assert!(framed[1].elided.is_empty());
        assert_eq!(
            Message::decode(&framed[1].bytes)
                .unwrap()
                .str("op")
                .as_deref(),
            Some("describe")
        );
    }

    #[test]
    fn non_bencode_and_structural_excess_are_framing_errors() {
        let error = |stream: &[u8]| frame_all(Limits::SERVER, stream).unwrap_err();
        assert_eq!(error(b"x").reason, "unexpected byte 0x78");
        assert_eq!(error(b"e").reason, "an `e` that closes nothing");
        assert_eq!(error(b"d2:ope").reason, "a dictionary key without a value");
        assert_eq!(error(b"i12x4e").offset, 4);
        assert_eq!(error(b"ie").reason, "a malformed integer");
        assert_eq!(error(b"i--1e").reason, "a malformed integer");
        assert_eq!(error(b"1x").reason, "a malformed string length");
        assert_eq!(
            error(b"999999999999999999999:").reason,
            "a string length that is too long"
        );
        assert_eq!(error(&[b'l'; 1000]).reason, "nesting deeper than 64");
        assert!(error(b"9999999999:").reason.contains("over the"));
        let relay_cap = Limits {
            max_message: 16,
            ..Limits::RELAY
        };
        let long = b"d4:code20:xxxxxxxxxxxxxxxxxxxxe";
        assert!(frame_all(relay_cap, long)
            .unwrap_err()
            .reason
            .contains("16-byte limit"));
    }

    #[test]
    fn a_relay_keeps_every_byte() {
        let message = b"d4:code5:(+ 1)2:idli1ei2eee";
        let framed = frame_all(Limits::RELAY, message).unwrap();
        assert_eq!(framed[0].bytes, message);
    }

    #[test]
    fn non_dictionaries_are_refused_and_code_must_be_utf8() {
        assert!(Message::decode(b"li1ee").is_err());
        let message = Message::decode(b"d4:code2:\xff\xfee").unwrap();
        assert!(message.text("code").unwrap_err().contains("not UTF-8"));
        assert_eq!(message.text("missing"), Ok(None));
    }

    #[test]
    fn responses_round_trip() {
        let response = Response::new()
            .str("value", "42")
            .status(&["done"])
            .encode();
        assert_eq!(response, b"d6:statusl4:donee5:value2:42e");
    }
}
