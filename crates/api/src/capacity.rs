//! ConsumedCapacity: the wire shape of what an operation consumed (`ferrodyn_engine::Consumed`),
//! as `ReturnConsumedCapacity` asks for it.
//!
//! TOTAL gives TableName and CapacityUnits; INDEXES adds `Table` and, for each index touched,
//! an entry under LocalSecondaryIndexes or GlobalSecondaryIndexes (DynamoDB Local answers so;
//! a read of an index lists the table at zero). ReadCapacityUnits / WriteCapacityUnits appear
//! only for transactions, as DynamoDB reports them (plain reads and writes give
//! CapacityUnits alone: aws/aws-sdk-java#1986, aws/aws-sdk-go#2699).

use std::collections::BTreeMap;

use ferrodyn_engine::{
    BillingMode, Consumed, IndexKind, OnDemandChange, OnDemandThroughput, TableConsumed,
};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What `ReturnConsumedCapacity` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReturnCapacity {
    /// NONE or absent.
    None,
    /// TOTAL.
    Total,
    /// INDEXES.
    Indexes,
}

impl ReturnCapacity {
    /// From the (already validated) member.
    pub(crate) fn parse(value: Option<&str>) -> Self {
        match value {
            Some("TOTAL") => ReturnCapacity::Total,
            Some("INDEXES") => ReturnCapacity::Indexes,
            _ => ReturnCapacity::None,
        }
    }

    /// The ConsumedCapacity of one table, or `None` when not asked for.
    pub(crate) fn of(self, table: &str, consumed: &Consumed) -> Option<ConsumedCapacity> {
        if self == ReturnCapacity::None {
            return None;
        }
        let totals = Capacity::new(
            consumed.total_read(),
            consumed.total_write(),
            consumed.transactional,
        );
        let mut out = ConsumedCapacity {
            table_name: table.to_owned(),
            capacity_units: totals.capacity_units,
            read_capacity_units: totals.read_capacity_units,
            write_capacity_units: totals.write_capacity_units,
            table: None,
            local_secondary_indexes: None,
            global_secondary_indexes: None,
        };
        if self == ReturnCapacity::Indexes {
            out.table = Some(Capacity::new(
                consumed.read,
                consumed.write,
                consumed.transactional,
            ));
            for i in &consumed.indexes {
                let map = match i.kind {
                    IndexKind::Local => &mut out.local_secondary_indexes,
                    IndexKind::Global => &mut out.global_secondary_indexes,
                };
                map.get_or_insert_with(BTreeMap::new).insert(
                    i.name.clone(),
                    Capacity::new(i.read, i.write, consumed.transactional),
                );
            }
        }
        Some(out)
    }

    /// The ConsumedCapacity list of a request over several tables, or `None`.
    pub(crate) fn of_tables(self, tables: &[TableConsumed]) -> Option<Vec<ConsumedCapacity>> {
        if self == ReturnCapacity::None {
            return None;
        }
        Some(
            tables
                .iter()
                .filter_map(|t| self.of(&t.table, &t.consumed))
                .collect(),
        )
    }
}

/// DynamoDB's ConsumedCapacity.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ConsumedCapacity {
    table_name: String,
    capacity_units: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_capacity_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write_capacity_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<Capacity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    local_secondary_indexes: Option<BTreeMap<String, Capacity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    global_secondary_indexes: Option<BTreeMap<String, Capacity>>,
}

/// DynamoDB's Capacity: what one table or index consumed.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Capacity {
    capacity_units: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    read_capacity_units: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    write_capacity_units: Option<f64>,
}

impl Capacity {
    fn new(read: f64, write: f64, transactional: bool) -> Self {
        Capacity {
            capacity_units: read + write,
            read_capacity_units: (transactional && read > 0.0).then_some(read),
            write_capacity_units: (transactional && write > 0.0).then_some(write),
        }
    }
}

// ---- OnDemandThroughput ----------------------------------------------------------------------

