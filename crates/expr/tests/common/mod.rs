//! Test helpers: a compact literal notation for attribute values and items, and the fixed
//! placeholder maps the tables use.
//!
//! Notation: `1`, `-2.5` (N); `"x"` (S); `b"x"` (B, the bytes of the text); `true`,
//! `false` (BOOL); `null` (NULL); `[v, ...]` (L); `{k: v, "k.2": v}` (M);
//! `ss("a")`, `ns(1, 2)`, `bs(b"a")` (sets).

#![allow(dead_code)]

use std::collections::HashMap;

use ferrodyn_types::{AttributeValue, Item, Number};

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] as char).is_whitespace() {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> u8 {
        self.ws();
        *self.s.get(self.i).unwrap_or(&0)
    }
    fn expect(&mut self, c: u8) {
        assert_eq!(
            self.peek() as char,
            c as char,
            "at {} in {:?}",
            self.i,
            std::str::from_utf8(self.s)
        );
        self.i += 1;
    }
    fn string(&mut self) -> String {
        self.expect(b'"');
        let start = self.i;
        while self.s[self.i] != b'"' {
            self.i += 1;
        }
        let out = std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .to_owned();
        self.i += 1;
        out
    }
    fn word(&mut self) -> String {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || b"_.-+".contains(&self.s[self.i]))
        {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .unwrap()
            .to_owned()
    }
    fn list(&mut self, close: u8) -> Vec<AttributeValue> {
        let mut out = Vec::new();
        if self.peek() == close {
            self.i += 1;
            return out;
        }
        loop {
            out.push(self.value());
            if self.peek() == b',' {
                self.i += 1;
            } else {
                self.expect(close);
                return out;
            }
        }
    }
    fn map(&mut self) -> Item {
        self.expect(b'{');
        let mut out = Item::new();
        if self.peek() == b'}' {
            self.i += 1;
            return out;
        }
        loop {
            let key = if self.peek() == b'"' {
                self.string()
            } else {
                self.word()
            };
            self.expect(b':');
            out.insert(key, self.value());
            if self.peek() == b',' {
                self.i += 1;
            } else {
                self.expect(b'}');
                return out;
            }
        }
    }
    fn value(&mut self) -> AttributeValue {
        match self.peek() {
            b'"' => AttributeValue::S(self.string()),
            b'[' => {
                self.i += 1;
                AttributeValue::L(self.list(b']'))
            }
            b'{' => AttributeValue::M(self.map()),
            _ => {
                let w = self.word();
                match w.as_str() {
                    "true" => AttributeValue::Bool(true),
                    "false" => AttributeValue::Bool(false),
                    "null" => AttributeValue::Null,
                    "b" => AttributeValue::B(self.string().into_bytes()),
                    "ss" | "ns" | "bs" => {
                        self.expect(b'(');
                        let elems = self.list(b')');
                        match w.as_str() {
                            "ss" => AttributeValue::Ss(
                                elems
                                    .into_iter()
                                    .map(|e| match e {
                                        AttributeValue::S(s) => s,
                                        other => panic!("ss element {other:?}"),
                                    })
                                    .collect(),
                            ),
                            "ns" => AttributeValue::Ns(
                                elems
                                    .into_iter()
                                    .map(|e| match e {
                                        AttributeValue::N(n) => n,
                                        other => panic!("ns element {other:?}"),
                                    })
                                    .collect(),
                            ),
                            _ => AttributeValue::Bs(
                                elems
                                    .into_iter()
                                    .map(|e| match e {
                                        AttributeValue::B(b) => b,
                                        other => panic!("bs element {other:?}"),
                                    })
                                    .collect(),
                            ),
                        }
                    }
                    _ => AttributeValue::N(
                        Number::parse(&w).unwrap_or_else(|_| panic!("bad literal {w:?}")),
                    ),
                }
            }
        }
    }
}

