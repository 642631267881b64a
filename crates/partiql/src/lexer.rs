//! The PartiQL lexer.
//!
//! Token rules (PartiQL's `SqlLexer`, as DynamoDB runs it):
//! - an identifier is `[A-Za-z_$][A-Za-z0-9_$]*` (so `$1` is a name, not a parameter); a
//!   word on PartiQL's keyword list ([`crate::keywords`]) is a keyword, case-insensitively;
//! - `"..."` is a quoted identifier and `'...'` a string, each doubling its quote to escape it;
//! - a number is `digits[.digits][e[+-]digits]` or `.digits[...]`;
//! - `--` starts a comment to the end of the line, `/* ... */` a block comment;
//! - `<<` and `>>` delimit bags (sets), `||` is concatenation, `!=` is `<>`.
//!
//! Anything else (`#`, `` ` ``, `&`, a lone `|` or `!`, a non-ASCII character outside quotes),
//! an unterminated string, identifier or comment, and a number whose exponent or scale does
//! not fit a 32-bit integer are lexical errors: DynamoDB reports those with nothing after
//! "can't be processed: ".

use crate::ast::Span;
use crate::keywords;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// An unquoted identifier that is not a keyword.
    Ident,
    /// A keyword, as its lower-case text.
    Keyword(&'static str),
    /// `"..."`: the unescaped text is in [`Token::text`].
    Quoted,
    /// `'...'`: the unescaped text is in [`Token::text`].
    Str,
    /// A numeric literal; its text is the source slice.
    Number,
    Question,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `<<`
    LBag,
    /// `>>`
    RBag,
    Comma,
    Colon,
    Semicolon,
    Dot,
    Star,
    Eq,
    /// `<>` or `!=`
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Slash,
    Percent,
    /// `||`
    Concat,
    /// `@`
    At,
    Eof,
}

/// A token: its kind, its byte range, and for quoted tokens the unescaped text (as an index
/// into [`Tokens::texts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
    pub text: usize,
}

/// The tokens of one statement; the last is always [`TokenKind::Eof`].
#[derive(Debug)]
pub(crate) struct Tokens {
    pub tokens: Vec<Token>,
    /// Unescaped texts of quoted identifiers and strings.
    pub texts: Vec<String>,
}

/// Splits `src` into tokens, or returns the span of the first lexical error.
pub(crate) fn tokenize(src: &str) -> Result<Tokens, Span> {
    let b = src.as_bytes();
    let mut out = Tokens {
        tokens: Vec::with_capacity(src.len() / 3 + 2),
        texts: Vec::new(),
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') {
            i += 1;
            continue;
        }
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let start = i;
            i += 2;
            loop {
                if i + 1 >= b.len() {
                    return Err(Span::new(start, b.len()));
                }
                if b[i] == b'*' && b[i + 1] == b'/' {
                    i += 2;
                    break;
                }
                i += 1;
            }
            continue;
        }
        let start = i;
        let mut text = 0;
        let kind = match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'$' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$')
                {
                    i += 1;
                }
                match keywords::lookup(&src[start..i]) {
                    Some(k) => TokenKind::Keyword(k),
                    None => TokenKind::Ident,
                }
            }
            b'0'..=b'9' => {
                i = number(b, i).ok_or(Span::new(start, i + 1))?;
                TokenKind::Number
            }
            b'.' if b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = number(b, i).ok_or(Span::new(start, i + 1))?;
                TokenKind::Number
            }
            b'\'' | b'"' => {
                let (s, end) = quoted(src, i).ok_or(Span::new(start, b.len()))?;
                i = end;
                text = out.texts.len();
                out.texts.push(s);
                if c == b'\'' {
                    TokenKind::Str
                } else {
                    TokenKind::Quoted
                }
            }
            _ => {
                let (kind, len) = match (c, b.get(i + 1).copied()) {
                    (b'<', Some(b'<')) => (TokenKind::LBag, 2),
                    (b'<', Some(b'=')) => (TokenKind::Le, 2),
                    (b'<', Some(b'>')) => (TokenKind::Ne, 2),
                    (b'<', _) => (TokenKind::Lt, 1),
                    (b'>', Some(b'>')) => (TokenKind::RBag, 2),
                    (b'>', Some(b'=')) => (TokenKind::Ge, 2),
                    (b'>', _) => (TokenKind::Gt, 1),
                    (b'!', Some(b'=')) => (TokenKind::Ne, 2),
                    (b'|', Some(b'|')) => (TokenKind::Concat, 2),
                    (b'?', _) => (TokenKind::Question, 1),
                    (b'(', _) => (TokenKind::LParen, 1),
                    (b')', _) => (TokenKind::RParen, 1),
                    (b'[', _) => (TokenKind::LBracket, 1),
                    (b']', _) => (TokenKind::RBracket, 1),
                    (b'{', _) => (TokenKind::LBrace, 1),
                    (b'}', _) => (TokenKind::RBrace, 1),
                    (b',', _) => (TokenKind::Comma, 1),
                    (b':', _) => (TokenKind::Colon, 1),
                    (b';', _) => (TokenKind::Semicolon, 1),
                    (b'.', _) => (TokenKind::Dot, 1),
                    (b'*', _) => (TokenKind::Star, 1),
                    (b'=', _) => (TokenKind::Eq, 1),
                    (b'+', _) => (TokenKind::Plus, 1),
                    (b'-', _) => (TokenKind::Minus, 1),
                    (b'/', _) => (TokenKind::Slash, 1),
                    (b'%', _) => (TokenKind::Percent, 1),
                    (b'@', _) => (TokenKind::At, 1),
                    _ => {
                        let len = src[i..].chars().next().map_or(1, char::len_utf8);
                        return Err(Span::new(start, start + len));
                    }
                };
                i += len;
                kind
            }
        };
        out.tokens.push(Token {
            kind,
            span: Span::new(start, i),
            text,
        });
    }
    out.tokens.push(Token {
        kind: TokenKind::Eof,
        span: Span::new(src.len(), src.len()),
        text: 0,
    });
    Ok(out)
}