/// OnDemandThroughput as requested (CreateTable, UpdateTable, and a GSI's definition or
/// Update action).
///
/// DynamoDB's rules, as recorded against it (CreateTable, UpdateTable): only a
/// PAY_PER_REQUEST table or GSI takes one; at creation each member given must be at least 1
/// (-1 too is out of range there), and either may be left out; an update changes only the
/// members it names, -1 removing a maximum. DynamoDB answers an UpdateTable with an empty
/// OnDemandThroughput with HTTP 500; ferrodyn refuses it with DynamoDB Local's message.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct OnDemandThroughputInput {
    max_read_request_units: Option<i64>,
    max_write_request_units: Option<i64>,
}

/// Whose OnDemandThroughput it is: the table's, or that of the GSI of this name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OnDemandOwner<'a> {
    /// The table.
    Table,
    /// A global secondary index.
    Index(&'a str),
}

const MAX_READ: &str = "MaxReadRequestUnits";
const MAX_WRITE: &str = "MaxWriteRequestUnits";

impl OnDemandThroughputInput {
    fn members(self) -> [(&'static str, Option<i64>); 2] {
        [
            (MAX_READ, self.max_read_request_units),
            (MAX_WRITE, self.max_write_request_units),
        ]
    }

    /// The first member given, as DynamoDB names it in its messages.
    fn first_given(self) -> Option<&'static str> {
        self.members()
            .into_iter()
            .find_map(|(name, value)| value.map(|_| name))
    }

    /// Refuses the OnDemandThroughput of a PROVISIONED table or index.
    fn refuse_provisioned(self, owner: OnDemandOwner, update: bool) -> Result<(), ApiError> {
        let Some(member) = self.first_given() else {
            return Ok(());
        };
        Err(ApiError::validation(match (owner, update) {
            (OnDemandOwner::Table, false) => format!(
                "One or more parameter values were invalid: {member} for OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED."
            ),
            (OnDemandOwner::Table, true) => format!(
                "One or more parameter values were invalid: {member} for OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED"
            ),
            (OnDemandOwner::Index(name), _) => format!(
                "One or more parameter values were invalid: {member} for OnDemandThroughput for index: {name} cannot be specified when table BillingMode is PROVISIONED."
            ),
        }))
    }

    /// Checks every member given: at least 1 (or -1 when `removable`), and at most the
    /// server's per-table quota `ceiling`.
    fn check_values(
        self,
        owner: OnDemandOwner,
        removable: bool,
        ceiling: Option<u64>,
    ) -> Result<(), ApiError> {
        for (member, value) in self.members() {
            let Some(v) = value else { continue };
            if v < 1 && !(removable && v == -1) {
                return Err(ApiError::validation(match owner {
                    OnDemandOwner::Table => format!(
                        "One or more parameter values were invalid: Requested {member} for OnDemandThroughput for table is outside of valid range"
                    ),
                    OnDemandOwner::Index(name) => format!(
                        "One or more parameter values were invalid: Requested {member} for OnDemandThroughput for index : {name} is outside of valid range"
                    ),
                }));
            }
        }
        if let Some(ceiling) = ceiling {
            if self
                .members()
                .iter()
                .any(|(_, v)| v.is_some_and(|v| v > 0 && v as u64 > ceiling))
            {
                return Err(ApiError::validation(format!(
                    "Cannot increase provisioned throughput to more than {} units per table",
                    thousands(ceiling)
                )));
            }
        }
        Ok(())
    }

    /// The maxima of a table or GSI being created in `mode`; `ceiling` is the server's
    /// per-table quota.
    pub(crate) fn for_create(
        self,
        mode: BillingMode,
        owner: OnDemandOwner,
        ceiling: Option<u64>,
    ) -> Result<OnDemandThroughput, ApiError> {
        if mode == BillingMode::Provisioned {
            self.refuse_provisioned(owner, false)?;
            return Ok(OnDemandThroughput::default());
        }
        self.check_values(owner, false, ceiling)?;
        Ok(OnDemandThroughput {
            max_read: self.max_read_request_units.map(|v| v as u64),
            max_write: self.max_write_request_units.map(|v| v as u64),
        })
    }

