//! Target-tracking auto scaling of provisioned throughput, configured on the server.
//!
//! DynamoDB's auto scaling (Application Auto Scaling with a target-tracking policy, Developer
//! Guide "Managing throughput capacity automatically with DynamoDB auto scaling") keeps the
//! utilization of a PROVISIONED table and of each of its global secondary indexes near a
//! target: consumed capacity over provisioned capacity, for reads and for writes separately,
//! between a minimum and a maximum capacity. It raises capacity once utilization stays above
//! the target for two consecutive one-minute data points, and lowers it only once
//! utilization stays 20 percentage points or more below the target for fifteen (AWS
//! Knowledge Center, "DynamoDB auto scaling": with a 70% target, an increase after 2
//! consecutive minutes above 70%, a decrease after 15 consecutive minutes below 50%). The
//! new capacity is the one at which the measured consumption would sit at the target,
//! within [min, max]. A capacity found outside [min, max] (a table created or updated so)
//! is brought inside at the next data point.
//!
//! Here one evaluation interval ([`AutoscaleConfig::interval`], AWS: a minute) is one data
//! point: the units a table or GSI drew from its own capacity during the interval (the
//! counters of `capacity.rs`; a table's include its LSIs') per second. A change goes
//! through [`Engine::update_table`], the path of UpdateTable, so DescribeTable shows the new
//! ProvisionedThroughput and the table's LastIncreaseDateTime, LastDecreaseDateTime and
//! NumberOfDecreasesToday follow. Decreases stay within DynamoDB's quota (Developer Guide,
//! "Service, account, and table quotas"): four a UTC day, then one more each hour in
//! which there was none; a decrease the quota does not allow yet waits.
//! PAY_PER_REQUEST tables are left alone.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::capacity::CapacityUse;
use crate::catalog::{IndexUpdate, TableUpdate};
use crate::schema::{BillingMode, IndexKind, TableMeta, Throughput};
use crate::{now_epoch_seconds, Engine};

/// The lowest and highest target utilization DynamoDB's auto scaling accepts, in percent.
pub const TARGET_UTILIZATION_RANGE: std::ops::RangeInclusive<f64> = 20.0..=90.0;

/// Consecutive data points above the target before capacity is raised.
const SCALE_OUT_POINTS: u32 = 2;
/// Consecutive data points [`SCALE_IN_MARGIN`] below the target before it is lowered.
const SCALE_IN_POINTS: u32 = 15;
/// How far below the target (percentage points) utilization must be to count for a
/// decrease.
const SCALE_IN_MARGIN: f64 = 20.0;

/// Decreases of a table's throughput allowed at any time of a UTC day.
const DECREASES_PER_DAY: u64 = 4;
/// After those, one more decrease once this long passed without one.
const DECREASE_SPACING_SECONDS: f64 = 3600.0;
const SECONDS_PER_DAY: f64 = 86_400.0;

/// A target-tracking policy applied to every PROVISIONED table and GSI of the server.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoscaleConfig {
    /// Target utilization, percent of provisioned capacity (20 to 90).
    pub target_utilization: f64,
    /// The least capacity units auto scaling sets, for reads and for writes.
    pub min_capacity: u64,
    /// The most capacity units auto scaling sets, for reads and for writes.
    pub max_capacity: u64,
    /// How often consumption is measured: one data point (AWS: one minute).
    pub interval: Duration,
}

impl AutoscaleConfig {
    /// A policy, or why the settings are not one DynamoDB's auto scaling would accept.
    pub fn new(
        target_utilization: f64,
        min_capacity: u64,
        max_capacity: u64,
        interval: Duration,
    ) -> Result<Self, String> {
        if !TARGET_UTILIZATION_RANGE.contains(&target_utilization) {
            return Err(format!(
                "the target utilization must be between {} and {} percent, not {target_utilization}",
                TARGET_UTILIZATION_RANGE.start(),
                TARGET_UTILIZATION_RANGE.end()
            ));
        }
        if min_capacity < 1 || max_capacity < min_capacity {
            return Err(format!(
                "the capacity range must satisfy 1 <= min <= max, not {min_capacity}..{max_capacity}"
            ));
        }
        if interval.is_zero() {
            return Err("the evaluation interval must be positive".into());
        }
        Ok(AutoscaleConfig {
            target_utilization,
            min_capacity,
            max_capacity,
            interval,
        })
    }

