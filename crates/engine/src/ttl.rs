//! Time to Live: UpdateTimeToLive and DescribeTimeToLive, and the background sweeper that
//! deletes expired items.
//!
//! **Setting.** A table's TTL setting is part of its catalog entry ([`TtlSettings`]): the
//! last change (enabled or not, attribute name) and when it was made. The status
//! DescribeTimeToLive shows follows from it: ENABLING / DISABLING for
//! [`EngineConfig::ttl_transition`] after a change, then ENABLED / DISABLED. DynamoDB
//! documents "up to one hour" for a change to process but in practice shows the settled
//! status at once, so the default transition is zero. A further change within
//! [`EngineConfig::ttl_update_cooldown`] of the last one (DynamoDB: one hour) is refused.
//!
//! **Expiry.** An item is expired when its TTL attribute is a top-level Number of epoch
//! seconds below the current time and no more than five years in the past (DynamoDB ignores
//! older timestamps, and any other type). Expired items stay visible to every read until the
//! sweeper deletes them, as in DynamoDB.
//!
//! **Sweeper.** Every [`EngineConfig::ttl_sweep_interval`] a background task reads each
//! table whose TTL is ENABLED in pages of [`PAGE_ITEMS`] items, each page from one snapshot,
//! and deletes the expired items of a page in one commit through the normal write path
//! (`index.rs`), so secondary indexes and the stream follow. Every delete is guarded by the
//! version read: a write that got in between (one that moved the TTL into the future, say)
//! makes the commit fail, and the page's candidates are read again and checked again. The
//! task yields between pages, so foreground requests are never held up for more than one
//! page's work.
//!
//! Each sweep reads whole tables; a later improvement is an index of items by expiry time
//! so a sweep only reads what has expired.

use std::sync::Arc;
use std::time::Duration;

use ferrodyn_storage::{Storage, StorageError, Version, WriteBatch};
use ferrodyn_types::{codec, AttributeValue, Item, Number};

use crate::backfill::read_items;
use crate::error::{EngineError, Result};
use crate::index::{stage_item_change_with_origin, CollectionSizes};
use crate::schema::{TableMeta, TtlSettings};
use crate::streams::ChangeOrigin;
use crate::{keys, now_epoch_seconds, BackgroundTask, Engine, EngineConfig, Tables};

/// Items read from one snapshot, and at most deleted in one commit, by the sweeper.
pub(crate) const PAGE_ITEMS: usize = 128;

/// DynamoDB leaves alone items whose TTL timestamp is more than five years in the past.
/// Five years of 365 days plus the leap day almost every five-year span has.
const MAX_EXPIRED_AGE_SECONDS: i64 = (5 * 365 + 1) * 24 * 3600;

/// How many times the sweeper re-reads a page's candidates after losing races to writers
/// before leaving them to the next sweep.
const MAX_CONFLICT_RETRIES: usize = 8;

/// TimeToLiveStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtlStatus {
    /// Being turned on.
    Enabling,
    /// On: expired items are deleted.
    Enabled,
    /// Being turned off.
    Disabling,
    /// Off (also a table whose TTL was never set).
    Disabled,
}

impl TtlStatus {
    /// DynamoDB's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TtlStatus::Enabling => "ENABLING",
            TtlStatus::Enabled => "ENABLED",
            TtlStatus::Disabling => "DISABLING",
            TtlStatus::Disabled => "DISABLED",
        }
    }
}

/// TimeToLiveDescription: the status and, unless DISABLED, the attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TtlDescription {
    /// TimeToLiveStatus.
    pub status: TtlStatus,
    /// AttributeName; `None` when DISABLED (DynamoDB then omits it).
    pub attribute_name: Option<String>,
}

/// The status of `settings` at `now` when transitions take `transition`.
pub(crate) fn describe(
    settings: Option<&TtlSettings>,
    now: f64,
    transition: Duration,
) -> TtlDescription {
    let Some(s) = settings else {
        return TtlDescription {
            status: TtlStatus::Disabled,
            attribute_name: None,
        };
    };
    let settling = now < s.changed_at + transition.as_secs_f64();
    let status = match (s.enabled, settling) {
        (true, true) => TtlStatus::Enabling,
        (true, false) => TtlStatus::Enabled,
        (false, true) => TtlStatus::Disabling,
        (false, false) => TtlStatus::Disabled,
    };
    TtlDescription {
        status,
        attribute_name: (status != TtlStatus::Disabled).then(|| s.attribute_name.clone()),
    }
}