    /// The change an UpdateTable makes to the maxima of a table or GSI that is in `mode`
    /// once the request applies.
    pub(crate) fn for_update(
        self,
        mode: BillingMode,
        owner: OnDemandOwner,
        ceiling: Option<u64>,
    ) -> Result<OnDemandChange, ApiError> {
        if mode == BillingMode::Provisioned {
            self.refuse_provisioned(owner, true)?;
        }
        if self.first_given().is_none() {
            return Err(ApiError::validation(
                "Table read and write throughput must be at least 1, and cannot be null",
            ));
        }
        self.check_values(owner, true, ceiling)?;
        let change = |v: Option<i64>| v.map(|v| (v > 0).then_some(v as u64));
        Ok(OnDemandChange {
            max_read: change(self.max_read_request_units),
            max_write: change(self.max_write_request_units),
        })
    }
}

/// `40000` as DynamoDB writes it in messages: `40,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// OnDemandThroughput in a TableDescription or GlobalSecondaryIndexDescription: the maxima
/// set; `None` (no member) when neither is.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct OnDemandThroughputDescription {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_read_request_units: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_write_request_units: Option<u64>,
}

impl OnDemandThroughputDescription {
    /// The description of `t`, or `None` when it sets no maximum.
    pub(crate) fn of(t: &OnDemandThroughput) -> Option<Self> {
        (!t.is_unlimited()).then_some(OnDemandThroughputDescription {
            max_read_request_units: t.max_read,
            max_write_request_units: t.max_write,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(40_000), "40,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    fn input(read: Option<i64>, write: Option<i64>) -> OnDemandThroughputInput {
        OnDemandThroughputInput {
            max_read_request_units: read,
            max_write_request_units: write,
        }
    }

    #[test]
    fn creation_takes_members_of_at_least_one_and_leaves_out_the_rest() {
        let ppr = BillingMode::PayPerRequest;
        let got = input(Some(5), None)
            .for_create(ppr, OnDemandOwner::Table, Some(40_000))
            .unwrap();
        assert_eq!(got.max_read, Some(5));
        assert_eq!(got.max_write, None);
        for bad in [0, -1, -2] {
            let err = input(Some(3), Some(bad))
                .for_create(ppr, OnDemandOwner::Index("g"), None)
                .unwrap_err();
            assert_eq!(err.message, "One or more parameter values were invalid: Requested MaxWriteRequestUnits for OnDemandThroughput for index : g is outside of valid range");
        }
        let err = input(Some(40_001), Some(1))
            .for_create(ppr, OnDemandOwner::Table, Some(40_000))
            .unwrap_err();
        assert_eq!(
            err.message,
            "Cannot increase provisioned throughput to more than 40,000 units per table"
        );
        assert!(input(None, Some(1))
            .for_create(BillingMode::Provisioned, OnDemandOwner::Table, None)
            .unwrap_err()
            .message
            .contains("MaxWriteRequestUnits for OnDemandThroughput cannot be specified"));
    }

    #[test]
    fn an_update_changes_the_members_named_and_minus_one_removes_one() {
        let ppr = BillingMode::PayPerRequest;
        let change = input(Some(-1), Some(9))
            .for_update(ppr, OnDemandOwner::Table, None)
            .unwrap();
        assert_eq!(change.max_read, Some(None));
        assert_eq!(change.max_write, Some(Some(9)));
        let change = input(None, Some(-1))
            .for_update(ppr, OnDemandOwner::Table, None)
            .unwrap();
        assert_eq!(change.max_read, None);
        assert!(input(None, None)
            .for_update(ppr, OnDemandOwner::Table, None)
            .is_err());
        assert!(input(Some(0), None)
            .for_update(ppr, OnDemandOwner::Table, None)
            .is_err());
    }
}
