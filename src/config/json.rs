//! Where a value is in a JSON file's text, for errors about a well-formed
//! but wrongly shaped file (the agents' hook settings): `serde_json`'s
//! values keep no positions, so the place is found by walking the text.

/// Byte offset in `text` (valid JSON) of the value reached through the object keys `keys`.
///
/// The parsed value keeps no positions, so the error for a well-formed but wrongly shaped
/// file finds its place by walking the text again.
pub fn locate(text: &str, keys: &[&str]) -> usize {
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    for key in keys {
        match find_member(text, pos, key) {
            Some(found) => pos = found,
            None => break,
        }
    }
    pos
}

/// Offset of the value of member `key` in the object starting at `start`.
fn find_member(text: &str, start: usize, key: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'{') {
        return None;
    }
    let mut pos = start + 1;
    let mut found = None;
    loop {
        pos = skip_ws(bytes, pos);
        match bytes.get(pos)? {
            b'}' => return found,
            b',' => {
                pos += 1;
                continue;
            }
            _ => {}
        }
        let key_end = skip_value(bytes, pos)?;
        // Decoding the key handles escapes such as `"\u0068ooks"`.
        let name: String = serde_json::from_str(text.get(pos..key_end)?).ok()?;
        pos = skip_ws(bytes, key_end);
        pos = skip_ws(bytes, pos + 1); // past the ':'
        // The parser keeps the last of duplicate keys, so the last one is the one to point at.
        if name == key {
            found = Some(pos);
        }
        pos = skip_value(bytes, pos)?;
    }
}

/// Offset just past the JSON value starting at `pos`.
fn skip_value(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => {
            let mut i = pos + 1;
            loop {
                match bytes.get(i)? {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = skip_value(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = pos;
            while let Some(&c) = bytes.get(i) {
                if matches!(c, b',' | b'}' | b']') || c.is_ascii_whitespace() {
                    break;
                }
                i += 1;
            }
            Some(i)
        }
    }
}

/// Offset of the first non-whitespace byte at or after `pos`.
fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(u8::is_ascii_whitespace) {
        pos += 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_value_through_keys_escapes_and_the_last_duplicate() {
        let text = "{\"a\": {\"b\": [1, \"}\"], \"c\": 2}, \"a\": {\"\\u0062\": 3}}";
        assert_eq!(locate(text, &[]), 0);
        assert_eq!(&text[locate(text, &["a"])..][..1], "{");
        // The last `a` wins, as in the parser; its `b` is written escaped.
        assert_eq!(&text[locate(text, &["a", "b"])..][..1], "3");
        // A key that is not there: the last value found.
        assert_eq!(locate(text, &["a", "zz"]), locate(text, &["a"]));
        assert_eq!(locate("  [1]", &["x"]), 2);
    }
}