    /// The capacity at which `rate` units a second is the target utilization, in range.
    fn capacity_for(&self, rate: f64) -> u64 {
        // A hair under the exact quotient so that 4 units at 50% asks for 8, not 9.
        let exact = rate * 100.0 / self.target_utilization;
        let units = (exact - 1e-9).ceil().max(0.0) as u64;
        units.clamp(self.min_capacity, self.max_capacity)
    }
}

/// The number of decreases of a UTC day that a table whose last decrease was at `last` with
/// `count` decreases that day has made by `now` (seconds since the epoch): `count` on the
/// same UTC day, else none.
pub(crate) fn decreases_today(last: Option<f64>, count: u64, now: f64) -> u64 {
    let day = |t: f64| (t / SECONDS_PER_DAY).floor();
    match last {
        Some(at) if day(at) == day(now) => count,
        _ => 0,
    }
}

/// Whether DynamoDB's quota allows one more decrease at `now`.
fn decrease_allowed(last: Option<f64>, count: u64, now: f64) -> bool {
    decreases_today(last, count, now) < DECREASES_PER_DAY
        || last.is_none_or(|at| now - at >= DECREASE_SPACING_SECONDS)
}

/// The data points of one capacity (a table's or a GSI's reads or writes).
#[derive(Debug, Default, Clone)]
struct Tracker {
    /// The cumulative units at the last data point.
    units: f64,
    /// Consecutive data points above the target.
    above: u32,
    /// Consecutive data points [`SCALE_IN_MARGIN`] or more below the target.
    below: u32,
}

impl Tracker {
    /// Records the data point of `rate` units a second against `provisioned` units; the
    /// capacity to change to, if the policy calls for a change now.
    fn observe(&mut self, rate: f64, provisioned: u64, policy: &AutoscaleConfig) -> Option<u64> {
        if provisioned < policy.min_capacity {
            return Some(policy.min_capacity);
        }
        if provisioned > policy.max_capacity {
            return Some(policy.max_capacity);
        }
        let utilization = rate * 100.0 / provisioned as f64;
        if utilization > policy.target_utilization {
            self.above += 1;
            self.below = 0;
        } else if utilization <= policy.target_utilization - SCALE_IN_MARGIN {
            self.below += 1;
            self.above = 0;
        } else {
            self.above = 0;
            self.below = 0;
        }
        let wanted = policy.capacity_for(rate);
        if self.above >= SCALE_OUT_POINTS && wanted > provisioned {
            return Some(wanted);
        }
        if self.below >= SCALE_IN_POINTS && wanted < provisioned {
            return Some(wanted);
        }
        None
    }

    /// Starts counting data points afresh (after a change of capacity).
    fn restart(&mut self) {
        self.above = 0;
        self.below = 0;
    }
}

/// Which capacity a tracker follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Resource {
    table: u64,
    /// The GSI's id; `None`: the table.
    index: Option<u64>,
    write: bool,
}

/// The decreases auto scaling made to one GSI's throughput (the catalog keeps a table's
/// only).
#[derive(Debug, Clone, Copy, Default)]
struct DecreaseLog {
    last: Option<f64>,
    count: u64,
}

/// The state of the auto scaling task between two data points.
#[derive(Debug, Default)]
struct Scaler {
    last_point: Option<Instant>,
    trackers: HashMap<Resource, Tracker>,
    gsi_decreases: HashMap<u64, DecreaseLog>,
}

