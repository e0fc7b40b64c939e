//! Finding the line of a JSON pointer in a schema's text, for error messages.
//!
//! `serde_json` keeps no positions once a document is parsed, so this walks
//! the (already valid) text once more, following the pointer.

/// The 1-based line where the value at `pointer` is written (for an object
/// member, the line of its key), or `None` when the pointer does not resolve.
///
/// ```
/// let text = "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"id\": {}\n  }\n}";
/// assert_eq!(polyn_schemas::line_of(text, "/properties/id"), Some(4));
/// assert_eq!(polyn_schemas::line_of(text, "/nope"), None);
/// ```
pub fn line_of(text: &str, pointer: &str) -> Option<usize> {
    let tokens: Vec<String> = if pointer.is_empty() {
        Vec::new()
    } else {
        pointer
            .strip_prefix('/')?
            .split('/')
            .map(|token| token.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
    };
    scanner.find(&tokens)
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(byte) = self.peek() {
            match byte {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.pos += 1;
        }
    }

    /// Expects `byte` (after whitespace) and steps over it.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Steps over a string and returns its decoded value.
    fn string(&mut self) -> Option<String> {
        self.skip_ws();
        let start = self.pos;
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    break;
                }
                _ => self.pos += 1,
            }
        }
        serde_json::from_str(self.text.get(start..self.pos)?).ok()
    }

    fn skip_value(&mut self) -> Option<()> {
        self.skip_ws();
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                self.members(|scanner, _key| scanner.skip_value().map(|()| None))
                    .map(|_| ())
            }
            b'[' => {
                self.pos += 1;
                self.elements(|scanner, _index| scanner.skip_value().map(|()| None))
                    .map(|_| ())
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while let Some(byte) = self.peek() {
                    if matches!(byte, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                        break;
                    }
                    self.pos += 1;
                }
                Some(())
            }
        }
    }

    /// Walks the members of an object whose `{` was just read, calling
    /// `visit` with the scanner positioned at each value; stops early when
    /// `visit` returns `Some(Some(line))`.
    fn members(
        &mut self,
        mut visit: impl FnMut(&mut Self, &str) -> Option<Option<usize>>,
    ) -> Option<Option<usize>> {
        self.skip_ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(None);
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            if let Some(line) = visit(self, &key)? {
                return Some(Some(line));
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(None);
                }
                _ => return None,
            }
        }
    }

    /// Like [`Scanner::members`], for the elements of an array.
    fn elements(
        &mut self,
        mut visit: impl FnMut(&mut Self, usize) -> Option<Option<usize>>,
    ) -> Option<Option<usize>> {
        self.skip_ws();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(None);
        }
        let mut index = 0;
        loop {
            if let Some(line) = visit(self, index)? {
                return Some(Some(line));
            }
            self.skip_ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(None);
                }
                _ => return None,
            }
            index += 1;
        }
    }

    /// Follows `tokens` from the value at the current position.
    fn find(&mut self, tokens: &[String]) -> Option<usize> {
        self.skip_ws();
        let Some((token, rest)) = tokens.split_first() else {
            return Some(self.line);
        };
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                self.members(|scanner, key| {
                    if key != token {
                        return scanner.skip_value().map(|()| None);
                    }
                    if rest.is_empty() {
                        // Point at the key, which is where a reader looks.
                        Some(Some(scanner.key_line()))
                    } else {
                        scanner.find(rest).map(Some)
                    }
                })?
            }
            b'[' => {
                let wanted: usize = token.parse().ok()?;
                self.pos += 1;
                self.elements(|scanner, index| {
                    if index == wanted {
                        scanner.find(rest).map(Some)
                    } else {
                        scanner.skip_value().map(|()| None)
                    }
                })?
            }
            _ => None,
        }
    }

    /// The line of the key just read: the current line, less the newlines
    /// between the key and the `:` already consumed (rare, but legal).
    fn key_line(&self) -> usize {
        let before = &self.bytes[..self.pos];
        let key_end = before.iter().rposition(|&b| b == b'"').unwrap_or(0);
        let between = before[key_end..].iter().filter(|&&b| b == b'\n').count();
        self.line - between
    }
}

#[cfg(test)]
mod tests {
    use super::line_of;

    const TEXT: &str = r#"{
  "type": "object",
  "properties": {
    "a/b": { "type": "string" },
    "list": {
      "type": "array",
      "items": [
        { "type": "integer" },
        {
          "type": "strin"
        }
      ]
    }
  },
  "x": [1, "two", {"y": null}]
}"#;

    #[test]
    fn finds_lines() {
        assert_eq!(line_of(TEXT, ""), Some(1));
        assert_eq!(line_of(TEXT, "/type"), Some(2));
        assert_eq!(line_of(TEXT, "/properties"), Some(3));
        assert_eq!(line_of(TEXT, "/properties/a~1b"), Some(4));
        assert_eq!(line_of(TEXT, "/properties/a~1b/type"), Some(4));
        assert_eq!(line_of(TEXT, "/properties/list/items/0"), Some(8));
        assert_eq!(line_of(TEXT, "/properties/list/items/1/type"), Some(10));
        assert_eq!(line_of(TEXT, "/x/2/y"), Some(15));
    }

    #[test]
    fn unresolved_pointers_give_none() {
        assert_eq!(line_of(TEXT, "/nope"), None);
        assert_eq!(line_of(TEXT, "/x/9"), None);
        assert_eq!(line_of(TEXT, "/type/deeper"), None);
        assert_eq!(line_of(TEXT, "no-slash"), None);
    }
}