/// Whether `item` has expired at `now` (epoch seconds) under TTL attribute `attribute`.
pub(crate) fn is_expired(item: &Item, attribute: &str, now: i64) -> bool {
    let Some(AttributeValue::N(at)) = item.get(attribute) else {
        return false;
    };
    *at < Number::from_i64(now) && *at >= Number::from_i64(now - MAX_EXPIRED_AGE_SECONDS)
}

impl Engine {
    /// DescribeTimeToLive.
    pub fn describe_time_to_live(&self, table: &str) -> Result<TtlDescription> {
        let meta = self.table(table)?;
        Ok(describe(
            meta.ttl.as_ref(),
            now_epoch_seconds(),
            self.config.ttl_transition,
        ))
    }

    /// UpdateTimeToLive: turns TTL on (on `attribute_name`) or off, with DynamoDB's checks in
    /// its order: the request must change something, then the cooldown since the last change.
    pub async fn update_time_to_live(
        &self,
        table: &str,
        enabled: bool,
        attribute_name: &str,
    ) -> Result<()> {
        let _ddl = self.ddl.lock().await;
        let old = self.table(table)?;
        let now = now_epoch_seconds();
        let current = describe(old.ttl.as_ref(), now, self.config.ttl_transition);
        let active_on = |status: &[TtlStatus]| {
            status
                .contains(&current.status)
                .then_some(current.attribute_name.as_deref())
                .flatten()
        };
        let different = |current: &str| {
            EngineError::validation(format!(
                "TimeToLive is active on a different AttributeName: current AttributeName is {current}"
            ))
        };
        if enabled {
            if let Some(current) = active_on(&[TtlStatus::Enabled, TtlStatus::Enabling]) {
                return Err(if current == attribute_name {
                    EngineError::validation("TimeToLive is already enabled")
                } else {
                    different(current)
                });
            }
        } else {
            match active_on(&[TtlStatus::Enabled, TtlStatus::Enabling]) {
                None => return Err(EngineError::validation("TimeToLive is already disabled")),
                Some(current) if current != attribute_name => return Err(different(current)),
                Some(_) => {}
            }
        }
        if let Some(last) = &old.ttl {
            if now < last.changed_at + self.config.ttl_update_cooldown.as_secs_f64() {
                return Err(EngineError::validation(
                    "Time to live has been modified multiple times within a fixed interval",
                ));
            }
        }
        let mut meta = (*old).clone();
        meta.ttl = Some(TtlSettings {
            enabled,
            attribute_name: attribute_name.to_owned(),
            changed_at: now,
        });
        let mut batch = WriteBatch::new();
        crate::catalog::stage_definition(&mut batch, &meta);
        self.commit_ddl_with_streams(batch, table, Default::default())
            .await?;
        self.tables.write().insert(table.to_owned(), Arc::new(meta));
        tracing::info!(%table, enabled, attribute = attribute_name, "time to live updated");
        Ok(())
    }
}

/// Starts the background sweeper, every `config.ttl_sweep_interval` (the first sweep one
/// interval from now). `None` when the interval is zero (sweeping off) or there is no async
/// runtime.
pub(crate) fn start_sweeper(
    storage: Arc<dyn Storage>,
    tables: Tables,
    config: &EngineConfig,
    leader: crate::cluster::Leader,
) -> Option<BackgroundTask> {
    let interval = config.ttl_sweep_interval;
    if interval.is_zero() {
        return None;
    }
    let transition = config.ttl_transition;
    let task = BackgroundTask::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if !leader.leads() {
                continue;
            }
            match sweep(storage.as_ref(), &tables, transition).await {
                Ok(0) => {}
                Ok(deleted) => tracing::info!(deleted, "expired items deleted"),
                Err(e) => tracing::error!(error = %e, "time to live sweep failed"),
            }
        }
    });
    if task.is_none() {
        tracing::warn!("no async runtime: expired items will not be deleted");
    }
    task
}

