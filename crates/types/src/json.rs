//! The two pieces of JSON writing that [`crate::codec::item_to_json`] needs: strings with
//! JSON's escapes, and Base64 for binary values.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

/// Appends `s` as a JSON string literal, quotes included, escaping as serde_json does: `"`,
/// `\` and the control characters below U+0020 (`\b \t \n \f \r` short, others `\u00XX`);
/// everything else, non-ASCII included, is copied as is.
#[cfg(test)]
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    write_utf8(out, s.as_bytes());
}

/// [`write_str`] for the bytes of a string already known to be UTF-8 (escaping only looks at
/// ASCII bytes, so it keeps them UTF-8).
pub fn write_utf8(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Most strings need no escape at all: one branch-free pass (vectorized) and one copy.
    if !bytes.iter().fold(false, |acc, &b| acc | needs_escape(b)) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'u',
                    b'0',
                    b'0',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]);
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Whether JSON needs `b` escaped in a string.
#[inline(always)]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends the standard Base64 (with padding) of `bytes`, without quotes.
pub fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    let len = base64::encoded_len(bytes.len(), true).expect("length fits in usize");
    out.resize(start + len, 0);
    BASE64
        .encode_slice(bytes, &mut out[start..])
        .expect("buffer sized by encoded_len");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut all_low: String = (0u8..0x80).map(char::from).collect();
        all_low.push_str("é€😀\u{7f}/ and a longer tail to cross the eight-byte steps \"\\\"");
        for s in [
            "",
            "plain",
            "exactly8",
            "sixteen bytes!!!",
            "quote \" in the middle of a long run of text",
            "\\",
            "tab\there",
            "\u{1}\u{1f}",
            all_low.as_str(),
        ] {
            assert_eq!(json(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn base64_is_standard_with_padding() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
        ] {
            let mut out = Vec::new();
            write_base64(&mut out, bytes);
            assert_eq!(out, text.as_bytes());
        }
    }
}
