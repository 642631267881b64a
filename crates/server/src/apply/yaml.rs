//! Templates as a tree of nodes that remember where they were written: YAML (with
//! CloudFormation's short intrinsic tags turned into their long forms, `!Ref X` into
//! `{Ref: X}`) and JSON (read by the same YAML 1.2 parser, JSON being YAML; serde_json takes
//! over, without positions, for the rare JSON text the YAML parser refuses).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A place in the template: 1-based line and column; line 0 when unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    fn of(mark: Marker) -> Pos {
        Pos {
            line: mark.line(),
            col: mark.col() + 1,
        }
    }
}

/// A template error: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub pos: Pos,
    pub message: String,
}

impl Error {
    pub fn at(pos: Pos, message: impl Into<String>) -> Error {
        Error {
            pos,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.pos.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(
                f,
                "line {} column {}: {}",
                self.pos.line, self.pos.col, self.message
            )
        }
    }
}

/// A mapping key and where it was written.
#[derive(Clone, Debug)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    /// A string, number or boolean, as written (`5`, `"5"` and `5.0` are three scalars;
    /// CloudFormation reads numbers and booleans from strings too).
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
}

impl Node {
    pub fn scalar(text: impl Into<String>, pos: Pos) -> Node {
        Node {
            value: Value::Scalar(text.into()),
            pos,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// Equal values, wherever they were written (`Fn::Equals`).
    pub fn same(&self, other: &Node) -> bool {
        match (&self.value, &other.value) {
            (Value::Null, Value::Null) => true,
            (Value::Scalar(a), Value::Scalar(b)) => a == b,
            (Value::Seq(a), Value::Seq(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter().all(|(k, v)| {
                        b.iter()
                            .find(|(k2, _)| k2.name == k.name)
                            .is_some_and(|(_, v2)| v.same(v2))
                    })
            }
            _ => false,
        }
    }

    /// A short description of the node's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar(_) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// The short forms of CloudFormation's intrinsic functions (`!Name`) and their long names.
const SHORT_FORMS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("If", "Fn::If"),
    ("Equals", "Fn::Equals"),
    ("Not", "Fn::Not"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Select", "Fn::Select"),
    ("Join", "Fn::Join"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("GetAZs", "Fn::GetAZs"),
    ("Base64", "Fn::Base64"),
    ("ImportValue", "Fn::ImportValue"),
    ("Cidr", "Fn::Cidr"),
    ("Transform", "Fn::Transform"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("Length", "Fn::Length"),
];

/// Parses a template, YAML or JSON.
pub fn parse(text: &str) -> Result<Node, Error> {
    let json = text.trim_start().starts_with('{');
    match parse_yaml(text) {
        Ok(node) => Ok(node),
        // Only a syntax error: a duplicate key is one in JSON too.
        Err(yaml_error) if json && yaml_error.message.starts_with("invalid YAML") => {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => Ok(from_json(&value)),
                Err(e) => Err(Error::at(
                    Pos {
                        line: e.line(),
                        col: e.column(),
                    },
                    format!("invalid JSON: {e}")
                        .split(" at line ")
                        .next()
                        .unwrap_or("invalid JSON")
                        .to_owned(),
                )),
            }
            .map_err(|e| if e.pos.line == 0 { yaml_error } else { e })
        }
        Err(e) => Err(e),
    }
}

fn from_json(value: &serde_json::Value) -> Node {
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Scalar(b.to_string()),
        serde_json::Value::Number(n) => Value::Scalar(n.to_string()),
        serde_json::Value::String(s) => Value::Scalar(s.clone()),
        serde_json::Value::Array(a) => Value::Seq(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| {
                    (
                        Key {
                            name: k.clone(),
                            pos: Pos::default(),
                        },
                        from_json(v),
                    )
                })
                .collect(),
        ),
    };
    Node {
        value,
        pos: Pos::default(),
    }
}

fn parse_yaml(text: &str) -> Result<Node, Error> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, false)
        .map_err(|e| Error::at(Pos::of(*e.marker()), format!("invalid YAML: {}", e.info())))?;
    if let Some(e) = builder.error {
        return Err(e);
    }
    match builder.root {
        Some(root) if !matches!(root.value, Value::Null) => Ok(root),
        _ => Err(Error::at(Pos::default(), "the template is empty")),
    }
}

enum Frame {
    Seq {
        pos: Pos,
        tag: Option<Tag>,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        tag: Option<Tag>,
        anchor: usize,
        entries: Vec<(Key, Node)>,
        key: Option<Key>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    error: Option<Error>,
}

impl Builder {
    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// A node with its tag applied: `!Ref x` becomes `{Ref: x}`.
    fn tagged(&mut self, node: Node, tag: Option<Tag>) -> Node {
        let Some(tag) = tag else { return node };
        // `!!str` and the other core tags: the value as it is.
        if tag.handle != "!" {
            return node;
        }
        let Some(&(_, long)) = SHORT_FORMS.iter().find(|(s, _)| *s == tag.suffix) else {
            self.fail(Error::at(
                node.pos,
                format!(
                    "unknown tag !{}: CloudFormation's short forms are !Ref, !Sub, !GetAtt, \
                     !If, !Equals, !Not, !And, !Or, !Select, !Join, !Split, !FindInMap, \
                     !GetAZs, !Condition, ...",
                    tag.suffix
                ),
            ));
            return node;
        };
        let pos = node.pos;
        let arg = match (long, &node.value) {
            // `!GetAtt Table.Arn`: the resource and the attribute, split at the first dot.
            ("Fn::GetAtt", Value::Scalar(s)) => match s.split_once('.') {
                Some((resource, attribute)) => Node {
                    value: Value::Seq(vec![
                        Node::scalar(resource, pos),
                        Node::scalar(attribute, pos),
                    ]),
                    pos,
                },
                None => node,
            },
            _ => node,
        };
        Node {
            value: Value::Map(vec![(
                Key {
                    name: long.to_owned(),
                    pos,
                },
                arg,
            )]),
            pos,
        }
    }

    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, node)),
                None => {
                    let name = match node.value {
                        Value::Scalar(s) => s,
                        Value::Null => String::new(),
                        _ => {
                            let e = Error::at(node.pos, "a mapping key must be a string");
                            self.fail(e);
                            return;
                        }
                    };
                    if entries.iter().any(|(k, _)| k.name == name) {
                        let e = Error::at(node.pos, format!("duplicate key {name}"));
                        self.fail(e);
                        return;
                    }
                    *key = Some(Key {
                        name,
                        pos: node.pos,
                    });
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos::of(mark);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain;
                let null = plain
                    && tag.is_none()
                    && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                let node = Node {
                    value: if null {
                        Value::Null
                    } else {
                        Value::Scalar(text)
                    },
                    pos,
                };
                let node = self.tagged(node, tag);
                self.push(node, anchor);
            }
            Event::SequenceStart(anchor, tag) => self.stack.push(Frame::Seq {
                pos,
                tag,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, tag) => self.stack.push(Frame::Map {
                pos,
                tag,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, tag, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        pos,
                        tag,
                        anchor,
                        items,
                    }) => (
                        Node {
                            value: Value::Seq(items),
                            pos,
                        },
                        tag,
                        anchor,
                    ),
                    Some(Frame::Map {
                        pos,
                        tag,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            value: Value::Map(entries),
                            pos,
                        },
                        tag,
                        anchor,
                    ),
                    None => return,
                };
                let node = self.tagged(node, tag);
                self.push(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let node = Node {
                        pos,
                        ..node.clone()
                    };
                    self.push(node, 0);
                }
                None => self.fail(Error::at(pos, "alias of an unknown anchor")),
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_tags_become_long_forms_with_positions() {
        let node = parse("A:\n  B: !Ref Param\n  C: !GetAtt T.Arn\n  D: !Sub [x, {}]\n").unwrap();
        let a = node.get("A").unwrap();
        let b = a.get("B").unwrap();
        assert_eq!(b.get("Ref").unwrap().as_str(), Some("Param"));
        assert_eq!(b.pos, Pos { line: 2, col: 11 });
        let c = a.get("C").unwrap().get("Fn::GetAtt").unwrap();
        let parts: Vec<_> = c.as_seq().unwrap().iter().map(|n| n.as_str()).collect();
        assert_eq!(parts, [Some("T"), Some("Arn")]);
        assert!(a
            .get("D")
            .unwrap()
            .get("Fn::Sub")
            .unwrap()
            .as_seq()
            .is_some());
        let keys: Vec<_> = a.as_map().unwrap().iter().map(|(k, _)| k.pos).collect();
        assert_eq!(keys[0], Pos { line: 2, col: 3 });
    }