/// One sweep over every table whose TTL is ENABLED. Returns the number of items deleted.
pub(crate) async fn sweep(
    storage: &dyn Storage,
    tables: &Tables,
    transition: Duration,
) -> Result<u64> {
    let candidates: Vec<(String, u64)> = tables
        .read()
        .values()
        .filter(|m| m.ttl.is_some())
        .map(|m| (m.name.clone(), m.id))
        .collect();
    let mut deleted = 0;
    for (name, id) in candidates {
        deleted += sweep_table(storage, tables, transition, &name, id).await?;
    }
    Ok(deleted)
}

/// The table `name` with id `id` and its TTL attribute, while its TTL is ENABLED.
fn enabled_table(
    tables: &Tables,
    transition: Duration,
    name: &str,
    id: u64,
) -> Option<(Arc<TableMeta>, String)> {
    let meta = tables.read().get(name).filter(|m| m.id == id).cloned()?;
    let d = describe(meta.ttl.as_ref(), now_epoch_seconds(), transition);
    match (d.status, d.attribute_name) {
        (TtlStatus::Enabled, Some(attribute)) => Some((meta, attribute)),
        _ => None,
    }
}

async fn sweep_table(
    storage: &dyn Storage,
    tables: &Tables,
    transition: Duration,
    name: &str,
    id: u64,
) -> Result<u64> {
    let (mut cursor, end) = keys::data_range(id);
    let mut deleted = 0;
    loop {
        // The definition is fetched again for every page, so index changes and a TTL
        // turned off in the middle of a sweep are seen.
        let Some((meta, attribute)) = enabled_table(tables, transition, name, id) else {
            return Ok(deleted);
        };
        let now = now_epoch_seconds() as i64;
        let (expired, next) = read_page(storage, &attribute, now, &cursor, &end)?;
        deleted += delete_expired(storage, &meta, &attribute, now, expired).await?;
        drop(meta);
        match next {
            Some(k) => cursor = k,
            None => return Ok(deleted),
        }
        // Let foreground requests run between pages.
        tokio::task::yield_now().await;
    }
}

/// An expired item as read: its storage key, the version read and the item.
type Expired = (Vec<u8>, Version, Item);

/// Reads up to [`PAGE_ITEMS`] items from `cursor` from one snapshot. Returns the expired
/// ones and where the next page starts.
fn read_page(
    storage: &dyn Storage,
    attribute: &str,
    now: i64,
    cursor: &[u8],
    end: &[u8],
) -> Result<(Vec<Expired>, Option<Vec<u8>>)> {
    let mut expired = Vec::new();
    let next = read_items(storage, cursor, end, PAGE_ITEMS, |key, version, item| {
        if is_expired(&item, attribute, now) {
            expired.push((key, version, item));
        }
    })?;
    Ok((expired, next))
}

/// Deletes `expired` in one commit, each guarded by the version read; after a conflict the
/// items are read and checked again. Returns how many were deleted.
async fn delete_expired(
    storage: &dyn Storage,
    meta: &TableMeta,
    attribute: &str,
    now: i64,
    mut expired: Vec<Expired>,
) -> Result<u64> {
    for _ in 0..MAX_CONFLICT_RETRIES {
        if expired.is_empty() {
            return Ok(0);
        }
        let mut batch = WriteBatch::new();
        let mut sizes = CollectionSizes::default();
        for (key, version, item) in &expired {
            stage_expiry(meta, key, *version, item, &mut batch);
            sizes.record(meta, Some(item), None);
        }
        // Item collection sizes (tables with an LSI) only shrink here: no limit applies.
        sizes.stage(storage, u64::MAX, &mut batch)?;
        match storage.commit(batch).await {
            Ok(()) => return Ok(expired.len() as u64),
            Err(StorageError::Conflict { .. }) => {
                // A write got in between: keep what is still there and still expired.
                let mut still = Vec::with_capacity(expired.len());
                for (key, _, _) in expired {
                    if let Some(v) = storage.get(&key)? {
                        let item = codec::decode_item(&v.value)?;
                        if is_expired(&item, attribute, now) {
                            still.push((key, v.version, item));
                        }
                    }
                }
                expired = still;
            }
            Err(e) => return Err(e.into()),
        }
    }
    tracing::debug!(table = %meta.name, "expired items left to the next sweep after conflicts");
    Ok(0)
}