/// A new throughput auto scaling sets on a table or one of its GSIs.
#[derive(Debug, Clone, PartialEq)]
struct Change {
    /// The GSI's name and id; `None`: the table.
    index: Option<(String, u64)>,
    from: Throughput,
    to: Throughput,
}

impl Change {
    fn is_decrease(&self) -> bool {
        self.to.read < self.from.read || self.to.write < self.from.write
    }
}

impl Scaler {
    /// The data point of `meta`, whose capacity use since the server started is `used`,
    /// `seconds` after the previous one: the changes the policy calls for.
    fn plan(
        &mut self,
        meta: &TableMeta,
        used: &CapacityUse,
        seconds: f64,
        policy: &AutoscaleConfig,
    ) -> Vec<Change> {
        let gsis = meta
            .indexes
            .iter()
            .filter(|i| i.kind == IndexKind::Global && !i.backfilling)
            .map(|i| {
                let units = used.gsis.get(&i.id).copied().unwrap_or_default();
                (Some((i.name.clone(), i.id)), i.throughput, units)
            });
        let mut changes = Vec::new();
        for (index, from, (read_units, write_units)) in
            std::iter::once((None, meta.throughput, used.table)).chain(gsis)
        {
            let mut to = from;
            for (write, units, provisioned) in [
                (false, read_units, from.read),
                (true, write_units, from.write),
            ] {
                let resource = Resource {
                    table: meta.id,
                    index: index.as_ref().map(|(_, id)| *id),
                    write,
                };
                if let Some(units) = self.point(resource, units, seconds, provisioned, policy) {
                    if write {
                        to.write = units;
                    } else {
                        to.read = units;
                    }
                }
            }
            if to != from {
                changes.push(Change { index, from, to });
            }
        }
        changes
    }

    /// One data point of one capacity whose counter stands at `units`: the capacity to set,
    /// if any.
    fn point(
        &mut self,
        resource: Resource,
        units: f64,
        seconds: f64,
        provisioned: u64,
        policy: &AutoscaleConfig,
    ) -> Option<u64> {
        match self.trackers.get_mut(&resource) {
            Some(tracker) => {
                let rate = (units - tracker.units).max(0.0) / seconds;
                tracker.units = units;
                tracker.observe(rate, provisioned, policy)
            }
            None => {
                // A capacity seen for the first time: this point only records where its
                // counter stands (and brings the capacity within range).
                self.trackers.insert(
                    resource,
                    Tracker {
                        units,
                        ..Tracker::default()
                    },
                );
                let in_range = provisioned.clamp(policy.min_capacity, policy.max_capacity);
                (in_range != provisioned).then_some(in_range)
            }
        }
    }

    /// Holds back a decrease DynamoDB's quota does not allow yet (its data points keep
    /// counting, so it is made once allowed); keeps the increases.
    fn within_quota(&self, meta: &TableMeta, changes: &mut Vec<Change>, now: f64) {
        for change in changes.iter_mut() {
            let (last, count) = match &change.index {
                None => (meta.last_decrease, meta.decreases_today),
                Some((_, id)) => {
                    let log = self.gsi_decreases.get(id).copied().unwrap_or_default();
                    (log.last, log.count)
                }
            };
            if change.is_decrease() && !decrease_allowed(last, count, now) {
                change.to.read = change.to.read.max(change.from.read);
                change.to.write = change.to.write.max(change.from.write);
            }
        }
        changes.retain(|c| c.to != c.from);
    }

