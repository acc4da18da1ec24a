//! nREPL's wire format: bencode dictionaries back to back on a TCP stream.
//! `frame` finds where the next message ends (or that it has not all
//! arrived, or is not bencode) without recursion, so a deeply nested message
//! cannot overflow the stack and an oversized one is refused before it is
//! buffered; serde_bencode decodes and encodes the framed bytes.

use std::collections::{BTreeMap, HashMap};

pub use serde_bencode::value::Value;

/// The largest message accepted.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// Deepest list/dict nesting accepted.
pub const MAX_DEPTH: usize = 64;
/// Longest integer or length prefix, in digits.
const MAX_DIGITS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole value occupies this many bytes at the start of the buffer.
    Complete(usize),
    Incomplete,
    Malformed(String),
}

/// Where the first bencode value in `buf` ends.
pub fn frame(buf: &[u8]) -> Frame {
    let mut at = 0;
    let mut depth = 0usize;
    loop {
        let Some(&byte) = buf.get(at) else {
            return Frame::Incomplete;
        };
        match byte {
            b'i' => {
                let digits = &buf[at + 1..];
                let Some(end) = digits.iter().position(|&b| b == b'e') else {
                    return if digits.len() > MAX_DIGITS {
                        Frame::Malformed(format!("integer at byte {at} is too long"))
                    } else {
                        Frame::Incomplete
                    };
                };
                let text = &digits[..end];
                let unsigned = text.strip_prefix(b"-").unwrap_or(text);
                if unsigned.is_empty()
                    || end > MAX_DIGITS
                    || !unsigned.iter().all(u8::is_ascii_digit)
                {
                    return Frame::Malformed(format!("bad integer at byte {at}"));
                }
                at += end + 2;
            }
            b'0'..=b'9' => {
                let rest = &buf[at..];
                let Some(colon) = rest.iter().position(|&b| b == b':') else {
                    return if rest.iter().take(MAX_DIGITS + 1).all(u8::is_ascii_digit)
                        && rest.len() <= MAX_DIGITS
                    {
                        Frame::Incomplete
                    } else {
                        Frame::Malformed(format!("bad string length at byte {at}"))
                    };
                };
                let length = std::str::from_utf8(&rest[..colon])
                    .ok()
                    .filter(|digits| digits.len() <= MAX_DIGITS)
                    .and_then(|digits| digits.parse::<usize>().ok());
                let Some(length) = length else {
                    return Frame::Malformed(format!("bad string length at byte {at}"));
                };
                if length > MAX_MESSAGE_BYTES {
                    return Frame::Malformed(format!(
                        "a string of {length} bytes is over the {MAX_MESSAGE_BYTES}-byte limit"
                    ));
                }
                at += colon + 1 + length;
                if at > buf.len() {
                    return Frame::Incomplete;
                }
            }
            b'l' | b'd' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Frame::Malformed(format!("nested deeper than {MAX_DEPTH}"));
                }
                at += 1;
                continue;
            }
            b'e' if depth > 0 => {
                depth -= 1;
                at += 1;
            }
            other => return Frame::Malformed(format!("unexpected byte {other:#04x} at byte {at}")),
        }
        if depth == 0 {
            return Frame::Complete(at);
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

    #[test]
    fn frames_back_to_back_messages() {
        let two = b"d2:op5:clonee" as &[u8];
        let mut buf = two.to_vec();
        buf.extend_from_slice(b"d2:op8:describe");
        assert_eq!(frame(&buf), Frame::Complete(two.len()));
        assert_eq!(frame(&buf[two.len()..]), Frame::Incomplete);
        buf.push(b'e');
        assert_eq!(
            frame(&buf[two.len()..]),
            Frame::Complete(buf.len() - two.len())
        );
    }

    #[test]
    fn partial_pieces_are_incomplete() {
        let message = b"d4:code7:(+ 1 2)2:idi42e2:op4:evale";
        for cut in 0..message.len() {
            assert_eq!(frame(&message[..cut]), Frame::Incomplete, "cut at {cut}");
        }
        assert_eq!(frame(message), Frame::Complete(message.len()));
        let decoded = Message::decode(message).unwrap();
        assert_eq!(decoded.str("code").as_deref(), Some("(+ 1 2)"));
        assert_eq!(decoded.int("id"), Some(42));
    }

    #[test]
    fn garbage_deep_nesting_and_huge_strings_are_malformed() {
        assert!(matches!(frame(b"x"), Frame::Malformed(_)));
        assert!(matches!(frame(b"e"), Frame::Malformed(_)));
        assert!(matches!(frame(b"i12x4e"), Frame::Malformed(_)));
        assert!(matches!(frame(&[b'l'; 1000]), Frame::Malformed(_)));
        assert!(matches!(frame(b"99999999999:"), Frame::Malformed(_)));
    }

    #[test]
    fn non_dictionaries_are_refused() {
        assert!(Message::decode(b"li1ee").is_err());
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
