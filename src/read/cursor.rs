//! A cursor over the source text that knows the 1-based line and column
//! (counted in chars) of the next character, so every form and error can
//! point back at the text it came from.

use crate::source::Pos;

pub(super) struct Cursor<'a> {
    text: &'a str,
    offset: usize,
    line: u32,
    col: u32,
}

impl<'a> Cursor<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
            col: 1,
        }
    }

    /// The position of the next character (or of the end of input).
    pub fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    pub fn offset(&self) -> usize {
        self.offset
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.offset..).unwrap_or_default()
    }

    pub fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    pub fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    pub fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.offset += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    /// Consumes `expected` if it is next.
    pub fn eat(&mut self, expected: char) -> bool {
        let matches = self.peek() == Some(expected);
        if matches {
            self.bump();
        }
        matches
    }

    pub fn bump_while(&mut self, keep_going: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&keep_going) {
            self.bump();
        }
    }

    /// The text consumed since `start` (an earlier `offset()`).
    pub fn text_since(&self, start: usize) -> &'a str {
        self.text.get(start..self.offset).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_and_chars_not_bytes() {
        let mut cursor = Cursor::new("é\nab");
        assert_eq!(cursor.pos(), Pos::new(1, 1));
        cursor.bump();
        assert_eq!(cursor.pos(), Pos::new(1, 2));
        cursor.bump();
        assert_eq!(cursor.pos(), Pos::new(2, 1));
        cursor.bump_while(|c| c == 'a');
        assert_eq!(cursor.pos(), Pos::new(2, 2));
        assert_eq!(cursor.text_since(0), "é\na");
        assert_eq!(cursor.peek(), Some('b'));
        assert_eq!(cursor.peek_second(), None);
    }
}
