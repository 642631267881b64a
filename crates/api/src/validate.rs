//! DynamoDB's first validation pass, the one its service framework runs on each request member
//! before the operation sees it. Every broken constraint is collected and reported in one
//! message: `2 validation errors detected: Value 'x' at 'tableName' failed to satisfy
//! constraint: ...; Value null at 'keySchema' failed to satisfy constraint: Member must not be
//! null`.

use std::fmt::Display;

use crate::error::ApiError;

/// Collects constraint violations in the order the members are checked.
#[derive(Default)]
pub struct Violations {
    items: Vec<String>,
}

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `value` (already rendered as DynamoDB shows it) at `path` breaks `constraint`.
    pub fn push(&mut self, value: impl Display, path: &str, constraint: impl Display) {
        // DynamoDB stops listing after ten.
        if self.items.len() >= 10 {
            return;
        }
        self.items.push(format!(
            "Value {value} at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A rule between members that DynamoDB reports in this pass as a sentence of its own
    /// rather than as a constraint on one value (e.g. Query's `Select` rules).
    pub fn rule(&mut self, message: impl Into<String>) {
        if self.items.len() < 10 {
            self.items.push(message.into());
        }
    }

    /// `Member must not be null` for a missing required member.
    pub fn require<T>(&mut self, value: &Option<T>, path: &str) {
        if value.is_none() {
            self.push("null", path, "Member must not be null");
        }
    }

    /// Length bounds on a string member.
    pub fn length(&mut self, value: &str, path: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.push(
                quoted(value),
                path,
                format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.push(
                quoted(value),
                path,
                format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A string member that must be one of a fixed set.
    pub fn one_of(&mut self, value: &str, path: &str, allowed: &[&str]) {
        if !allowed.contains(&value) {
            self.push(
                quoted(value),
                path,
                format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
    }

    /// Table and index names: 3 to 255 characters of `[a-zA-Z0-9_.-]`.
    pub fn table_name(&mut self, value: &str, path: &str) {
        self.table_name_pattern(value, path);
        self.length(value, path, 3, 255);
    }

    /// The character rule of table and index names alone.
    pub fn table_name_pattern(&mut self, value: &str, path: &str) {
        if !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        {
            self.push(
                quoted(value),
                path,
                "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            );
        }
    }

    /// A number member with a lower bound.
    pub fn at_least(&mut self, value: i64, path: &str, min: i64) {
        if value < min {
            self.push(
                quoted(&value.to_string()),
                path,
                format!("Member must have value greater than or equal to {min}"),
            );
        }
    }

    /// A number member with an upper bound.
    pub fn at_most(&mut self, value: i64, path: &str, max: i64) {
        if value > max {
            self.push(
                quoted(&value.to_string()),
                path,
                format!("Member must have value less than or equal to {max}"),
            );
        }
    }

    /// Ok when nothing was broken, else the ValidationException DynamoDB sends.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.items.len() {
            0 => Ok(()),
            n => Err(ApiError::validation(format!(
                "{n} validation error{} detected: {}",
                if n == 1 { "" } else { "s" },
                self.items.join("; ")
            ))),
        }
    }
}

/// The checks DynamoDB makes on a `TableName` before any other: present, then 3 to 255
/// characters long. The character rule is a member constraint (see
/// [`Violations::table_name_pattern`]).
pub fn required_table_name(name: &Option<String>) -> Result<&str, ApiError> {
    let name = name.as_deref().ok_or_else(|| {
        ApiError::validation(
            "The parameter 'TableName' is required but was not present in the request",
        )
    })?;
    let n = name.chars().count();
    if !(3..=255).contains(&n) {
        return Err(ApiError::validation(
            "TableName must be at least 3 characters long and at most 255 characters long",
        ));
    }
    Ok(name)
}

/// A string value as DynamoDB quotes it in constraint messages.
pub fn quoted(s: &str) -> String {
    format!("'{s}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_violations_are_counted_and_joined() {
        let mut v = Violations::new();
        v.table_name("a!", "tableName");
        v.require::<()>(&None, "keySchema");
        let err = v.finish().unwrap_err();
        assert_eq!(
            err.message,
            "3 validation errors detected: Value 'a!' at 'tableName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
             Value 'a!' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; \
             Value null at 'keySchema' failed to satisfy constraint: Member must not be null"
        );
    }

    #[test]
    fn no_violation_is_ok() {
        let mut v = Violations::new();
        v.table_name("Music", "tableName");
        v.at_least(1, "limit", 1);
        assert!(v.finish().is_ok());
    }
}
