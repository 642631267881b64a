//! UpdateExpression after parsing, and applying it to an item.
//!
//! Semantics reproduced from DynamoDB:
//! - every `SET` right-hand side is computed from the item as it was *before* the update
//!   (`SET x = :v, y = x` copies the old `x`);
//! - list indexes in every action refer to positions in the old item: `REMOVE a[1] SET
//!   a[3] = :v` replaces the old fourth element and removes the old second one;
//! - `SET a[i]` past the end appends, several such appends in index order;
//! - `REMOVE` of something missing is a no-op, but its parent must exist (unless the whole
//!   item does not exist, in which case `REMOVE` does nothing at all);
//! - `ADD` to a missing attribute creates it; `DELETE` from a missing attribute does
//!   nothing, and removing a set's last element removes the attribute.

use ferrodyn_types::{AttributeValue, Item};

use crate::error::{ExprError, LegacyError};
use crate::path::{Path, PathElement};
use crate::projection::project_paths;

/// A value computed by a `SET` action.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOperand {
    /// The old value at a path (an error if missing).
    Path(Path),
    /// A constant from ExpressionAttributeValues.
    Value(AttributeValue),
    /// `if_not_exists(path, operand)`: the old value at `path`, or `operand` if missing.
    IfNotExists(Path, Box<UpdateOperand>),
    /// `list_append(a, b)`: the elements of list `a` followed by those of list `b`.
    ListAppend(Box<UpdateOperand>, Box<UpdateOperand>),
}

/// The right-hand side of `SET path = ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// A single operand.
    Operand(UpdateOperand),
    /// `a + b` (numbers).
    Plus(UpdateOperand, UpdateOperand),
    /// `a - b` (numbers).
    Minus(UpdateOperand, UpdateOperand),
}

/// One action of an UpdateExpression.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    /// `SET path = value`.
    Set(Path, SetValue),
    /// `REMOVE path`.
    Remove(Path),
    /// `ADD path :value` (a number to add, or a set to union in).
    Add(Path, AttributeValue),
    /// `DELETE path :value` (a set whose elements to remove).
    Delete(Path, AttributeValue),
}

impl UpdateAction {
    /// The document path the action modifies.
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

/// A parsed UpdateExpression (or a translated `AttributeUpdates`).
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    actions: Vec<UpdateAction>,
    /// Built from the legacy `AttributeUpdates`, whose type clashes DynamoDB reports as
    /// "Type mismatch for attribute to update".
    legacy: bool,
}

impl Update {
    /// An update made of these actions. Parsing guarantees the paths do not overlap;
    /// callers building actions themselves (legacy `AttributeUpdates`) must too.
    pub fn new(actions: Vec<UpdateAction>) -> Update {
        Update {
            actions,
            legacy: false,
        }
    }

    /// An update translated from the legacy `AttributeUpdates` parameter: the same
    /// actions, but applying it reports an `ADD`/`DELETE` type clash with the legacy
    /// message ([`LegacyError::TypeMismatch`]).
    pub(crate) fn from_attribute_updates(actions: Vec<UpdateAction>) -> Update {
        Update {
            actions,
            legacy: true,
        }
    }

    /// The actions in the order written.
    pub fn actions(&self) -> &[UpdateAction] {
        &self.actions
    }

    /// The attributes an UpdateExpression assigns whole with `SET name = ...` (none for a
    /// translated `AttributeUpdates`). DynamoDB words a wrong type for a secondary index key
    /// given that way "The update expression attempted to update the secondary index key to
    /// unsupported type".
    pub fn top_level_sets(&self) -> impl Iterator<Item = &str> {
        self.actions
            .iter()
            .filter(|_| !self.legacy)
            .filter_map(|a| match a {
                UpdateAction::Set(path, _) if path.is_top_level() => Some(path.attribute_name()),
                _ => None,
            })
    }

    /// The paths the update modifies, in the order written.
    pub fn updated_paths(&self) -> impl Iterator<Item = &Path> {
        self.actions.iter().map(UpdateAction::path)
    }

    /// DynamoDB refuses updates touching the table's key attributes; `key_attributes` are
    /// the key schema's names, partition key first. The error names the first key
    /// attribute (in that order) that some action modifies.
    pub fn check_key_attributes(&self, key_attributes: &[&str]) -> Result<(), ExprError> {
        for key in key_attributes {
            if self.updated_paths().any(|p| p.attribute_name() == *key) {
                return Err(ExprError::KeyAttributeUpdate((*key).to_owned()));
            }
        }
        Ok(())
    }

    /// What `ReturnValues=UPDATED_OLD` returns: `old` projected on the updated paths.
    pub fn updated_old(&self, old: &Item) -> Item {
        project_paths(old, self.updated_paths())
    }

