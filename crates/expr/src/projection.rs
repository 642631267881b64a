//! ProjectionExpression: the document paths to return, and building the returned item.
//!
//! DynamoDB returns projected nested values inside their original hierarchy: projecting
//! `a.b[2].c` from `{a: {b: [x, y, {c: 1, d: 2}]}}` yields `{a: {b: [{c: 1}]}}`. List
//! elements keep their relative order but are packed (the `[2]` above becomes the first
//! element). Paths the item lacks contribute nothing.

use std::collections::BTreeMap;

use ferrodyn_types::{AttributeValue, Item};

use crate::path::{Path, PathElement};

/// A parsed ProjectionExpression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    paths: Vec<Path>,
}

impl Projection {
    /// A projection of these paths (as `AttributesToGet` would give, or after parsing).
    /// The paths should not overlap; parsing guarantees that.
    pub fn new(paths: Vec<Path>) -> Projection {
        Projection { paths }
    }

    /// The projected paths, in the order written.
    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// The top-level attributes the projection reads (for fetching only what is needed).
    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(Path::attribute_name)
    }

    /// The part of `item` this projection selects.
    pub fn apply(&self, item: &Item) -> Item {
        project_paths(item, &self.paths)
    }
}

/// The part of `item` designated by `paths`, nested as in the item. Also what UpdateItem's
/// `UPDATED_OLD` / `UPDATED_NEW` return: the old or new item projected on the updated paths.
pub fn project_paths<'p>(item: &Item, paths: impl IntoIterator<Item = &'p Path>) -> Item {
    let paths = paths.into_iter();
    let mut top: BTreeMap<String, Node> = BTreeMap::new();
    let mut result = Item::new();
    for path in paths {
        let Some(value) = path.get(item) else {
            continue;
        };
        if path.is_top_level() {
            result.insert(path.attribute_name().to_owned(), value.clone());
        } else {
            let elements = path.elements();
            let head = path.attribute_name();
            let node = top
                .entry(head.to_owned())
                .or_insert_with(|| Node::container_for(&elements[1]));
            node.insert(&elements[1..], value);
        }
    }
    for (name, node) in top {
        // A top-level path and a nested one under the same attribute would overlap, which
        // parsing rejects; the top-level value wins if it happens anyway.
        result.entry(name).or_insert_with(|| node.into_value());
    }
    result
}

/// A partially built projected value.
enum Node {
    Value(AttributeValue),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<usize, Node>),
}

impl Node {
    fn container_for(next: &PathElement) -> Node {
        match next {
            PathElement::Name(_) => Node::Map(BTreeMap::new()),
            PathElement::Index(_) => Node::List(BTreeMap::new()),
        }
    }

    /// Inserts `value` at `rest` below this node (a container matching `rest[0]`).
    fn insert(&mut self, rest: &[PathElement], value: &AttributeValue) {
        let (first, more) = (&rest[0], &rest[1..]);
        let child = match (self, first) {
            (Node::Map(map), PathElement::Name(key)) => map.entry(key.clone()),
            (Node::List(list), PathElement::Index(i)) => {
                return Self::insert_child(list.entry(*i), more, value);
            }
            _ => return,
        };
        Self::insert_child(child, more, value)
    }

    fn insert_child<K: Ord>(
        entry: std::collections::btree_map::Entry<'_, K, Node>,
        more: &[PathElement],
        value: &AttributeValue,
    ) {
        if more.is_empty() {
            entry.or_insert_with(|| Node::Value(value.clone()));
        } else {
            entry
                .or_insert_with(|| Node::container_for(&more[0]))
                .insert(more, value);
        }
    }

    fn into_value(self) -> AttributeValue {
        match self {
            Node::Value(v) => v,
            Node::Map(map) => {
                AttributeValue::M(map.into_iter().map(|(k, n)| (k, n.into_value())).collect())
            }
            Node::List(list) => {
                AttributeValue::L(list.into_values().map(Node::into_value).collect())
            }
        }
    }
}