    /// Restarts the data points of every capacity that changed from `old` to `new`: the
    /// alarms of a target-tracking policy evaluate the new capacity afresh.
    fn restart_changed(&mut self, old: &TableMeta, new: &TableMeta) {
        let mut pairs = vec![(None, old.throughput, new.throughput)];
        for index in &old.indexes {
            if let Some(now) = new.indexes.iter().find(|i| i.id == index.id) {
                pairs.push((Some(index.id), index.throughput, now.throughput));
            }
        }
        for (index, before, after) in pairs {
            for (write, b, a) in [
                (false, before.read, after.read),
                (true, before.write, after.write),
            ] {
                let resource = Resource {
                    table: old.id,
                    index,
                    write,
                };
                if b != a {
                    if let Some(t) = self.trackers.get_mut(&resource) {
                        t.restart();
                    }
                }
            }
        }
    }
}

impl Engine {
    /// Runs target-tracking auto scaling (see the module docs) until the future is dropped;
    /// returns at once when the server has no auto scaling policy. The server spawns it.
    pub async fn run_autoscaling(&self) {
        let Some(policy) = self.config.autoscale.clone() else {
            return;
        };
        tracing::info!(
            target = policy.target_utilization,
            min = policy.min_capacity,
            max = policy.max_capacity,
            interval_ms = policy.interval.as_millis() as u64,
            "auto scaling provisioned throughput"
        );
        let mut scaler = Scaler::default();
        let mut ticks = tokio::time::interval(policy.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if !self.leader.leads() {
                continue;
            }
            self.autoscale_point(&policy, &mut scaler).await;
        }
    }