    /// What `ReturnValues=UPDATED_NEW` returns: `new` projected on the updated paths.
    pub fn updated_new(&self, new: &Item) -> Item {
        project_paths(new, self.updated_paths())
    }

    /// Applies the update to `old` (`None`: the item does not exist yet and is created),
    /// returning the new item. `old` is not modified, so this can be retried.
    pub fn apply(&self, old: Option<&Item>) -> Result<Item, ExprError> {
        self.apply_actions(old).map_err(|e| match e {
            ExprError::IncorrectDataType if self.legacy => LegacyError::TypeMismatch.into(),
            e => e,
        })
    }

    fn apply_actions(&self, old: Option<&Item>) -> Result<Item, ExprError> {
        let empty = Item::new();
        let original = old.unwrap_or(&empty);

        // All right-hand sides are read from the old item, before anything is written.
        let mut set_values = Vec::new();
        for action in &self.actions {
            if let UpdateAction::Set(_, value) = action {
                set_values.push(evaluate_set_value(value, original)?);
            }
        }
        let mut set_values = set_values.into_iter();

        let mut item = original.clone();
        let mut appends: Vec<(&Path, usize, AttributeValue)> = Vec::new();
        let mut removals: Vec<&Path> = Vec::new();
        for action in &self.actions {
            match action {
                UpdateAction::Set(path, _) => {
                    let value = set_values.next().expect("one value per SET action");
                    match container(&mut item, path)? {
                        (Container::Map(map), PathElement::Name(key)) => {
                            map.insert(key.clone(), value);
                        }
                        (Container::List(list), PathElement::Index(i)) => {
                            if let Some(slot) = list.get_mut(*i) {
                                *slot = value;
                            } else {
                                appends.push((path, *i, value));
                            }
                        }
                        _ => return Err(ExprError::InvalidUpdatePath),
                    }
                }
                UpdateAction::Remove(path) => {
                    if old.is_none() {
                        // DynamoDB ignores REMOVE entirely when the item does not exist.
                        continue;
                    }
                    let (parent, last) = container(&mut item, path)?;
                    if parent.get(last).is_some() {
                        removals.push(path);
                    }
                }
                UpdateAction::Add(path, value) => {
                    let (mut parent, last) = container(&mut item, path)?;
                    if let Some(existing) = parent.get_mut(last) {
                        add_to(existing, value)?;
                        continue;
                    }
                    match (parent, last) {
                        (Container::Map(map), PathElement::Name(key)) => {
                            map.insert(key.clone(), value.clone());
                        }
                        (Container::List(_), PathElement::Index(i)) => {
                            appends.push((path, *i, value.clone()));
                        }
                        _ => return Err(ExprError::InvalidUpdatePath),
                    }
                }
                UpdateAction::Delete(path, value) => {
                    let (mut parent, last) = container(&mut item, path)?;
                    let emptied = match parent.get_mut(last) {
                        Some(existing) => delete_from(existing, value)?,
                        None => continue,
                    };
                    if emptied {
                        // The set became empty: DynamoDB removes the attribute.
                        match (parent, last) {
                            (Container::Map(map), PathElement::Name(key)) => {
                                map.remove(key);
                            }
                            _ => removals.push(path),
                        }
                    }
                }
            }
        }

        // Appends past the end of lists, in index order.
        appends.sort_by_key(|(_, index, _)| *index);
        for (path, _, value) in appends {
            if let (Container::List(list), _) = container(&mut item, path)? {
                list.push(value);
            }
        }

        // Removals last, deepest and highest index first, so that removing one list
        // element never shifts another removal's target.
        removals.sort_by(|a, b| b.cmp_steps(a));
        for path in removals {
            match container(&mut item, path)? {
                (Container::Map(map), PathElement::Name(key)) => {
                    map.remove(key);
                }
                (Container::List(list), PathElement::Index(i)) if *i < list.len() => {
                    list.remove(*i);
                }
                _ => {}
            }
        }
        Ok(item)
    }
}

/// The map or list holding a path's last step.
enum Container<'a> {
    Map(&'a mut Item),
    List(&'a mut Vec<AttributeValue>),
}

impl Container<'_> {
    fn get(&self, element: &PathElement) -> Option<&AttributeValue> {
        match (self, element) {
            (Container::Map(m), PathElement::Name(k)) => m.get(k),
            (Container::List(l), PathElement::Index(i)) => l.get(*i),
            _ => None,
        }
    }

    fn get_mut(&mut self, element: &PathElement) -> Option<&mut AttributeValue> {
        match (self, element) {
            (Container::Map(m), PathElement::Name(k)) => m.get_mut(k),
            (Container::List(l), PathElement::Index(i)) => l.get_mut(*i),
            _ => None,
        }
    }
}

