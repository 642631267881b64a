//! Document paths (`a.b[2].c`) with placeholders already resolved, and reading through them.

use std::cmp::Ordering;
use std::fmt;

use ferrodyn_types::{AttributeValue, Item};

/// DynamoDB's limit on document path depth (a top-level attribute counts as one level).
pub const MAX_PATH_DEPTH: usize = 32;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElement {
    /// A map key (or, first, a top-level attribute name), after `#name` substitution.
    Name(String),
    /// A list index, `[n]`.
    Index(usize),
}

/// A document path: a top-level attribute name followed by map keys and list indexes.
/// The first element is always a [`PathElement::Name`].
///
/// `Display` is DynamoDB's form in error messages: `[a, b, [2], c]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    elements: Vec<PathElement>,
}

impl Path {
    /// A path naming one top-level attribute.
    pub fn attribute(name: impl Into<String>) -> Path {
        Path {
            elements: vec![PathElement::Name(name.into())],
        }
    }

    /// A path from its elements. Returns `None` if `elements` is empty or does not start
    /// with a name.
    pub fn from_elements(elements: Vec<PathElement>) -> Option<Path> {
        match elements.first() {
            Some(PathElement::Name(_)) => Some(Path { elements }),
            _ => None,
        }
    }

    /// This path extended by a map key.
    pub fn key(mut self, name: impl Into<String>) -> Path {
        self.elements.push(PathElement::Name(name.into()));
        self
    }

    /// This path extended by a list index.
    pub fn index(mut self, index: usize) -> Path {
        self.elements.push(PathElement::Index(index));
        self
    }

    /// The top-level attribute this path starts at.
    pub fn attribute_name(&self) -> &str {
        match &self.elements[0] {
            PathElement::Name(n) => n,
            PathElement::Index(_) => unreachable!("a path starts with a name"),
        }
    }

    /// All steps, the top-level attribute first.
    pub fn elements(&self) -> &[PathElement] {
        &self.elements
    }

    /// Whether the path is just a top-level attribute.
    pub fn is_top_level(&self) -> bool {
        self.elements.len() == 1
    }

    /// The value this path designates in `item`, if there is one.
    pub fn get<'a>(&self, item: &'a Item) -> Option<&'a AttributeValue> {
        let mut current = item.get(self.attribute_name())?;
        for element in &self.elements[1..] {
            current = step(current, element)?;
        }
        Some(current)
    }

    /// Ordering used to apply list-element removals from the back: compares step by step,
    /// names by text and indexes numerically (a name sorts before an index).
    pub(crate) fn cmp_steps(&self, other: &Path) -> Ordering {
        for (a, b) in self.elements.iter().zip(&other.elements) {
            let ord = match (a, b) {
                (PathElement::Name(x), PathElement::Name(y)) => x.cmp(y),
                (PathElement::Index(x), PathElement::Index(y)) => x.cmp(y),
                (PathElement::Name(_), PathElement::Index(_)) => Ordering::Less,
                (PathElement::Index(_), PathElement::Name(_)) => Ordering::Greater,
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.elements.len().cmp(&other.elements.len())
    }
}

/// One step into a map or list value.
pub(crate) fn step<'a>(
    value: &'a AttributeValue,
    element: &PathElement,
) -> Option<&'a AttributeValue> {
    match (value, element) {
        (AttributeValue::M(map), PathElement::Name(name)) => map.get(name),
        (AttributeValue::L(list), PathElement::Index(i)) => list.get(*i),
        _ => None,
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, element) in self.elements.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match element {
                PathElement::Name(name) => f.write_str(name)?,
                PathElement::Index(index) => write!(f, "[{index}]")?,
            }
        }
        f.write_str("]")
    }
}

/// How two paths of one request relate, for the overlap/conflict checks of UpdateExpression
/// and ProjectionExpression.
pub(crate) enum PathRelation {
    /// Neither is a prefix of the other and they agree on step kinds where they meet.
    Independent,
    /// One is a prefix of (or equal to) the other.
    Overlap,
    /// At some step one uses a map key and the other a list index, after an equal prefix.
    Conflict,
}

pub(crate) fn relation(a: &Path, b: &Path) -> PathRelation {
    for (x, y) in a.elements.iter().zip(&b.elements) {
        match (x, y) {
            (PathElement::Name(p), PathElement::Name(q)) if p == q => continue,
            (PathElement::Index(p), PathElement::Index(q)) if p == q => continue,
            (PathElement::Name(_), PathElement::Name(_))
            | (PathElement::Index(_), PathElement::Index(_)) => return PathRelation::Independent,
            _ => return PathRelation::Conflict,
        }
    }
    PathRelation::Overlap
}

/// The first overlapping pair and the first conflicting pair among `paths` (each pair
/// ordered as written), used by UpdateExpression and ProjectionExpression validation.
/// Overlaps are reported before conflicts, as DynamoDB does.
pub(crate) fn check_overlaps(paths: &[&Path]) -> Result<(), crate::error::InvalidReason> {
    let mut conflict = None;
    for (j, later) in paths.iter().enumerate() {
        for earlier in &paths[..j] {
            match relation(earlier, later) {
                PathRelation::Independent => {}
                PathRelation::Overlap => {
                    return Err(crate::error::InvalidReason::PathsOverlap(
                        (*earlier).clone(),
                        (*later).clone(),
                    ))
                }
                PathRelation::Conflict => {
                    if conflict.is_none() {
                        conflict = Some(((*earlier).clone(), (*later).clone()));
                    }
                }
            }
        }
    }
    match conflict {
        Some((a, b)) => Err(crate::error::InvalidReason::PathsConflict(a, b)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_dynamodb() {
        let p = Path::attribute("a").key("b").index(2).key("c");
        assert_eq!(p.to_string(), "[a, b, [2], c]");
    }

    #[test]
    fn relations() {
        let a = Path::attribute("a");
        let ab = Path::attribute("a").key("b");
        let ac = Path::attribute("a").key("c");
        let a1 = Path::attribute("a").index(1);
        assert!(matches!(relation(&a, &ab), PathRelation::Overlap));
        assert!(matches!(relation(&ab, &ab), PathRelation::Overlap));
        assert!(matches!(relation(&ab, &ac), PathRelation::Independent));
        assert!(matches!(relation(&ab, &a1), PathRelation::Conflict));
    }
}
