//! `AttributeValue`, its type tag, and DynamoDB's item-size arithmetic.

use std::collections::BTreeMap;
use std::fmt;

use crate::Number;

/// An item: attribute name → value, in name order.
pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB attribute value.
///
/// Sets are vectors in the order they were given (DynamoDB keeps no order either); the wire
/// decoder rejects empty sets and duplicates, code building values itself must do the same.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// String (`S`).
    S(String),
    /// Number (`N`).
    N(Number),
    /// Binary (`B`), raw bytes (base64 only on the wire).
    B(Vec<u8>),
    /// Boolean (`BOOL`).
    Bool(bool),
    /// Null (`NULL`, always `true` on the wire).
    Null,
    /// List (`L`).
    L(Vec<AttributeValue>),
    /// Map (`M`).
    M(Item),
    /// String set (`SS`).
    Ss(Vec<String>),
    /// Number set (`NS`).
    Ns(Vec<Number>),
    /// Binary set (`BS`).
    Bs(Vec<Vec<u8>>),
}

/// The type of an [`AttributeValue`], named as on the wire by [`AttributeType::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttributeType {
    /// `S`
    S,
    /// `N`
    N,
    /// `B`
    B,
    /// `BOOL`
    Bool,
    /// `NULL`
    Null,
    /// `L`
    L,
    /// `M`
    M,
    /// `SS`
    Ss,
    /// `NS`
    Ns,
    /// `BS`
    Bs,
}

impl AttributeType {
    /// Every type, in wire-name order of the AWS docs.
    pub const ALL: [AttributeType; 10] = [
        AttributeType::S,
        AttributeType::N,
        AttributeType::B,
        AttributeType::Bool,
        AttributeType::Null,
        AttributeType::L,
        AttributeType::M,
        AttributeType::Ss,
        AttributeType::Ns,
        AttributeType::Bs,
    ];

