//! ConsumedCapacity: the wire shape of what an operation consumed (`ferrodyn_engine::Consumed`),
//! as `ReturnConsumedCapacity` asks for it.
//!
//! TOTAL gives TableName and CapacityUnits; INDEXES adds `Table` and, for each index touched,
//! an entry under LocalSecondaryIndexes or GlobalSecondaryIndexes (DynamoDB Local answers so;
//! a read of an index lists the table at zero). ReadCapacityUnits / WriteCapacityUnits appear
//! only for transactions, as DynamoDB reports them (plain reads and writes give
//! CapacityUnits alone: aws/aws-sdk-java#1986, aws/aws-sdk-go#2699).

use std::collections::BTreeMap;

use ferrodyn_engine::{Consumed, IndexKind, TableConsumed};
use serde::Serialize;

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