/// The one place the sweeper writes: the deletion of an expired item through the normal
/// write path, its stream record (a REMOVE) marked as made by the service
/// (`userIdentity {"type": "Service", "principalId": "dynamodb.amazonaws.com"}`).
fn stage_expiry(
    meta: &TableMeta,
    key: &[u8],
    version: Version,
    item: &Item,
    batch: &mut WriteBatch,
) {
    stage_item_change_with_origin(
        meta,
        key,
        Some(version),
        Some(item),
        None,
        ChangeOrigin::TtlService,
        batch,
    );
}

#[cfg(test)]
mod tests {
    use ferrodyn_storage::MemoryStorage;

    use super::*;
    use crate::test_support::{attr, n, s};
    use crate::{
        IndexKind, IndexMeta, IndexProjection, KeySchema, ScalarType, TableSpec, Throughput,
    };

    const NOW: i64 = 1_750_000_000;

    fn item(pk: &str, ttl: Option<AttributeValue>) -> Item {
        let mut it = Item::new();
        it.insert("pk".into(), s(pk));
        it.insert("g".into(), s("all"));
        if let Some(t) = ttl {
            it.insert("exp".into(), t);
        }
        it
    }

    fn config() -> EngineConfig {
        EngineConfig {
            // Sweeps are run by hand in these tests.
            ttl_sweep_interval: Duration::ZERO,
            ..EngineConfig::default()
        }
    }

    async fn engine_with_table(config: EngineConfig) -> Engine {
        let engine = Engine::open(Arc::new(MemoryStorage::new()), config).unwrap();
        create_table(&engine).await;
        engine
    }

    async fn create_table(engine: &Engine) {
        engine
            .create_table(TableSpec {
                indexes: vec![IndexMeta {
                    name: "by_g".into(),
                    id: 0,
                    kind: IndexKind::Global,
                    key_schema: KeySchema::new(attr("g"), None),
                    projection: IndexProjection::KeysOnly,
                    throughput: Throughput::default(),
                    backfilling: false,
                }],
                ..TableSpec::on_demand(
                    "t",
                    KeySchema::new(attr("pk"), None),
                    vec![("pk".into(), ScalarType::S), ("g".into(), ScalarType::S)],
                )
            })
            .await
            .unwrap();
    }

    fn message(e: EngineError) -> String {
        match e {
            EngineError::Validation(m) => m,
            other => panic!("expected a ValidationException, got {other:?}"),
        }
    }

    /// The message of the ValidationException refusing UpdateTimeToLive on `t`.
    async fn refusal(engine: &Engine, enabled: bool, attribute: &str) -> String {
        message(
            engine
                .update_time_to_live("t", enabled, attribute)
                .await
                .unwrap_err(),
        )
    }

    fn index_entries(engine: &Engine) -> usize {
        let meta = engine.table("t").unwrap();
        let (start, end) = keys::index_range(meta.indexes[0].id);
        engine.storage.scan(&start, &end, false).count()
    }

    async fn sweep_now(engine: &Engine) -> u64 {
        sweep(
            engine.storage.as_ref(),
            &engine.tables,
            engine.config.ttl_transition,
        )
        .await
        .unwrap()
    }

    #[test]
    fn expiry_needs_a_top_level_number_in_the_past_but_not_five_years_past() {
        let at = |v: AttributeValue| item("a", Some(v));
        assert!(is_expired(&at(n(NOW - 1)), "exp", NOW));
        assert!(is_expired(
            &at(n(NOW - MAX_EXPIRED_AGE_SECONDS)),
            "exp",
            NOW
        ));
        assert!(!is_expired(&at(n(NOW)), "exp", NOW));
        assert!(!is_expired(&at(n(NOW + 60)), "exp", NOW));
        assert!(!is_expired(
            &at(n(NOW - MAX_EXPIRED_AGE_SECONDS - 1)),
            "exp",
            NOW
        ));
        assert!(!is_expired(&at(n(-5)), "exp", NOW));
        let fraction = AttributeValue::N(Number::parse(&format!("{}.5", NOW - 10)).unwrap());
        assert!(is_expired(&at(fraction), "exp", NOW));
        // Milliseconds by mistake: far in the future, never expires.
        assert!(!is_expired(&at(n(NOW * 1000)), "exp", NOW));
        assert!(!is_expired(&at(s(&(NOW - 1).to_string())), "exp", NOW));
        assert!(!is_expired(
            &at(AttributeValue::Ns(vec![Number::from_i64(1)])),
            "exp",
            NOW
        ));
        assert!(!is_expired(&item("a", None), "exp", NOW));
        let mut nested = Item::new();
        nested.insert("exp".into(), n(NOW - 1));
        assert!(!is_expired(&at(AttributeValue::M(nested)), "exp", NOW));
        assert!(!is_expired(&at(n(NOW - 1)), "other", NOW));
    }

