//! Key values of the model-checked tests (`key_condition_model.rs`, `multi_attribute_model.rs`):
//! S, N and B values and DynamoDB's order on them, known independently of the server's key
//! encoding: numbers by value (a small decimal comparison), strings by UTF-8 bytes, binaries
//! by unsigned bytes. Included by those tests with `#[path]`, not by every test as `common` is.
#![allow(dead_code)]

use std::cmp::Ordering;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue as Av, ScalarAttributeType};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    S,
    N,
    B,
}

impl Ty {
    pub fn scalar(self) -> ScalarAttributeType {
        match self {
            Ty::S => ScalarAttributeType::S,
            Ty::N => ScalarAttributeType::N,
            Ty::B => ScalarAttributeType::B,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    S(String),
    N(String),
    B(Vec<u8>),
}

impl Val {
    pub fn av(&self) -> Av {
        match self {
            Val::S(s) => Av::S(s.clone()),
            Val::N(n) => Av::N(n.clone()),
            Val::B(b) => Av::B(Blob::new(b.clone())),
        }
    }

    /// DynamoDB's order of two values of one key type.
    pub fn cmp(&self, other: &Val) -> Ordering {
        match (self, other) {
            (Val::S(a), Val::S(b)) => a.as_bytes().cmp(b.as_bytes()),
            (Val::B(a), Val::B(b)) => a.cmp(b),
            (Val::N(a), Val::N(b)) => cmp_decimal(a, b),
            _ => panic!("values of different types: {self:?} {other:?}"),
        }
    }

    pub fn begins_with(&self, prefix: &Val) -> bool {
        match (self, prefix) {
            (Val::S(a), Val::S(p)) => a.starts_with(p.as_str()),
            (Val::B(a), Val::B(p)) => a.starts_with(p),
            _ => false,
        }
    }

    /// The first half of a string or binary (at least one character or byte).
    pub fn half(&self) -> Val {
        match self {
            Val::S(s) => {
                let chars: Vec<char> = s.chars().collect();
                Val::S(chars[..chars.len().div_ceil(2)].iter().collect())
            }
            Val::B(b) => Val::B(b[..b.len().div_ceil(2)].to_vec()),
            Val::N(_) => self.clone(),
        }
    }

    pub fn from_av(av: &Av) -> Val {
        match av {
            Av::S(s) => Val::S(s.clone()),
            Av::N(n) => Val::N(n.clone()),
            Av::B(b) => Val::B(b.as_ref().to_vec()),
            other => panic!("not a key value: {other:?}"),
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Val::N(_))
    }
}

/// `(sign, exponent of the leading digit, significant digits)` of a plain decimal string.
pub fn decimal_parts(s: &str) -> (i8, i32, Vec<u8>) {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let Some(first) = digits.iter().position(|&d| d != 0) else {
        return (0, 0, Vec::new());
    };
    let last = digits.iter().rposition(|&d| d != 0).unwrap();
    let exponent = int.len() as i32 - 1 - first as i32;
    (
        if neg { -1 } else { 1 },
        exponent,
        digits[first..=last].to_vec(),
    )
}

pub fn cmp_decimal(a: &str, b: &str) -> Ordering {
    let (sa, ea, da) = decimal_parts(a);
    let (sb, eb, db) = decimal_parts(b);
    if sa != sb || sa == 0 {
        return sa.cmp(&sb);
    }
    let magnitude = ea.cmp(&eb).then_with(|| da.cmp(&db));
    if sa > 0 {
        magnitude
    } else {
        magnitude.reverse()
    }
}