/// The end of the number starting at `i`, or `None` if it is malformed: an exponent marker
/// without digits, or an exponent or scale (fraction digits minus exponent) outside `i32`,
/// which PartiQL's Ion decimals cannot hold.
fn number(b: &[u8], mut i: usize) -> Option<usize> {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut fraction: i64 = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            fraction += 1;
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let digits = i;
        let mut exponent: i64 = 0;
        while i < b.len() && b[i].is_ascii_digit() {
            exponent = exponent
                .saturating_mul(10)
                .saturating_add(i64::from(b[i] - b'0'));
            i += 1;
        }
        if i == digits {
            return None;
        }
        if negative {
            exponent = -exponent;
        }
        if i32::try_from(exponent).is_err() || i32::try_from(fraction - exponent).is_err() {
            return None;
        }
    }
    Some(i)
}

/// The unescaped content of the quoted token at `i` and the index after its closing quote.
fn quoted(src: &str, i: usize) -> Option<(String, usize)> {
    let b = src.as_bytes();
    let q = b[i];
    let mut s = String::new();
    let mut j = i + 1;
    let mut run = j;
    loop {
        match b.get(j) {
            None => return None,
            Some(&c) if c == q => {
                s.push_str(&src[run..j]);
                if b.get(j + 1) == Some(&q) {
                    s.push(q as char);
                    j += 2;
                    run = j;
                } else {
                    return Some((s, j + 1));
                }
            }
            Some(_) => j += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        tokenize(src)
            .unwrap()
            .tokens
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn words_quotes_and_punctuation() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#"SeLeCt "a b", x$1 FROM t WHERE a <> 'it''s' AND b != 1.5e3"#),
            vec![
                Keyword("select"),
                Quoted,
                Comma,
                Ident,
                Keyword("from"),
                Ident,
                Keyword("where"),
                Ident,
                Ne,
                Str,
                Keyword("and"),
                Ident,
                Ne,
                Number,
                Eof
            ]
        );
        let t = tokenize("'it''s' \"a\"\"b\"").unwrap();
        assert_eq!(t.texts, vec!["it's".to_owned(), "a\"b".to_owned()]);
    }

    #[test]
    fn bags_comments_and_operators() {
        use TokenKind::*;
        assert_eq!(
            kinds("<<1, .5>> -- c\n /* x */ <= >= < > || ? [ ] { } : ; @ % /"),
            vec![
                LBag, Number, Comma, Number, RBag, Le, Ge, Lt, Gt, Concat, Question, LBracket,
                RBracket, LBrace, RBrace, Colon, Semicolon, At, Percent, Slash, Eof
            ]
        );
    }

    #[test]
    fn lexical_errors() {
        for bad in [
            "a # b",
            "'open",
            "\"open",
            "/* open",
            "1e",
            "1e+",
            "a | b",
            "a ! b",
            "`ion`",
            "ü",
            "1e2147483648",
            "1.5e-2147483647",
        ] {
            assert!(tokenize(bad).is_err(), "{bad}");
        }
        assert!(tokenize("1e2147483647").is_ok());
        assert!(tokenize("'ü' \"ü\" -- ü").is_ok());
        assert_eq!(tokenize("a ü").unwrap_err(), Span::new(2, 4));
    }
}