    #[test]
    fn status_settles_after_the_transition() {
        let hour = Duration::from_secs(3600);
        let on = TtlSettings {
            enabled: true,
            attribute_name: "exp".into(),
            changed_at: NOW as f64,
        };
        let off = TtlSettings {
            enabled: false,
            ..on.clone()
        };
        let at = |s: &TtlSettings, now: i64, t: Duration| describe(Some(s), now as f64, t);
        assert_eq!(describe(None, NOW as f64, hour).status, TtlStatus::Disabled);
        assert_eq!(describe(None, NOW as f64, hour).attribute_name, None);
        assert_eq!(at(&on, NOW, Duration::ZERO).status, TtlStatus::Enabled);
        assert_eq!(at(&on, NOW + 10, hour).status, TtlStatus::Enabling);
        assert_eq!(
            at(&on, NOW + 10, hour).attribute_name.as_deref(),
            Some("exp")
        );
        assert_eq!(at(&on, NOW + 3600, hour).status, TtlStatus::Enabled);
        assert_eq!(at(&off, NOW + 10, hour).status, TtlStatus::Disabling);
        assert_eq!(
            at(&off, NOW + 10, hour).attribute_name.as_deref(),
            Some("exp")
        );
        assert_eq!(at(&off, NOW + 3600, hour).status, TtlStatus::Disabled);
        assert_eq!(at(&off, NOW + 3600, hour).attribute_name, None);
    }

    #[tokio::test]
    async fn update_checks_follow_dynamodb() {
        let engine = engine_with_table(config()).await;
        assert_eq!(
            refusal(&engine, false, "exp").await,
            "TimeToLive is already disabled"
        );
        engine.update_time_to_live("t", true, "exp").await.unwrap();
        let d = engine.describe_time_to_live("t").unwrap();
        assert_eq!(d.status, TtlStatus::Enabled);
        assert_eq!(d.attribute_name.as_deref(), Some("exp"));
        // What the request asks for is checked before the cooldown.
        assert_eq!(
            refusal(&engine, true, "exp").await,
            "TimeToLive is already enabled"
        );
        assert_eq!(
            refusal(&engine, true, "other").await,
            "TimeToLive is active on a different AttributeName: current AttributeName is exp"
        );
        assert_eq!(
            refusal(&engine, false, "other").await,
            "TimeToLive is active on a different AttributeName: current AttributeName is exp"
        );
        assert_eq!(
            refusal(&engine, false, "exp").await,
            "Time to live has been modified multiple times within a fixed interval"
        );
        assert_eq!(
            engine.describe_time_to_live("t").unwrap().status,
            TtlStatus::Enabled
        );
        assert!(matches!(
            engine.update_time_to_live("missing", true, "exp").await,
            Err(EngineError::ResourceNotFound(_))
        ));
        assert!(matches!(
            engine.describe_time_to_live("missing"),
            Err(EngineError::ResourceNotFound(_))
        ));
    }

    #[tokio::test]
    async fn without_cooldown_ttl_can_be_turned_off_and_on_again() {
        let engine = engine_with_table(EngineConfig {
            ttl_update_cooldown: Duration::ZERO,
            ..config()
        })
        .await;
        engine.update_time_to_live("t", true, "exp").await.unwrap();
        engine.update_time_to_live("t", false, "exp").await.unwrap();
        let d = engine.describe_time_to_live("t").unwrap();
        assert_eq!((d.status, d.attribute_name), (TtlStatus::Disabled, None));
        assert_eq!(
            refusal(&engine, false, "exp").await,
            "TimeToLive is already disabled"
        );
        // A disabled TTL may come back on another attribute.
        engine
            .update_time_to_live("t", true, "other")
            .await
            .unwrap();
        let d = engine.describe_time_to_live("t").unwrap();
        assert_eq!(d.status, TtlStatus::Enabled);
        assert_eq!(d.attribute_name.as_deref(), Some("other"));
    }

