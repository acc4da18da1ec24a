//! Read errors: one variant per way source text can fail to read, each with
//! the message a user sees, and the position it points at.

use crate::source::Pos;
use std::fmt;

/// A failure to read, at the character or form start that caused it (for an
/// unterminated collection: its opening delimiter).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind}")]
pub struct ReadError {
    pub pos: Pos,
    pub kind: ReadErrorKind,
}

impl ReadError {
    pub fn new(pos: Pos, kind: ReadErrorKind) -> Self {
        Self { pos, kind }
    }
}

/// The delimited constructs an error can be about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionKind {
    List,
    Vector,
    Map,
    Set,
    AnonFn,
    ReaderConditional,
    NamespacedMap,
}

impl CollectionKind {
    pub fn closing_delimiter(self) -> char {
        match self {
            Self::List | Self::AnonFn | Self::ReaderConditional => ')',
            Self::Vector => ']',
            Self::Map | Self::Set | Self::NamespacedMap => '}',
        }
    }
}

impl fmt::Display for CollectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::List => "list",
            Self::Vector => "vector",
            Self::Map => "map",
            Self::Set => "set",
            Self::AnonFn => "anonymous function #()",
            Self::ReaderConditional => "reader conditional",
            Self::NamespacedMap => "namespaced map",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadErrorKind {
    #[error("unterminated {0}: end of input before its closing `{closing}`", closing = .0.closing_delimiter())]
    Unterminated(CollectionKind),
    #[error("unterminated string: end of input before the closing `\"`")]
    UnterminatedString,
    #[error("unterminated regex: end of input before the closing `\"`")]
    UnterminatedRegex,
    #[error("unterminated character literal: end of input after `\\`")]
    UnterminatedChar,
    #[error("unmatched delimiter `{0}`")]
    UnmatchedDelimiter(char),
    #[error("unmatched delimiter `{found}`: expected `{}` to close the {kind} opened at {open}", .kind.closing_delimiter())]
    MismatchedDelimiter {
        found: char,
        kind: CollectionKind,
        open: Pos,
    },
    #[error("end of input after `{0}`: expected a form")]
    EofAfter(&'static str),
    #[error("expected a form after `{prefix}`, found `{found}`")]
    MissingFormAfter { prefix: &'static str, found: char },
    #[error("unknown dispatch macro `#{0}`")]
    UnknownDispatch(char),
    #[error("tagged literals are not supported: `#{0}` (jankwasm reads `#uuid` and `#inst` only)")]
    TaggedLiteral(String),
    #[error("`#inst` needs an RFC 3339 timestamp string: {0}")]
    MalformedInst(String),
    #[error("`#uuid` needs a string of 8-4-4-4-12 hex digits, found {0}")]
    MalformedUuid(String),
    #[error("unknown symbolic value `##{0}`: expected ##Inf, ##-Inf or ##NaN")]
    UnknownSymbolicValue(String),
    #[error("invalid token `{0}`")]
    InvalidToken(String),
    #[error("invalid number `{0}`")]
    InvalidNumber(String),
    #[error("invalid radix {radix} in `{token}`: the radix must be between 2 and 36")]
    InvalidRadix { radix: u32, token: String },
    #[error("ratio `{0}` divides by zero")]
    RatioDivideByZero(String),
    #[error("ratio `{0}` does not fit a 64-bit numerator and denominator")]
    RatioOutOfRange(String),
    #[error("unsupported escape `\\{0}` in string")]
    InvalidStringEscape(char),
    #[error("invalid unicode escape `{0}`: expected `\\u` and four hex digits")]
    InvalidUnicodeEscape(String),
    #[error("unicode escape `{0}` is a lone UTF-16 surrogate")]
    LoneSurrogate(String),
    #[error("octal escape `{0}` is out of range: the largest is 377")]
    OctalOutOfRange(String),
    #[error("unsupported character literal `\\{0}`")]
    InvalidCharacter(String),
    #[error("no namespace alias `{alias}` for `{token}`")]
    UnknownAlias { alias: String, token: String },
    #[error("metadata can only be applied to symbols and collections")]
    MetadataTarget,
    #[error("metadata must be a symbol, keyword, string, map or vector")]
    InvalidMetadata,
    #[error("nested #() are not allowed")]
    NestedAnonFn,
    #[error("invalid arg literal `{0}`: expected %, %& or %1 to %20")]
    InvalidArgLiteral(String),
    #[error("`#?@` splicing is only allowed inside a collection")]
    SpliceOutsideCollection,
    #[error("a reader conditional must be a list: `#?(...)`")]
    ReaderConditionalNotList,
    #[error("reader conditional needs feature/form pairs but has an odd number of forms")]
    ReaderConditionalOddForms,
    #[error("reader conditional feature must be a keyword")]
    ReaderConditionalFeature,
    #[error("`#?@` must choose a list or vector to splice")]
    SpliceNotSequential,
    #[error("map literal must contain an even number of forms")]
    OddMapForms,
    #[error("duplicate key `{0}` in map literal")]
    DuplicateKey(String),
    #[error("duplicate element `{0}` in set literal")]
    DuplicateSetElement(String),
    #[error("namespaced map must name a namespace: `#:ns{{...}}`")]
    NamespacedMapWithoutNamespace,
    #[error("namespaced map prefix must be followed by a map")]
    NamespacedMapWithoutMap,
    #[error("invalid namespace `{0}` for a namespaced map")]
    InvalidNamespacedMapPrefix(String),
    #[error("`~@` (unquote-splicing) is only allowed inside a collection under syntax-quote")]
    UnquoteSplicingOutsideCollection,
    #[error("forms nested more than {0} deep")]
    TooDeep(usize),
    #[error("syntax-quote nested more than {0} deep")]
    SyntaxQuoteTooDeep(usize),
    #[error("syntax-quote expands more than {0} forms")]
    SyntaxQuoteTooLarge(usize),
    #[error("syntax-quote builds a form nested more than {0} deep")]
    SyntaxQuoteBuildsTooDeep(usize),
}
