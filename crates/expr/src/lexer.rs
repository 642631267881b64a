//! The lexer shared by all expression kinds.
//!
//! DynamoDB's token rules (checked against its error messages): a name is an ASCII letter
//! followed by letters, digits and `_` (so `_a` and `1a` are not names); `#ref` and `:ref`
//! take one or more letters, digits or `_` after the sigil; an integer is a run of digits.
//! Any other character is a one-character token that no grammar accepts, which makes it
//! the `token` of the syntax error (`token: "!", near: "!!"`).
//! Keywords (`AND`, `SET`, ...) are names; each grammar decides which names are keywords.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// `[A-Za-z][A-Za-z0-9_]*`.
    Name,
    /// `#[A-Za-z0-9_]+`.
    NameRef,
    /// `:[A-Za-z0-9_]+`.
    ValueRef,
    /// `[0-9]+`.
    Integer,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    Comma,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    /// Any other character.
    Unknown,
    /// End of input (zero-length, at the end).
    Eof,
}

/// A token: its kind and its byte range in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

fn is_ref_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Splits `src` into tokens; the last one is always [`TokenKind::Eof`].
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::with_capacity(src.len() / 3 + 2);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let start = i;
        let kind = match b {
            b'a'..=b'z' | b'A'..=b'Z' => {
                i += 1;
                while i < bytes.len() && is_ref_char(bytes[i]) {
                    i += 1;
                }
                TokenKind::Name
            }
            b'0'..=b'9' => {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                TokenKind::Integer
            }
            b'#' | b':' if i + 1 < bytes.len() && is_ref_char(bytes[i + 1]) => {
                i += 1;
                while i < bytes.len() && is_ref_char(bytes[i]) {
                    i += 1;
                }
                if b == b'#' {
                    TokenKind::NameRef
                } else {
                    TokenKind::ValueRef
                }
            }
            b'(' => single(&mut i, TokenKind::LParen),
            b')' => single(&mut i, TokenKind::RParen),
            b'[' => single(&mut i, TokenKind::LBracket),
            b']' => single(&mut i, TokenKind::RBracket),
            b'.' => single(&mut i, TokenKind::Dot),
            b',' => single(&mut i, TokenKind::Comma),
            b'=' => single(&mut i, TokenKind::Eq),
            b'+' => single(&mut i, TokenKind::Plus),
            b'-' => single(&mut i, TokenKind::Minus),
            b'<' => match bytes.get(i + 1) {
                Some(b'>') => double(&mut i, TokenKind::Ne),
                Some(b'=') => double(&mut i, TokenKind::Le),
                _ => single(&mut i, TokenKind::Lt),
            },
            b'>' => match bytes.get(i + 1) {
                Some(b'=') => double(&mut i, TokenKind::Ge),
                _ => single(&mut i, TokenKind::Gt),
            },
            _ => {
                // One whole character, however many bytes it takes.
                let len = src[i..].chars().next().map_or(1, char::len_utf8);
                i += len;
                TokenKind::Unknown
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        start: src.len(),
        end: src.len(),
    });
    tokens
}

fn single(i: &mut usize, kind: TokenKind) -> TokenKind {
    *i += 1;
    kind
}

fn double(i: &mut usize, kind: TokenKind) -> TokenKind {
    *i += 2;
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn names_refs_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds("a.b[12] <> #x AND :v_1>=c"),
            vec![
                Name, Dot, Name, LBracket, Integer, RBracket, Ne, NameRef, Name, ValueRef, Ge,
                Name, Eof
            ]
        );
    }

    #[test]
    fn odd_characters_are_single_tokens() {
        use TokenKind::*;
        assert_eq!(kinds("_123"), vec![Unknown, Integer, Eof]);
        assert_eq!(kinds("# :"), vec![Unknown, Unknown, Eof]);
        assert_eq!(kinds("ü!"), vec![Unknown, Unknown, Eof]);
        let t = tokenize("ü");
        assert_eq!((t[0].start, t[0].end), (0, 2));
    }
}