    #[tokio::test]
    async fn a_slow_transition_shows_enabling_and_disabling_and_does_not_sweep() {
        let engine = engine_with_table(EngineConfig {
            ttl_transition: Duration::from_secs(3600),
            ttl_update_cooldown: Duration::ZERO,
            ..config()
        })
        .await;
        let past = now_epoch_seconds() as i64 - 100;
        engine
            .put_item("t", item("a", Some(n(past))), |_| Ok(()))
            .await
            .unwrap();
        engine.update_time_to_live("t", true, "exp").await.unwrap();
        let d = engine.describe_time_to_live("t").unwrap();
        assert_eq!(d.status, TtlStatus::Enabling);
        assert_eq!(d.attribute_name.as_deref(), Some("exp"));
        assert_eq!(
            refusal(&engine, true, "exp").await,
            "TimeToLive is already enabled"
        );
        assert_eq!(sweep_now(&engine).await, 0);
        engine.update_time_to_live("t", false, "exp").await.unwrap();
        let d = engine.describe_time_to_live("t").unwrap();
        assert_eq!(d.status, TtlStatus::Disabling);
        assert_eq!(d.attribute_name.as_deref(), Some("exp"));
        assert_eq!(
            refusal(&engine, false, "exp").await,
            "TimeToLive is already disabled"
        );
        assert_eq!(sweep_now(&engine).await, 0);
        assert!(engine.get_item("t", &item_key("a")).unwrap().is_some());
    }

    fn item_key(pk: &str) -> Item {
        let mut k = Item::new();
        k.insert("pk".into(), s(pk));
        k
    }

    #[tokio::test]
    async fn sweep_deletes_expired_items_and_their_index_entries_only() {
        let engine = engine_with_table(config()).await;
        let now = now_epoch_seconds() as i64;
        let ttl_of = |i: usize| match i % 6 {
            0 | 1 => Some(n(now - 1 - i as i64)),
            2 => Some(n(now + 3600)),
            3 => Some(s(&(now - 10).to_string())),
            4 => None,
            _ => Some(n(now - MAX_EXPIRED_AGE_SECONDS - 3600)),
        };
        const ITEMS: usize = 1200;
        for i in 0..ITEMS {
            engine
                .put_item("t", item(&format!("k{i:05}"), ttl_of(i)), |_| Ok(()))
                .await
                .unwrap();
        }
        // Expired items are still read until a sweep removes them.
        assert!(engine.get_item("t", &item_key("k00000")).unwrap().is_some());
        assert_eq!(sweep_now(&engine).await, 0, "TTL is not enabled yet");
        engine.update_time_to_live("t", true, "exp").await.unwrap();
        let expired = (0..ITEMS).filter(|i| i % 6 < 2).count();
        assert_eq!(sweep_now(&engine).await, expired as u64);
        for i in 0..ITEMS {
            let found = engine
                .get_item("t", &item_key(&format!("k{i:05}")))
                .unwrap()
                .is_some();
            assert_eq!(found, i % 6 >= 2, "item {i}");
        }
        assert_eq!(index_entries(&engine), ITEMS - expired);
        assert_eq!(sweep_now(&engine).await, 0);
    }

    #[tokio::test]
    async fn a_write_between_read_and_delete_that_extends_the_ttl_wins() {
        let engine = engine_with_table(config()).await;
        engine.update_time_to_live("t", true, "exp").await.unwrap();
        let now = now_epoch_seconds() as i64;
        for pk in ["a", "b"] {
            engine
                .put_item("t", item(pk, Some(n(now - 10))), |_| Ok(()))
                .await
                .unwrap();
        }
        let meta = engine.table("t").unwrap();
        let (start, end) = keys::data_range(meta.id);
        let (expired, next) = read_page(engine.storage.as_ref(), "exp", now, &start, &end).unwrap();
        assert_eq!((expired.len(), next), (2, None));
        // The item's owner pushes its expiry into the future after the sweeper read it.
        engine
            .put_item("t", item("a", Some(n(now + 3600))), |_| Ok(()))
            .await
            .unwrap();
        let deleted = delete_expired(engine.storage.as_ref(), &meta, "exp", now, expired)
            .await
            .unwrap();
        assert_eq!(deleted, 1);
        let a = engine
            .get_item("t", &item_key("a"))
            .unwrap()
            .expect("a kept");
        assert_eq!(a["exp"], n(now + 3600));
        assert!(engine.get_item("t", &item_key("b")).unwrap().is_none());
        assert_eq!(index_entries(&engine), 1);
    }