/// Finds the container of `path`'s last step. Every intermediate step must exist and the
/// container must be a map for a name step, a list for an index step; otherwise DynamoDB's
/// "document path provided in the update expression is invalid for update".
fn container<'a, 'p>(
    item: &'a mut Item,
    path: &'p Path,
) -> Result<(Container<'a>, &'p PathElement), ExprError> {
    let elements = path.elements();
    let last = &elements[elements.len() - 1];
    if elements.len() == 1 {
        return Ok((Container::Map(item), last));
    }
    let mut current = item
        .get_mut(path.attribute_name())
        .ok_or(ExprError::InvalidUpdatePath)?;
    for element in &elements[1..elements.len() - 1] {
        current = match (current, element) {
            (AttributeValue::M(map), PathElement::Name(key)) => map.get_mut(key),
            (AttributeValue::L(list), PathElement::Index(i)) => list.get_mut(*i),
            _ => None,
        }
        .ok_or(ExprError::InvalidUpdatePath)?;
    }
    match (current, last) {
        (AttributeValue::M(map), PathElement::Name(_)) => Ok((Container::Map(map), last)),
        (AttributeValue::L(list), PathElement::Index(_)) => Ok((Container::List(list), last)),
        _ => Err(ExprError::InvalidUpdatePath),
    }
}

fn evaluate_operand(operand: &UpdateOperand, item: &Item) -> Result<AttributeValue, ExprError> {
    match operand {
        UpdateOperand::Path(path) => path.get(item).cloned().ok_or(ExprError::MissingAttribute),
        UpdateOperand::Value(value) => Ok(value.clone()),
        UpdateOperand::IfNotExists(path, fallback) => match path.get(item) {
            Some(value) => Ok(value.clone()),
            None => evaluate_operand(fallback, item),
        },
        UpdateOperand::ListAppend(a, b) => {
            let AttributeValue::L(mut first) = evaluate_operand(a, item)? else {
                return Err(ExprError::IncorrectDataType);
            };
            let AttributeValue::L(second) = evaluate_operand(b, item)? else {
                return Err(ExprError::IncorrectDataType);
            };
            first.extend(second);
            Ok(AttributeValue::L(first))
        }
    }
}

fn evaluate_set_value(value: &SetValue, item: &Item) -> Result<AttributeValue, ExprError> {
    let (a, b, plus) = match value {
        SetValue::Operand(o) => return evaluate_operand(o, item),
        SetValue::Plus(a, b) => (a, b, true),
        SetValue::Minus(a, b) => (a, b, false),
    };
    let AttributeValue::N(x) = evaluate_operand(a, item)? else {
        return Err(ExprError::IncorrectDataType);
    };
    let AttributeValue::N(y) = evaluate_operand(b, item)? else {
        return Err(ExprError::IncorrectDataType);
    };
    let result = if plus {
        x.checked_add(&y)?
    } else {
        x.checked_sub(&y)?
    };
    Ok(AttributeValue::N(result))
}

/// `ADD` into an existing value: number addition or set union.
fn add_to(existing: &mut AttributeValue, value: &AttributeValue) -> Result<(), ExprError> {
    match (existing, value) {
        (AttributeValue::N(x), AttributeValue::N(y)) => *x = x.checked_add(y)?,
        (AttributeValue::Ss(x), AttributeValue::Ss(y)) => union(x, y),
        (AttributeValue::Ns(x), AttributeValue::Ns(y)) => union(x, y),
        (AttributeValue::Bs(x), AttributeValue::Bs(y)) => union(x, y),
        _ => return Err(ExprError::IncorrectDataType),
    }
    Ok(())
}

fn union<T: PartialEq + Clone>(set: &mut Vec<T>, more: &[T]) {
    for e in more {
        if !set.contains(e) {
            set.push(e.clone());
        }
    }
}

/// `DELETE` from an existing set; returns whether the set is now empty.
fn delete_from(existing: &mut AttributeValue, value: &AttributeValue) -> Result<bool, ExprError> {
    Ok(match (existing, value) {
        (AttributeValue::Ss(x), AttributeValue::Ss(y)) => difference(x, y),
        (AttributeValue::Ns(x), AttributeValue::Ns(y)) => difference(x, y),
        (AttributeValue::Bs(x), AttributeValue::Bs(y)) => difference(x, y),
        _ => return Err(ExprError::IncorrectDataType),
    })
}

fn difference<T: PartialEq>(set: &mut Vec<T>, remove: &[T]) -> bool {
    set.retain(|e| !remove.contains(e));
    set.is_empty()
}