    #[test]
    fn json_templates_keep_positions_and_nulls() {
        let node = parse("{\n  \"A\": {\"Ref\": \"X\"},\n  \"B\": null, \"C\": 5\n}").unwrap();
        assert_eq!(
            node.get("A").unwrap().get("Ref").unwrap().as_str(),
            Some("X")
        );
        assert_eq!(node.get("A").unwrap().pos.line, 2);
        assert!(matches!(node.get("B").unwrap().value, Value::Null));
        assert_eq!(node.get("C").unwrap().as_str(), Some("5"));
    }

    #[test]
    fn errors_name_their_line_and_column() {
        let e = parse("A:\n  B: [1, 2\n  C: 3\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{e:?}");
        assert!(e.pos.line >= 2, "{e:?}");
        let e = parse("A: 1\nA: 2\n").unwrap_err();
        assert_eq!(e, Error::at(Pos { line: 2, col: 1 }, "duplicate key A"));
        let e = parse("A: !Nope x\n").unwrap_err();
        assert!(e.message.starts_with("unknown tag !Nope"), "{e:?}");
        assert_eq!(e.pos, Pos { line: 1, col: 10 });
        let e = parse("{\"A\": [1,}").unwrap_err();
        assert_eq!(e.pos.line, 1, "{e:?}");
        assert!(parse("").is_err());
    }

    #[test]
    fn anchors_and_aliases_copy_nodes() {
        let node = parse("A: &x {B: 1}\nC: *x\n").unwrap();
        assert_eq!(node.get("C").unwrap().get("B").unwrap().as_str(), Some("1"));
    }
}
