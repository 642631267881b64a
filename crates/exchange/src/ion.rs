//! Amazon Ion text for export data files: one `$ion_1_0 {Item:{...}}` line per item.
//!
//! DynamoDB's mapping (developer guide, "DynamoDB table export output format"): `S` → string,
//! `N` → decimal, `B` → blob, `BOOL` → bool, `NULL` → null, `L` → list, `M` → struct, and the
//! sets → lists annotated `$dynamodb_SS`, `$dynamodb_NS`, `$dynamodb_BS`. Decimals are written
//! the way DynamoDB's examples show them: `103.` for an integer, `6d2` for 600, `15d-1` for 1.5.
//! Only written, never read: this is the small subset of Ion text those values need.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ferrodyn_types::{AttributeValue, Item, Number};

/// Appends `item` as one Ion line (with its trailing newline) to `out`.
pub(crate) fn write_item_line(item: &Item, out: &mut String) {
    out.push_str("$ion_1_0 {Item:");
    write_struct(item, out);
    out.push_str("}\n");
}

fn write_struct(map: &Item, out: &mut String) {
    out.push('{');
    for (i, (name, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_field_name(name, out);
        out.push(':');
        write_value(value, out);
    }
    out.push('}');
}

fn write_value(value: &AttributeValue, out: &mut String) {
    match value {
        AttributeValue::S(s) => write_quoted(s, '"', out),
        AttributeValue::N(n) => write_decimal(n, out),
        AttributeValue::B(b) => write_blob(b, out),
        AttributeValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        AttributeValue::Null => out.push_str("null"),
        AttributeValue::L(list) => write_list(list, out, write_value),
        AttributeValue::M(map) => write_struct(map, out),
        AttributeValue::Ss(set) => {
            out.push_str("$dynamodb_SS::");
            write_list(set, out, |s, out| write_quoted(s, '"', out));
        }
        AttributeValue::Ns(set) => {
            out.push_str("$dynamodb_NS::");
            write_list(set, out, write_decimal);
        }
        AttributeValue::Bs(set) => {
            out.push_str("$dynamodb_BS::");
            write_list(set, out, |b, out| write_blob(b, out));
        }
    }
}

fn write_list<T>(items: &[T], out: &mut String, mut write: impl FnMut(&T, &mut String)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(item, out);
    }
    out.push(']');
}

/// `±coefficient` then `.` (exponent 0) or `d<exponent>`: exact, and an Ion decimal, never an
/// Ion int or float.
fn write_decimal(n: &Number, out: &mut String) {
    use std::fmt::Write;
    if n.is_negative() {
        out.push('-');
    }
    let _ = write!(out, "{}", n.coefficient());
    match n.exponent() {
        0 => out.push('.'),
        exp => {
            let _ = write!(out, "d{exp}");
        }
    }
}

fn write_blob(bytes: &[u8], out: &mut String) {
    out.push_str("{{");
    BASE64.encode_string(bytes, out);
    out.push_str("}}");
}

/// A field name as a bare identifier when Ion allows one (as DynamoDB's examples show them),
/// else as a quoted symbol.
fn write_field_name(name: &str, out: &mut String) {
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(name, "null" | "true" | "false" | "nan");
    if identifier {
        out.push_str(name);
    } else {
        write_quoted(name, '\'', out);
    }
}

/// A string (`"`) or quoted symbol (`'`): the quote and backslash escaped, control characters
/// as `\xHH`; everything else is UTF-8 as is, which Ion text allows.
fn write_quoted(s: &str, quote: char, out: &mut String) {
    use std::fmt::Write;
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    fn line(item: &Item) -> String {
        let mut out = String::new();
        write_item_line(item, &mut out);
        out
    }

    #[test]
    fn developer_guide_book_item_as_ion() {
        // The item of the developer guide's Ion export example.
        let item = Item::from([
            (
                "Authors".to_string(),
                AttributeValue::Ss(vec!["Author1".into(), "Author2".into()]),
            ),
            (
                "Dimensions".into(),
                AttributeValue::S("8.5 x 11.0 x 1.5".into()),
            ),
            ("ISBN".into(), AttributeValue::S("333-3333333333".into())),
            ("Id".into(), AttributeValue::N(num("103"))),
            ("InPublication".into(), AttributeValue::Bool(false)),
            ("PageCount".into(), AttributeValue::N(num("600"))),
            ("Price".into(), AttributeValue::N(num("2000"))),
            ("ProductCategory".into(), AttributeValue::S("Book".into())),
            ("Title".into(), AttributeValue::S("Book 103 Title".into())),
        ]);
        assert_eq!(
            line(&item),
            "$ion_1_0 {Item:{Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],\
             Dimensions:\"8.5 x 11.0 x 1.5\",ISBN:\"333-3333333333\",Id:103.,\
             InPublication:false,PageCount:6d2,Price:2d3,ProductCategory:\"Book\",\
             Title:\"Book 103 Title\"}}\n"
        );
    }

    #[test]
    fn every_other_type_as_ion() {
        let inner = Item::from([("k".to_string(), AttributeValue::Null)]);
        let item = Item::from([
            ("b".to_string(), AttributeValue::B(vec![0, 1, 2, 255])),
            ("bs".into(), AttributeValue::Bs(vec![vec![1], vec![2, 3]])),
            (
                "l".into(),
                AttributeValue::L(vec![AttributeValue::Bool(true), AttributeValue::M(inner)]),
            ),
            (
                "ns".into(),
                AttributeValue::Ns(vec![num("-1.5"), num("0"), num("0.001")]),
            ),
            ("empty".into(), AttributeValue::M(Item::new())),
        ]);
        assert_eq!(
            line(&item),
            "$ion_1_0 {Item:{b:{{AAEC/w==}},bs:$dynamodb_BS::[{{AQ==}},{{AgM=}}],empty:{},\
             l:[true,{k:null}],ns:$dynamodb_NS::[-15d-1,0.,1d-3]}}\n"
        );
    }

    #[test]
    fn names_and_strings_are_escaped() {
        let item = Item::from([
            (
                "with space".to_string(),
                AttributeValue::S("a\"b\\c\nd\u{1}é😀".into()),
            ),
            ("it's".into(), AttributeValue::S("'".into())),
            ("null".into(), AttributeValue::S("".into())),
            ("9lives".into(), AttributeValue::S("x".into())),
            ("$ion".into(), AttributeValue::S("y".into())),
        ]);
        assert_eq!(
            line(&item),
            "$ion_1_0 {Item:{'$ion':\"y\",'9lives':\"x\",'it\\'s':\"'\",'null':\"\",\
             'with space':\"a\\\"b\\\\c\\nd\\x01é😀\"}}\n"
        );
    }
}