    /// The wire name: `"S"`, `"N"`, `"B"`, `"BOOL"`, `"NULL"`, `"L"`, `"M"`, `"SS"`, `"NS"`, `"BS"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AttributeType::S => "S",
            AttributeType::N => "N",
            AttributeType::B => "B",
            AttributeType::Bool => "BOOL",
            AttributeType::Null => "NULL",
            AttributeType::L => "L",
            AttributeType::M => "M",
            AttributeType::Ss => "SS",
            AttributeType::Ns => "NS",
            AttributeType::Bs => "BS",
        }
    }

    /// The type with this exact (case-sensitive) wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "S" => AttributeType::S,
            "N" => AttributeType::N,
            "B" => AttributeType::B,
            "BOOL" => AttributeType::Bool,
            "NULL" => AttributeType::Null,
            "L" => AttributeType::L,
            "M" => AttributeType::M,
            "SS" => AttributeType::Ss,
            "NS" => AttributeType::Ns,
            "BS" => AttributeType::Bs,
            _ => return None,
        })
    }

    /// Whether a key attribute may have this type (`S`, `N`, `B`).
    pub fn is_key_type(&self) -> bool {
        matches!(self, AttributeType::S | AttributeType::N | AttributeType::B)
    }

    /// Whether this is a set type (`SS`, `NS`, `BS`).
    pub fn is_set(&self) -> bool {
        matches!(
            self,
            AttributeType::Ss | AttributeType::Ns | AttributeType::Bs
        )
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AttributeValue {
    /// The value's type.
    pub fn attribute_type(&self) -> AttributeType {
        match self {
            AttributeValue::S(_) => AttributeType::S,
            AttributeValue::N(_) => AttributeType::N,
            AttributeValue::B(_) => AttributeType::B,
            AttributeValue::Bool(_) => AttributeType::Bool,
            AttributeValue::Null => AttributeType::Null,
            AttributeValue::L(_) => AttributeType::L,
            AttributeValue::M(_) => AttributeType::M,
            AttributeValue::Ss(_) => AttributeType::Ss,
            AttributeValue::Ns(_) => AttributeType::Ns,
            AttributeValue::Bs(_) => AttributeType::Bs,
        }
    }

    /// DynamoDB's size of this value in bytes, without the attribute name (see the developer
    /// guide's "Item sizes and formats"):
    ///
    /// - `S`: UTF-8 bytes; `B`: raw bytes; `N`: [`Number::size`]; `BOOL`, `NULL`: 1.
    /// - `L`: 3 + for each element 1 + its size.
    /// - `M`: 3 + for each entry 1 + name bytes + value size.
    /// - Sets: the sum of their elements' sizes.
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + v.size()).sum::<usize>(),
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(k, v)| 1 + k.len() + v.size())
                    .sum::<usize>()
            }
            AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
            AttributeValue::Ns(set) => set.iter().map(Number::size).sum(),
            AttributeValue::Bs(set) => set.iter().map(Vec::len).sum(),
        }
    }

    /// The string of an `S` value.
    pub fn as_s(&self) -> Option<&str> {
        match self {
            AttributeValue::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number of an `N` value.
    pub fn as_n(&self) -> Option<&Number> {
        match self {
            AttributeValue::N(n) => Some(n),
            _ => None,
        }
    }

    /// The bytes of a `B` value.
    pub fn as_b(&self) -> Option<&[u8]> {
        match self {
            AttributeValue::B(b) => Some(b),
            _ => None,
        }
    }
}

impl From<Number> for AttributeValue {
    fn from(n: Number) -> Self {
        AttributeValue::N(n)
    }
}

impl From<String> for AttributeValue {
    fn from(s: String) -> Self {
        AttributeValue::S(s)
    }
}

impl From<&str> for AttributeValue {
    fn from(s: &str) -> Self {
        AttributeValue::S(s.to_owned())
    }
}

impl From<bool> for AttributeValue {
    fn from(b: bool) -> Self {
        AttributeValue::Bool(b)
    }
}

/// DynamoDB's size of an item: for each attribute, the UTF-8 length of its name plus
/// [`AttributeValue::size`]. This is the figure checked against the 400 KB item limit and
/// rounded up for capacity units.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(s).unwrap())
    }

    #[test]
    fn type_names_round_trip() {
        for t in AttributeType::ALL {
            assert_eq!(AttributeType::parse(t.as_str()), Some(t));
            assert_eq!(t.to_string(), t.as_str());
        }
        assert_eq!(AttributeType::parse("bool"), None);
        assert_eq!(AttributeType::parse("Bool"), None);
        assert_eq!(AttributeType::parse(""), None);
        assert_eq!(AttributeType::Bool.as_str(), "BOOL");
        assert_eq!(AttributeType::Ns.as_str(), "NS");
    }

    #[test]
    fn attribute_type_of_each_variant() {
        let values = [
            AttributeValue::S("a".into()),
            num("1"),
            AttributeValue::B(vec![1]),
            AttributeValue::Bool(true),
            AttributeValue::Null,
            AttributeValue::L(vec![]),
            AttributeValue::M(Item::new()),
            AttributeValue::Ss(vec!["a".into()]),
            AttributeValue::Ns(vec![Number::from_i64(1)]),
            AttributeValue::Bs(vec![vec![1]]),
        ];
        for (v, t) in values.iter().zip(AttributeType::ALL) {
            assert_eq!(v.attribute_type(), t);
        }
        assert!(AttributeType::S.is_key_type());
        assert!(!AttributeType::Bool.is_key_type());
        assert!(AttributeType::Bs.is_set());
    }

    #[test]
    fn scalar_sizes() {
        assert_eq!(AttributeValue::S("hello".into()).size(), 5);
        assert_eq!(AttributeValue::S("".into()).size(), 0);
        // Multi-byte UTF-8 counts bytes, not characters.
        assert_eq!(AttributeValue::S("é€😀".into()).size(), 2 + 3 + 4);
        assert_eq!(AttributeValue::B(vec![0; 10]).size(), 10);
        assert_eq!(AttributeValue::Bool(false).size(), 1);
        assert_eq!(AttributeValue::Null.size(), 1);
        assert_eq!(num("27").size(), 2);
    }

    #[test]
    fn list_and_map_have_three_bytes_overhead_and_one_per_element() {
        assert_eq!(AttributeValue::L(vec![]).size(), 3);
        assert_eq!(AttributeValue::M(Item::new()).size(), 3);
        let list = AttributeValue::L(vec![AttributeValue::S("ab".into()), AttributeValue::Null]);
        assert_eq!(list.size(), 3 + (1 + 2) + (1 + 1));
        let mut m = Item::new();
        m.insert("key".into(), AttributeValue::S("value".into()));
        m.insert("n".into(), num("12"));
        assert_eq!(
            AttributeValue::M(m.clone()).size(),
            3 + (1 + 3 + 5) + (1 + 1 + 2)
        );
        let nested = AttributeValue::L(vec![AttributeValue::M(m)]);
        assert_eq!(nested.size(), 3 + 1 + 3 + (1 + 3 + 5) + (1 + 1 + 2));
    }

    #[test]
    fn set_sizes_are_sums_of_elements() {
        assert_eq!(
            AttributeValue::Ss(vec!["ab".into(), "cde".into()]).size(),
            5
        );
        assert_eq!(AttributeValue::Bs(vec![vec![1, 2], vec![3]]).size(), 3);
        let ns = AttributeValue::Ns(vec![Number::from_i64(1), Number::from_i64(-123)]);
        assert_eq!(ns.size(), 2 + 4);
    }

    #[test]
    fn item_size_adds_names() {
        // The `dyno-item-size` README example: {"string": "string", "number": 27,
        // "buffer": <6 bytes>} is 32 bytes.
        let mut item = Item::new();
        item.insert("string".into(), AttributeValue::S("string".into()));
        item.insert("number".into(), num("27"));
        item.insert("buffer".into(), AttributeValue::B(b"buffer".to_vec()));
        assert_eq!(item_size(&item), 6 + 6 + 6 + 2 + 6 + 6);
        assert_eq!(item_size(&Item::new()), 0);
        // A multi-byte attribute name counts its UTF-8 bytes.
        let mut item = Item::new();
        item.insert("ü".into(), AttributeValue::Bool(true));
        assert_eq!(item_size(&item), 2 + 1);
    }
}
