//! The reader of a shell command line: characters in, words and simple
//! commands out (quotes removed, expansions noted, here-documents skipped,
//! `$(…)`, backticks and subshells read as command lines of their own).

use super::{MAX_DEPTH, ParseError, Parsed, err, parse_into, simple};

/// A word as read: its text after quote removal, whether any part of it
/// was quoted or escaped, and whether it holds an expansion.
#[derive(Debug, Default)]
pub(super) struct Word {
    pub(super) text: String,
    pub(super) quoted: bool,
    pub(super) dynamic: bool,
}

pub(super) struct Heredoc {
    pub(super) delim: String,
    strip_tabs: bool,
    expand: bool,
}

pub(super) struct Reader<'o> {
    pub(super) s: Vec<char>,
    pub(super) i: usize,
    pub(super) depth: usize,
    pub(super) out: &'o mut Parsed,
    pub(super) heredocs: Vec<Heredoc>,
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | ';' | '&' | '|' | '(' | ')' | '<' | '>'
    )
}

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.s.get(self.i + n).copied()
    }

    /// Reads commands up to `end` (`)` of a subshell or `$(`) or the end.
    pub(super) fn list(&mut self, end: Option<char>) -> Result<(), ParseError> {
        let mut words: Vec<Word> = Vec::new();
        loop {
            // Blanks and line continuations.
            while let Some(c) = self.peek() {
                if c == ' ' || c == '\t' || c == '\r' {
                    self.i += 1;
                } else if c == '\\' && self.peek_at(1) == Some('\n') {
                    self.i += 2;
                } else {
                    break;
                }
            }
            let Some(c) = self.peek() else {
                if end.is_some() {
                    return err("a `(` or `$(` is never closed");
                }
                self.finish(&mut words)?;
                return Ok(());
            };
            match c {
                '\n' => {
                    self.i += 1;
                    self.finish(&mut words)?;
                    self.read_heredocs()?;
                }
                '#' => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                '&' if self.peek_at(1) == Some('>') => {
                    self.i += 2;
                    if self.peek() == Some('>') {
                        self.i += 1;
                    }
                    self.redirect_target(true)?;
                }
                ';' | '&' | '|' => {
                    self.i += 1;
                    if matches!(self.peek(), Some(';' | '&' | '|')) {
                        self.i += 1;
                    }
                    self.finish(&mut words)?;
                }
                '(' if words.is_empty() => {
                    self.i += 1;
                    self.nested(|r| r.list(Some(')')))?;
                }
                '(' => {
                    return err(if self.peek_at(1) == Some(')') {
                        "a function definition (`name() …`)"
                    } else {
                        "a `(` in the middle of a command"
                    });
                }
                ')' => {
                    if end != Some(')') {
                        return err("a `)` that closes nothing");
                    }
                    self.i += 1;
                    self.finish(&mut words)?;
                    return Ok(());
                }
                '<' | '>' => self.redirect()?,
                _ => {
                    let w = self.word()?;
                    // `2>file`: digits right before `<` or `>` name a descriptor.
                    if !w.quoted
                        && !w.text.is_empty()
                        && w.text.chars().all(|c| c.is_ascii_digit())
                        && matches!(self.peek(), Some('<' | '>'))
                    {
                        continue;
                    }
                    words.push(w);
                }
            }
        }
    }

    fn nested(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        if self.depth >= MAX_DEPTH {
            return err(format!(
                "commands nest deeper than {MAX_DEPTH} levels (sh -c, eval, $(…), backticks)"
            ));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// A redirection operator at `<` or `>`, and its target.
    fn redirect(&mut self) -> Result<(), ParseError> {
        let c = self.peek().expect("at an operator");
        let next = self.peek_at(1);
        if next == Some('(') {
            // Process substitution: a command list of its own.
            self.i += 2;
            return self.nested(|r| r.list(Some(')')));
        }
        self.i += 1;
        if c == '<' {
            match self.peek() {
                Some('<') if self.peek_at(1) == Some('<') => {
                    self.i += 2;
                    return self.redirect_target(false);
                }
                Some('<') => {
                    self.i += 1;
                    let strip_tabs = self.peek() == Some('-');
                    if strip_tabs {
                        self.i += 1;
                    }
                    self.skip_blanks();
                    let w = self.word()?;
                    if w.text.is_empty() && !w.quoted {
                        return err("a here-document without its end word");
                    }
                    self.heredocs.push(Heredoc {
                        delim: w.text,
                        strip_tabs,
                        expand: !w.quoted,
                    });
                    return Ok(());
                }
                Some('&') | Some('>') => self.i += 1,
                _ => {}
            }
            return self.redirect_target(false);
        }
        // `>>`, `>|`, and `>&`: `>&2` duplicates a descriptor (a number is
        // never recorded as a write), `>&file` writes the file.
        if matches!(self.peek(), Some('>' | '|' | '&')) {
            self.i += 1;
        }
        self.redirect_target(true)
    }

    /// Reads the word after a redirection; a write to a file is recorded.
    fn redirect_target(&mut self, writes: bool) -> Result<(), ParseError> {
        self.skip_blanks();
        if self.peek().is_none_or(is_meta) {
            return err("a redirection without a target");
        }
        let w = self.word()?;
        let t = w.text.as_str();
        let descriptor = t == "-" || (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit()));
        if writes && !descriptor && !w.dynamic {
            self.out.writes.push(w.text);
        }
        Ok(())
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.i += 1;
        }
    }

    /// After a newline: the bodies of the here-documents of the line.
    fn read_heredocs(&mut self) -> Result<(), ParseError> {
        for h in std::mem::take(&mut self.heredocs) {
            let mut body = String::new();
            loop {
                if self.i >= self.s.len() {
                    return err(format!(
                        "the here-document ending with `{}` is never closed",
                        h.delim
                    ));
                }
                let start = self.i;
                while self.peek().is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
                let line: String = self.s[start..self.i].iter().collect();
                if self.peek() == Some('\n') {
                    self.i += 1;
                }
                let cmp = if h.strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line.as_str()
                };
                if cmp == h.delim {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            if h.expand {
                // An unquoted end word: `$(…)` and backticks in the body run.
                let mut sub = Reader {
                    s: body.chars().collect(),
                    i: 0,
                    depth: self.depth,
                    out: &mut *self.out,
                    heredocs: Vec::new(),
                };
                let mut w = Word::default();
                while sub.i < sub.s.len() {
                    sub.dquoted_char(&mut w)?;
                }
            }
        }
        Ok(())
    }

    /// One word, up to a blank or an operator.
    fn word(&mut self) -> Result<Word, ParseError> {
        let mut w = Word::default();
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            match c {
                '\\' => {
                    self.i += 1;
                    match self.peek() {
                        Some('\n') => self.i += 1,
                        Some(c) => {
                            w.text.push(c);
                            w.quoted = true;
                            self.i += 1;
                        }
                        None => {}
                    }
                }
                '\'' => {
                    self.i += 1;
                    w.quoted = true;
                    loop {
                        match self.peek() {
                            None => return err("a single quote is never closed"),
                            Some('\'') => {
                                self.i += 1;
                                break;
                            }
                            Some(c) => {
                                w.text.push(c);
                                self.i += 1;
                            }
                        }
                    }
                }
                '"' => {
                    self.i += 1;
                    w.quoted = true;
                    loop {
                        match self.peek() {
                            None => return err("a double quote is never closed"),
                            Some('"') => {
                                self.i += 1;
                                break;
                            }
                            Some(_) => self.dquoted_char(&mut w)?,
                        }
                    }
                }
                '$' if self.peek_at(1) == Some('\'') => {
                    self.i += 2;
                    w.quoted = true;
                    self.ansi_c(&mut w)?;
                }
                '$' if self.peek_at(1) == Some('"') => {
                    // A translated string reads like a double-quoted one.
                    self.i += 1;
                }
                '$' | '`' => self.expansion(&mut w)?,
                c => {
                    w.text.push(c);
                    self.i += 1;
                }
            }
        }
        Ok(w)
    }

    /// One character (or escape or expansion) inside double quotes.
    fn dquoted_char(&mut self, w: &mut Word) -> Result<(), ParseError> {
        match self.peek() {
            Some('\\') => {
                self.i += 1;
                match self.peek() {
                    Some('\n') => self.i += 1,
                    Some(c @ ('$' | '`' | '"' | '\\')) => {
                        w.text.push(c);
                        self.i += 1;
                    }
                    _ => w.text.push('\\'),
                }
            }
            Some('$' | '`') => self.expansion(w)?,
            Some(c) => {
                w.text.push(c);
                self.i += 1;
            }
            None => {}
        }
        Ok(())
    }

    /// `$(…)`, `` `…` ``, `$((…))`, `${…}`, `$name`, or a plain `$`.
    fn expansion(&mut self, w: &mut Word) -> Result<(), ParseError> {
        let start = self.i;
        if self.peek() == Some('`') {
            self.i += 1;
            let mut inner = String::new();
            loop {
                match self.peek() {
                    None => return err("a backtick is never closed"),
                    Some('`') => {
                        self.i += 1;
                        break;
                    }
                    Some('\\') if matches!(self.peek_at(1), Some('`' | '\\' | '$')) => {
                        inner.push(self.peek_at(1).expect("checked"));
                        self.i += 2;
                    }
                    Some(c) => {
                        inner.push(c);
                        self.i += 1;
                    }
                }
            }
            if self.depth >= MAX_DEPTH {
                return err(format!(
                    "commands nest deeper than {MAX_DEPTH} levels (sh -c, eval, $(…), backticks)"
                ));
            }
            parse_into(&inner, self.depth + 1, self.out)?;
        } else {
            // At `$`.
            self.i += 1;
            match self.peek() {
                Some('(') if self.peek_at(1) == Some('(') => {
                    // Arithmetic: `$((…))`; what it may run is read as commands.
                    self.i += 2;
                    self.nested(|r| r.list(Some(')')))?;
                    if self.peek() != Some(')') {
                        return err("an arithmetic `$((` is never closed");
                    }
                    self.i += 1;
                }
                Some('(') => {
                    self.i += 1;
                    self.nested(|r| r.list(Some(')')))?;
                }
                Some('{') => {
                    self.i += 1;
                    let mut inner = Word::default();
                    loop {
                        match self.peek() {
                            None => return err("a `${` is never closed"),
                            Some('}') => {
                                self.i += 1;
                                break;
                            }
                            Some('\'') => {
                                self.i += 1;
                                while self.peek().is_some_and(|c| c != '\'') {
                                    self.i += 1;
                                }
                                if self.peek().is_none() {
                                    return err("a single quote is never closed");
                                }
                                self.i += 1;
                            }
                            Some(_) => self.dquoted_char(&mut inner)?,
                        }
                    }
                }
                Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        self.i += 1;
                    }
                }
                Some(c) if c.is_ascii_digit() || "?$!#@*-".contains(c) => self.i += 1,
                _ => {
                    // A lone `$` is just a dollar sign.
                    w.text.push('$');
                    return Ok(());
                }
            }
        }
        w.dynamic = true;
        w.text.extend(self.s[start..self.i].iter());
        Ok(())
    }

    /// The body of `$'…'`, its escapes decoded, so that `$'\x67it'` is `git`.
    fn ansi_c(&mut self, w: &mut Word) -> Result<(), ParseError> {
        loop {
            let Some(c) = self.peek() else {
                return err("a `$'` quote is never closed");
            };
            self.i += 1;
            match c {
                '\'' => return Ok(()),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return err("a `$'` quote is never closed");
                    };
                    self.i += 1;
                    let simple = match e {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        'r' => Some('\r'),
                        'a' => Some('\x07'),
                        'b' => Some('\x08'),
                        'e' | 'E' => Some('\x1b'),
                        'f' => Some('\x0c'),
                        'v' => Some('\x0b'),
                        '\\' | '\'' | '"' | '?' => Some(e),
                        _ => None,
                    };
                    if let Some(s) = simple {
                        w.text.push(s);
                        continue;
                    }
                    let (radix, max) = match e {
                        'x' => (16, 2),
                        'u' => (16, 4),
                        'U' => (16, 8),
                        '0'..='7' => {
                            self.i -= 1;
                            (8, 3)
                        }
                        _ => {
                            w.text.push('\\');
                            w.text.push(e);
                            continue;
                        }
                    };
                    let mut digits = String::new();
                    while digits.len() < max && self.peek().is_some_and(|c| c.is_digit(radix)) {
                        digits.push(self.peek().expect("checked"));
                        self.i += 1;
                    }
                    match u32::from_str_radix(&digits, radix)
                        .ok()
                        .and_then(char::from_u32)
                    {
                        Some(ch) => w.text.push(ch),
                        None => return err("a `$'` escape that names no character"),
                    }
                }
                c => w.text.push(c),
            }
        }
    }

    /// Ends the simple command read so far.
    fn finish(&mut self, words: &mut Vec<Word>) -> Result<(), ParseError> {
        let words = std::mem::take(words);
        if words.is_empty() {
            return Ok(());
        }
        simple(words, self.depth, self.out)
    }
}