    #[tokio::test]
    async fn the_setting_survives_reopening_the_catalog() {
        let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
        let first = Engine::open(Arc::clone(&storage), config()).unwrap();
        create_table(&first).await;
        first.update_time_to_live("t", true, "exp").await.unwrap();
        drop(first);
        let second = Engine::open(storage, config()).unwrap();
        let d = second.describe_time_to_live("t").unwrap();
        assert_eq!(d.status, TtlStatus::Enabled);
        assert_eq!(d.attribute_name.as_deref(), Some("exp"));
        // The time of the change is kept too: the cooldown still holds.
        assert_eq!(
            refusal(&second, false, "exp").await,
            "Time to live has been modified multiple times within a fixed interval"
        );
    }

    #[tokio::test]
    async fn sweeping_a_table_with_an_lsi_shrinks_its_item_collections() {
        let engine = Engine::open(Arc::new(MemoryStorage::new()), config()).unwrap();
        let range = |name: &str| Some(attr(name));
        engine
            .create_table(TableSpec {
                indexes: vec![IndexMeta {
                    name: "by_l".into(),
                    id: 0,
                    kind: IndexKind::Local,
                    key_schema: KeySchema::new(attr("pk"), range("l")),
                    projection: IndexProjection::All,
                    throughput: Throughput::default(),
                    backfilling: false,
                }],
                ..TableSpec::on_demand(
                    "t",
                    KeySchema::new(attr("pk"), range("sk")),
                    vec![
                        ("pk".into(), ScalarType::S),
                        ("sk".into(), ScalarType::S),
                        ("l".into(), ScalarType::S),
                    ],
                )
            })
            .await
            .unwrap();
        let now = now_epoch_seconds() as i64;
        let row = |sk: &str, ttl: i64| {
            let mut it = item("p", Some(n(ttl)));
            it.insert("sk".into(), s(sk));
            it.insert("l".into(), s(sk));
            it
        };
        for i in 0..10 {
            engine
                .put_item("t", row(&format!("old{i}"), now - 10), |_| Ok(()))
                .await
                .unwrap();
        }
        engine
            .put_item("t", row("new", now + 3600), |_| Ok(()))
            .await
            .unwrap();
        let size = |engine: &Engine| {
            engine
                .item_collection_size("t", &item_key("p"))
                .unwrap()
                .unwrap()
                .bytes
        };
        let before = size(&engine);
        engine.update_time_to_live("t", true, "exp").await.unwrap();
        assert_eq!(sweep_now(&engine).await, 10);
        // What is left is the size of the one item kept (and its LSI entry).
        let kept =
            crate::index::collection_bytes(&engine.table("t").unwrap(), &row("new", now + 3600));
        assert!(size(&engine) < before);
        assert_eq!(size(&engine), kept);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_background_sweeper_deletes_expired_items() {
        let engine = engine_with_table(EngineConfig {
            ttl_sweep_interval: Duration::from_millis(20),
            ..config()
        })
        .await;
        let now = now_epoch_seconds() as i64;
        for i in 0..300 {
            let ttl = if i % 2 == 0 { now - 5 } else { now + 3600 };
            engine
                .put_item("t", item(&format!("k{i}"), Some(n(ttl))), |_| Ok(()))
                .await
                .unwrap();
        }
        engine.update_time_to_live("t", true, "exp").await.unwrap();
        let meta = engine.table("t").unwrap();
        let (start, end) = keys::data_range(meta.id);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while engine.storage.scan(&start, &end, false).count() > 150 {
            assert!(std::time::Instant::now() < deadline, "never swept");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(index_entries(&engine), 150);
    }
}