/// Parses a value literal.
pub fn v(src: &str) -> AttributeValue {
    let mut p = P {
        s: src.as_bytes(),
        i: 0,
    };
    let out = p.value();
    p.ws();
    assert_eq!(p.i, src.len(), "trailing input in {src:?}");
    out
}

/// Parses an item literal (`{...}`).
pub fn item(src: &str) -> Item {
    match v(src) {
        AttributeValue::M(m) => m,
        other => panic!("not an item: {other:?}"),
    }
}

/// Canonical form for comparing items in assertions: sets sorted.
pub fn canon(value: &AttributeValue) -> AttributeValue {
    match value {
        AttributeValue::Ss(s) => {
            let mut s = s.clone();
            s.sort();
            AttributeValue::Ss(s)
        }
        AttributeValue::Ns(s) => {
            let mut s = s.clone();
            s.sort();
            AttributeValue::Ns(s)
        }
        AttributeValue::Bs(s) => {
            let mut s = s.clone();
            s.sort();
            AttributeValue::Bs(s)
        }
        AttributeValue::L(l) => AttributeValue::L(l.iter().map(canon).collect()),
        AttributeValue::M(m) => AttributeValue::M(canon_item(m)),
        other => other.clone(),
    }
}

pub fn canon_item(item: &Item) -> Item {
    item.iter().map(|(k, v)| (k.clone(), canon(v))).collect()
}

/// The ExpressionAttributeNames every table uses.
pub fn names() -> HashMap<String, String> {
    [
        ("#a", "a"),
        ("#b", "b"),
        ("#n", "n"),
        ("#s", "s"),
        ("#l", "l"),
        ("#m", "m"),
        ("#st", "status"),
        ("#name", "name"),
        ("#dot", "a.b"),
        ("#x", "x"),
        ("#i3", "[3]"),
        ("#pk", "pk"),
        ("#sk", "sk"),
        ("#1", "1"),
        ("#_", "_"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The ExpressionAttributeValues every table uses.
pub fn values() -> HashMap<String, AttributeValue> {
    [
        (":s", r#""hello""#),
        (":s2", r#""world""#),
        (":he", r#""he""#),
        (":ell", r#""ell""#),
        (":empty", r#""""#),
        (":a", r#""a""#),
        (":z", r#""z""#),
        (":n", "5"),
        (":n0", "0"),
        (":n1", "1"),
        (":n2", "2"),
        (":n3", "3"),
        (":n10", "10"),
        (":n5_0", "5.0"),
        (":big", "9.9999999999999999999999999999999999999E+125"),
        (":b", r#"b"hi""#),
        (":b2", r#"b"there""#),
        (":t", "true"),
        (":f", "false"),
        (":null", "null"),
        (":l", "[1, 2]"),
        (":l2", r#"["x"]"#),
        (":lempty", "[]"),
        (":m", "{x: 1}"),
        (":ss", r#"ss("a")"#),
        (":ss2", r#"ss("b", "d")"#),
        (":ns", "ns(1)"),
        (":ns2", "ns(2, 9)"),
        (":bs", r#"bs(b"x")"#),
        (":tS", r#""S""#),
        (":tN", r#""N""#),
        (":tB", r#""B""#),
        (":tBOOL", r#""BOOL""#),
        (":tNULL", r#""NULL""#),
        (":tL", r#""L""#),
        (":tM", r#""M""#),
        (":tSS", r#""SS""#),
        (":tNS", r#""NS""#),
        (":tBS", r#""BS""#),
        (":dog", r#""DOG""#),
        (":_", r#""underscore""#),
        (":123", "123"),
        (":two", r#""two""#),
        (":deep", r#""deep""#),
        (":dotted", r#""dotted""#),
        (":n4", "4"),
        (":n6", "6"),
        (":n8", "8"),
        (":bx", r#"b"x""#),
        (":ss_ab", r#"ss("a", "b")"#),
    ]
    .into_iter()
    .map(|(k, s)| (k.to_owned(), v(s)))
    .collect()
}