    /// One data point: measures every PROVISIONED table and GSI and makes the changes the
    /// policy calls for, one UpdateTable per table.
    async fn autoscale_point(&self, policy: &AutoscaleConfig, scaler: &mut Scaler) {
        let now = Instant::now();
        let seconds = scaler
            .last_point
            .map(|at| now.saturating_duration_since(at).as_secs_f64())
            .filter(|s| *s > 0.0)
            .unwrap_or(policy.interval.as_secs_f64());
        scaler.last_point = Some(now);
        let tables: Vec<Arc<TableMeta>> = self.tables.read().values().cloned().collect();
        // Forget what was measured of tables and indexes that are gone or on demand.
        let provisioned = |id: u64| {
            tables
                .iter()
                .any(|t| t.id == id && t.billing_mode == BillingMode::Provisioned)
        };
        scaler.trackers.retain(|r, _| provisioned(r.table));
        scaler
            .gsi_decreases
            .retain(|id, _| tables.iter().any(|t| t.indexes.iter().any(|i| i.id == *id)));
        for meta in tables.iter().filter(|t| provisioned(t.id)) {
            let used = self.capacity.capacity_use(meta);
            let mut changes = scaler.plan(meta, &used, seconds, policy);
            let epoch = now_epoch_seconds();
            scaler.within_quota(meta, &mut changes, epoch);
            if changes.is_empty() {
                continue;
            }
            let update = TableUpdate {
                throughput: changes.iter().find(|c| c.index.is_none()).map(|c| c.to),
                index_updates: changes
                    .iter()
                    .filter_map(|c| {
                        let (name, _) = c.index.as_ref()?;
                        Some(IndexUpdate::Update(name.clone(), c.to))
                    })
                    .collect(),
                ..TableUpdate::default()
            };
            match self.update_table(&meta.name, update).await {
                Ok(updated) => {
                    tracing::info!(
                        table = %meta.name,
                        read = updated.throughput.read,
                        write = updated.throughput.write,
                        indexes = changes.iter().filter(|c| c.index.is_some()).count(),
                        "auto scaling changed provisioned throughput"
                    );
                    for change in changes.iter().filter(|c| c.is_decrease()) {
                        if let Some((_, id)) = change.index {
                            let log = scaler.gsi_decreases.entry(id).or_default();
                            log.count = decreases_today(log.last, log.count, epoch) + 1;
                            log.last = Some(epoch);
                        }
                    }
                    scaler.restart_changed(meta, &updated);
                }
                // The table changed meanwhile (deleted, switched to on-demand): the next
                // data point sees it as it is.
                Err(e) => tracing::debug!(table = %meta.name, error = %e, "auto scaling skipped"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AutoscaleConfig {
        AutoscaleConfig::new(50.0, 2, 40, Duration::from_secs(60)).unwrap()
    }

    #[test]
    fn a_policy_takes_dynamodb_s_target_range_and_an_ordered_capacity_range() {
        assert!(AutoscaleConfig::new(19.0, 1, 10, Duration::from_secs(1)).is_err());
        assert!(AutoscaleConfig::new(91.0, 1, 10, Duration::from_secs(1)).is_err());
        assert!(AutoscaleConfig::new(70.0, 0, 10, Duration::from_secs(1)).is_err());
        assert!(AutoscaleConfig::new(70.0, 11, 10, Duration::from_secs(1)).is_err());
        assert!(AutoscaleConfig::new(70.0, 1, 10, Duration::ZERO).is_err());
        assert!(AutoscaleConfig::new(20.0, 5, 5, Duration::from_secs(1)).is_ok());
    }

    #[test]
    fn capacity_is_raised_after_two_points_above_the_target() {
        let p = policy();
        let mut t = Tracker::default();
        // 8 units/s on 10 provisioned: 80% > 50%.
        assert_eq!(t.observe(8.0, 10, &p), None);
        assert_eq!(t.observe(8.0, 10, &p), Some(16));
        // One point at the target breaks the streak.
        let mut t = Tracker::default();
        assert_eq!(t.observe(8.0, 10, &p), None);
        assert_eq!(t.observe(5.0, 10, &p), None);
        assert_eq!(t.observe(8.0, 10, &p), None);
        // Never above the maximum.
        let mut t = Tracker::default();
        t.observe(1000.0, 10, &p);
        assert_eq!(t.observe(1000.0, 10, &p), Some(40));
        // At the maximum already: nothing to do.
        let mut t = Tracker::default();
        t.observe(1000.0, 40, &p);
        assert_eq!(t.observe(1000.0, 40, &p), None);
    }

    #[test]
    fn capacity_is_lowered_after_fifteen_points_well_below_the_target() {
        let p = policy();
        let mut t = Tracker::default();
        // 2.9 units/s on 10: 29%, at least 20 points below 50%.
        for _ in 0..14 {
            assert_eq!(t.observe(2.9, 10, &p), None);
        }
        assert_eq!(t.observe(2.9, 10, &p), Some(6));
        // 40% is below the target but not by 20 points: no decrease.
        let mut t = Tracker::default();
        for _ in 0..30 {
            assert_eq!(t.observe(4.0, 10, &p), None);
        }
        // Idle: down to the minimum, not below.
        let mut t = Tracker::default();
        for _ in 0..14 {
            t.observe(0.0, 10, &p);
        }
        assert_eq!(t.observe(0.0, 10, &p), Some(2));
    }

    #[test]
    fn a_capacity_outside_the_range_is_brought_inside_at_once() {
        let p = policy();
        assert_eq!(Tracker::default().observe(0.0, 1, &p), Some(2));
        assert_eq!(Tracker::default().observe(0.0, 100, &p), Some(40));
    }

    #[test]
    fn decreases_follow_dynamodb_s_daily_quota() {
        let day = 20_000.0 * SECONDS_PER_DAY;
        assert!(decrease_allowed(None, 0, day + 10.0));
        assert!(decrease_allowed(Some(day + 5.0), 3, day + 10.0));
        // The fifth of a day waits an hour after the fourth.
        assert!(!decrease_allowed(Some(day + 5.0), 4, day + 10.0));
        assert!(decrease_allowed(Some(day + 5.0), 4, day + 3605.0));
        // A new UTC day starts counting afresh.
        assert_eq!(decreases_today(Some(day - 1.0), 9, day + 1.0), 0);
        assert_eq!(decreases_today(Some(day + 1.0), 9, day + 2.0), 9);
        assert!(decrease_allowed(Some(day - 1.0), 9, day + 1.0));
    }
}
