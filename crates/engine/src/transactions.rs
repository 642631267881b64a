//! TransactWriteItems and TransactGetItems.
//!
//! **TransactWriteItems** resolves every action first (tables, keys, no two actions on one
//! item), so a malformed request touches nothing. Then it runs as one read-modify-write over
//! all its items: read each item and its version, evaluate every action on what it read
//! (conditions, updates), and — when all of them pass — stage every change through
//! [`stage_item_change`] into ONE [`WriteBatch`] with a precondition on the version of every
//! item read (a ConditionCheck adds its precondition alone). The storage commits it
//! atomically or not at all; when another write got in between, the whole transaction is
//! evaluated again, a bounded number of times, after which it is cancelled with
//! `TransactionConflict`. When any action fails, nothing is written and the transaction is
//! cancelled with one reason per action, in action order.
//!
//! Isolation: every commit is guarded by the versions of all items read, so transactions are
//! serializable with each other and with single-item writes (which use the same
//! preconditions). Nothing here names a storage backend.
//!
//! **TransactGetItems** reads every key from one storage snapshot.
//!
//! **Throttling**: a transaction on a table (or GSI) without capacity left is cancelled,
//! not failed with ProvisionedThroughputExceededException: its actions on that table carry
//! the reason `ProvisionedThroughputExceeded` (provisioned) or `ThrottlingError`
//! (on-demand), the others `None` (`capacity.rs`). Nothing is read, written or consumed.
//!
//! **Idempotency**: a ClientRequestToken (see [`Engine::transact_write_items`]) is remembered
//! with a fingerprint of its request for ten minutes after the request succeeded, as DynamoDB
//! documents: the same token with the same request answers success without applying it again,
//! with another request IdempotentParameterMismatchException, and while the first request is
//! still running TransactionInProgressException. A request that failed forgets its token, and
//! so does one whose future is dropped (the client went away) before it committed anything;
//! once its commit is submitted, the commit's outcome is recorded even if nobody awaits it any
//! more, so a retry with the token is never refused for the whole window nor applied twice. The
//! token table is kept in memory, so it does not survive a restart (DynamoDB keeps it
//! durably; a client retrying across a restart of ferrodyn could see its transaction applied
//! twice).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodyn_storage::{StorageError, WriteBatch};
use ferrodyn_types::{codec, item_size, Item};
use parking_lot::Mutex;

use crate::capacity::{throttled_transaction_reason, Consumed, TableConsumed};
use crate::error::{EngineError, Result};
use crate::index::{
    collection_counter_of, stage_item_change, CollectionSizeError, CollectionSizes,
    COLLECTION_SIZE_EXCEEDED,
};
use crate::items::{WriteAction, MAX_ITEM_BYTES};
use crate::schema::TableMeta;
use crate::{keys, Engine};

/// How often a transaction is evaluated again after losing a race before it is cancelled with
/// `TransactionConflict`.
const MAX_CONFLICT_RETRIES: usize = 200;

/// How long a ClientRequestToken is remembered.
pub const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(600);

/// Decides the outcome of one action on the item's current state: what to write, or an error
/// (`ConditionalCheckFailed` for a failed condition, `Validation` for anything else).
pub type TransactApply = Box<dyn Fn(Option<&Item>) -> Result<WriteAction> + Send + Sync>;

/// What one action of a TransactWriteItems does.
pub enum TransactWriteKind {
    /// Put: store this item (the action's key is taken from it).
    Put(Item),
    /// Delete the item at the key.
    Delete(Item),
    /// Update the item at the key; `apply` produces the new item.
    Update(Item),
    /// Only check the item at the key; `apply` must return [`WriteAction::Nothing`].
    ConditionCheck(Item),
}

/// One action of a TransactWriteItems.
pub struct TransactWrite {
    /// TableName.
    pub table: String,
    /// Which kind of action, with its item or key.
    pub kind: TransactWriteKind,
    /// Evaluates the action on the current item.
    pub apply: TransactApply,
}

/// Why one action of a cancelled transaction did not go ahead (a CancellationReason).
#[derive(Debug, Clone, PartialEq)]
pub struct CancellationReason {
    /// `None`, `ConditionalCheckFailed`, `ValidationError`, `TransactionConflict`, ...
    pub code: String,
    /// The message, absent for `None`.
    pub message: Option<String>,
    /// The current item, when the action asked for it with ALL_OLD.
    pub item: Option<Item>,
}

impl CancellationReason {
    fn none() -> Self {
        CancellationReason {
            code: "None".into(),
            message: None,
            item: None,
        }
    }

    fn conflict() -> Self {
        CancellationReason {
            code: "TransactionConflict".into(),
            message: Some("Transaction is ongoing for the item".into()),
            item: None,
        }
    }
}

/// The cancellation of a transaction some of whose tables had no capacity left: the
/// actions on such a table (`tables` names each action's table) carry its reason, the
/// others `None`.
fn throttled_transaction<'a>(
    tables: impl Iterator<Item = &'a str>,
    refused: &[(&str, CancellationReason)],
) -> EngineError {
    EngineError::TransactionCanceled(
        tables
            .map(|table| {
                refused
                    .iter()
                    .find(|(t, _)| *t == table)
                    .map_or_else(CancellationReason::none, |(_, r)| r.clone())
            })
            .collect(),
    )
}

/// One Get of a TransactGetItems.
#[derive(Debug, Clone)]
pub struct TransactGet {
    /// TableName.
    pub table: String,
    /// Key.
    pub key: Item,
}

/// Token -> (request fingerprint, state).
type Tokens = HashMap<String, (Vec<u8>, TokenUse)>;

/// The remembered ClientRequestTokens. Shared with the tasks that see commits of tokened
/// requests through (see [`TokenTable::commit`]).
#[derive(Default)]
pub(crate) struct TokenTable {
    tokens: Arc<Mutex<Tokens>>,
}

/// Where the request of a token is.
#[derive(Clone, Copy)]
enum TokenUse {
    /// Running since then (forgotten after [`IDEMPOTENCY_WINDOW`] too, as a last resort).
    Running(Instant, Commit),
    /// Succeeded at this time; remembered for [`IDEMPOTENCY_WINDOW`] from then.
    Done(Instant),
}

/// Whether a running request has a commit submitted whose outcome is not known yet.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Commit {
    /// No commit in flight: if the request is dropped now, nothing of it was applied.
    Idle,
    /// A commit is in flight.
    InFlight,
    /// A commit is in flight and the request was dropped: the commit's outcome decides.
    InFlightAbandoned,
}

/// What the token table says about a request.
enum TokenState {
    /// Not seen (or expired): run the transaction; the token is now marked running.
    New,
    /// Succeeded before with the same request: answer success without running it again.
    Done,
}

impl TokenTable {
    /// Looks the token up and, when it is new, marks it running.
    fn begin(&self, token: &str, fingerprint: &[u8]) -> Result<TokenState> {
        let mut tokens = self.tokens.lock();
        let now = Instant::now();
        tokens.retain(|_, (_, state)| match state {
            TokenUse::Running(at, _) | TokenUse::Done(at) => {
                now.duration_since(*at) < IDEMPOTENCY_WINDOW
            }
        });
        match tokens.get(token) {
            None => {
                tokens.insert(
                    token.to_owned(),
                    (fingerprint.to_vec(), TokenUse::Running(now, Commit::Idle)),
                );
                Ok(TokenState::New)
            }
            Some((f, _)) if f.as_slice() != fingerprint => {
                Err(EngineError::IdempotentParameterMismatch(
                    "Request parameters do not match the original request for this idempotency token"
                        .into(),
                ))
            }
            Some((_, TokenUse::Running(..))) => Err(EngineError::TransactionInProgress(
                "Transaction with the given request token is already in progress".into(),
            )),
            Some((_, TokenUse::Done(_))) => Ok(TokenState::Done),
        }
    }

    /// The request of `token` finished: remember it when it succeeded, forget it otherwise
    /// (a failed request may be retried with the same token).
    fn finish(&self, token: &str, succeeded: bool) {
        let mut tokens = self.tokens.lock();
        if succeeded {
            if let Some(entry) = tokens.get_mut(token) {
                entry.1 = TokenUse::Done(Instant::now());
            }
        } else {
            tokens.remove(token);
        }
    }

    /// The request of `token` was dropped before it finished: forget the token unless a
    /// commit of it is in flight, whose outcome then decides.
    fn release(&self, token: &str) {
        let mut tokens = self.tokens.lock();
        match tokens.get_mut(token) {
            Some((_, TokenUse::Running(_, commit @ Commit::InFlight))) => {
                *commit = Commit::InFlightAbandoned;
            }
            Some((_, TokenUse::Running(_, Commit::Idle))) => {
                tokens.remove(token);
            }
            _ => {}
        }
    }

    /// Awaits `commit`, a commit of the request of `token`, in a task of its own, so that its
    /// outcome reaches the token table even when the request is dropped meanwhile: applied,
    /// the token is done; not applied, a dropped request's token is forgotten.
    async fn commit(
        &self,
        token: &str,
        commit: ferrodyn_storage::CommitFuture,
    ) -> std::result::Result<(), StorageError> {
        if let Some((_, TokenUse::Running(_, state))) = self.tokens.lock().get_mut(token) {
            *state = Commit::InFlight;
        }
        let tokens = Arc::clone(&self.tokens);
        let token = token.to_owned();
        let task = tokio::spawn(async move {
            let outcome = commit.await;
            let mut tokens = tokens.lock();
            if let Some((_, state)) = tokens.get_mut(&token) {
                match (*state, outcome.is_ok()) {
                    (TokenUse::Running(..), true) => *state = TokenUse::Done(Instant::now()),
                    (TokenUse::Running(_, Commit::InFlightAbandoned), false) => {
                        tokens.remove(&token);
                    }
                    (TokenUse::Running(since, _), false) => {
                        *state = TokenUse::Running(since, Commit::Idle)
                    }
                    (TokenUse::Done(_), _) => {}
                }
            }
            outcome
        });
        task.await
            .unwrap_or_else(|e| Err(StorageError::Backend(format!("commit task failed: {e}"))))
    }
}

/// Releases a token whose request is dropped before it finishes (see [`TokenTable::release`]).
struct TokenGuard<'a> {
    table: &'a TokenTable,
    token: &'a str,
    finished: bool,
}

impl TokenGuard<'_> {
    /// The request finished (see [`TokenTable::finish`]).
    fn finish(mut self, succeeded: bool) {
        self.finished = true;
        self.table.finish(self.token, succeeded);
    }
}

impl Drop for TokenGuard<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.table.release(self.token);
        }
    }
}

/// One action resolved against its table.
struct Planned {
    meta: Arc<TableMeta>,
    key: Vec<u8>,
    check_only: bool,
    apply: TransactApply,
}

impl Engine {
    /// TransactWriteItems: all actions or none. `token` is the ClientRequestToken with a
    /// fingerprint of the request it came with.
    pub async fn transact_write_items(
        &self,
        actions: Vec<TransactWrite>,
        token: Option<(String, Vec<u8>)>,
    ) -> Result<()> {
        self.transact_write_items_metered(actions, token)
            .await
            .map(|_| ())
    }

    /// [`Engine::transact_write_items`], also returning what each table consumed, in the
    /// order the tables first appear: every action is charged as a transactional write (twice
    /// the units of the same plain write; a ConditionCheck as a write of the item it read).
    /// A request repeated with a ClientRequestToken that already succeeded writes nothing
    /// and consumes nothing.
    pub async fn transact_write_items_metered(
        &self,
        actions: Vec<TransactWrite>,
        token: Option<(String, Vec<u8>)>,
    ) -> Result<Vec<TableConsumed>> {
        let Some((token, fingerprint)) = token else {
            return self.run_transaction(actions, None).await;
        };
        if let TokenState::Done = self.transaction_tokens.begin(&token, &fingerprint)? {
            return Ok(Vec::new());
        }
        // From here on, dropping this future (the client went away) releases the token.
        let guard = TokenGuard {
            table: &self.transaction_tokens,
            token: &token,
            finished: false,
        };
        let result = self.run_transaction(actions, Some(&token)).await;
        guard.finish(result.is_ok());
        result
    }

    /// Runs a transaction; `token` is its ClientRequestToken, already marked running.
    async fn run_transaction(
        &self,
        actions: Vec<TransactWrite>,
        token: Option<&str>,
    ) -> Result<Vec<TableConsumed>> {
        let mut planned = Vec::with_capacity(actions.len());
        let mut seen = HashSet::new();
        for a in actions {
            let meta = self.table(&a.table)?;
            let mut key = keys::data_prefix(meta.id);
            let check_only = matches!(a.kind, TransactWriteKind::ConditionCheck(_));
            match &a.kind {
                // The item's index keys are checked with its outcome (a ValidationError
                // cancellation reason, as DynamoDB's TransactWriteItems reports them).
                TransactWriteKind::Put(item) => meta.key_schema.encode_item_key(item, &mut key)?,
                TransactWriteKind::Delete(k)
                | TransactWriteKind::Update(k)
                | TransactWriteKind::ConditionCheck(k) => {
                    meta.key_schema.encode_key(k, &mut key)?
                }
            }
            if !seen.insert(key.clone()) {
                return Err(EngineError::validation(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            planned.push(Planned {
                meta,
                key,
                check_only,
                apply: a.apply,
            });
        }
        let mut consumed: Vec<TableConsumed> = Vec::new();
        let mut refused: Vec<(&str, CancellationReason)> = Vec::new();
        for p in &planned {
            let name = p.meta.name.as_str();
            if consumed.iter().any(|t| t.table == name) || refused.iter().any(|r| r.0 == name) {
                continue;
            }
            match self.admit_write(&p.meta) {
                Ok(()) => consumed.push(TableConsumed {
                    table: p.meta.name.clone(),
                    consumed: Consumed::default(),
                }),
                Err(e) => refused.push((name, throttled_transaction_reason(&p.meta, e)?)),
            }
        }
        if !refused.is_empty() {
            return Err(throttled_transaction(
                planned.iter().map(|p| p.meta.name.as_str()),
                &refused,
            ));
        }
        let units = self.commit_transaction(&planned, token).await?;
        for (p, units) in planned.iter().zip(&units) {
            self.charge(&p.meta, units);
            if let Some(t) = consumed.iter_mut().find(|t| t.table == p.meta.name) {
                t.consumed.add(units);
            }
        }
        Ok(consumed)
    }

    /// Commits the transaction (of ClientRequestToken `token`, if any); returns what each
    /// action consumed.
    async fn commit_transaction(
        &self,
        planned: &[Planned],
        token: Option<&str>,
    ) -> Result<Vec<Consumed>> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let mut batch = WriteBatch::new();
            let mut units = Vec::with_capacity(planned.len());
            let mut reasons = Vec::with_capacity(planned.len());
            let mut sizes = CollectionSizes::default();
            let mut failed = false;
            for p in planned {
                let current = self.storage.get(&p.key)?;
                let version = current.as_ref().map(|v| v.version);
                let old = current.map(|v| codec::decode_item(&v.value)).transpose()?;
                let outcome = (p.apply)(old.as_ref()).and_then(|action| {
                    if let WriteAction::Put(item) = &action {
                        for index in &p.meta.indexes {
                            index.check_item(item)?;
                        }
                        if ferrodyn_types::item_size(item) > MAX_ITEM_BYTES {
                            return Err(EngineError::validation(
                                "Item size has exceeded the maximum allowed size",
                            ));
                        }
                    }
                    Ok(action)
                });
                match outcome {
                    Ok(action) => {
                        reasons.push(CancellationReason::none());
                        if failed {
                            continue;
                        }
                        let new = match action {
                            WriteAction::Put(item) => Some(item),
                            WriteAction::Delete => None,
                            WriteAction::Nothing => {
                                units.push(Consumed::of_transactional_write(
                                    &p.meta,
                                    old.as_ref(),
                                    old.as_ref(),
                                ));
                                batch.expect(p.key.clone(), version);
                                continue;
                            }
                        };
                        units.push(if p.check_only {
                            Consumed::of_transactional_write(&p.meta, old.as_ref(), old.as_ref())
                        } else {
                            Consumed::of_transactional_write(&p.meta, old.as_ref(), new.as_ref())
                        });
                        if p.check_only {
                            batch.expect(p.key.clone(), version);
                        } else if old.is_none() && new.is_none() {
                            // Deleting a missing item: still guard that it stays missing.
                            batch.expect(p.key.clone(), None);
                        } else {
                            stage_item_change(
                                &p.meta,
                                &p.key,
                                version,
                                old.as_ref(),
                                new.as_ref(),
                                &mut batch,
                            );
                            sizes.record(&p.meta, old.as_ref(), new.as_ref());
                        }
                    }
                    Err(e) => {
                        failed = true;
                        reasons.push(match e {
                            EngineError::ConditionalCheckFailed(item) => CancellationReason {
                                code: "ConditionalCheckFailed".into(),
                                message: Some("The conditional request failed".into()),
                                item: item.map(|i| *i),
                            },
                            EngineError::Validation(m) => CancellationReason {
                                code: "ValidationError".into(),
                                message: Some(m),
                                item: None,
                            },
                            other => return Err(other),
                        });
                    }
                }
            }
            if failed {
                return Err(EngineError::TransactionCanceled(reasons));
            }
            // The item collections' sizes, in tables with an LSI (`index.rs`): the actions
            // on a collection that would pass its limit cancel the transaction.
            let limit = self.config.item_collection_limit_bytes;
            match sizes.stage(self.storage.as_ref(), limit, &mut batch) {
                Ok(()) => {}
                Err(CollectionSizeError::TooLarge(too_large)) => {
                    let reasons = planned
                        .iter()
                        .map(|p| {
                            let counter = collection_counter_of(&p.meta, &p.key);
                            if !p.check_only && counter.as_ref() == Some(&too_large.counter) {
                                CancellationReason {
                                    code: "ItemCollectionSizeLimitExceeded".into(),
                                    message: Some(COLLECTION_SIZE_EXCEEDED.into()),
                                    item: None,
                                }
                            } else {
                                CancellationReason::none()
                            }
                        })
                        .collect();
                    return Err(EngineError::TransactionCanceled(reasons));
                }
                Err(e) => return Err(e.into()),
            }
            if batch.mutations.is_empty() {
                // Only checks and deletes of missing items: the reads were one consistent
                // state if the versions are still there; verify with a snapshot.
                let snapshot = self.storage.snapshot();
                let mut same = true;
                for pre in &batch.preconditions {
                    let now = snapshot.get(&pre.key)?.map(|v| v.version);
                    if now != pre.expected {
                        same = false;
                        break;
                    }
                }
                if same {
                    return Ok(units);
                }
                continue;
            }
            let commit = self.storage.commit(batch);
            let outcome = match token {
                Some(token) => self.transaction_tokens.commit(token, commit).await,
                None => commit.await,
            };
            match outcome {
                Ok(()) => return Ok(units),
                Err(StorageError::Conflict { .. }) => {
                    tokio::task::yield_now().await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::TransactionCanceled(
            planned
                .iter()
                .map(|p| {
                    if p.check_only {
                        CancellationReason::none()
                    } else {
                        CancellationReason::conflict()
                    }
                })
                .collect(),
        ))
    }

    /// TransactGetItems: every key read from one snapshot; `None` where there is no item.
    pub fn transact_get_items(&self, gets: &[TransactGet]) -> Result<Vec<Option<Item>>> {
        Ok(self.transact_get_items_metered(gets)?.0)
    }

    /// [`Engine::transact_get_items`], also returning what each table consumed, in the order
    /// the tables first appear: each item a transactional read (twice a strongly consistent
    /// one; a missing item as a small one).
    pub fn transact_get_items_metered(
        &self,
        gets: &[TransactGet],
    ) -> Result<(Vec<Option<Item>>, Vec<TableConsumed>)> {
        let mut planned = Vec::with_capacity(gets.len());
        for g in gets {
            let meta = self.table(&g.table)?;
            let mut k = keys::data_prefix(meta.id);
            meta.key_schema.encode_key(&g.key, &mut k)?;
            planned.push((meta, k));
        }
        let mut consumed: Vec<TableConsumed> = Vec::new();
        let mut refused: Vec<(&str, CancellationReason)> = Vec::new();
        for (meta, _) in &planned {
            let name = meta.name.as_str();
            if consumed.iter().any(|t| t.table == name) || refused.iter().any(|r| r.0 == name) {
                continue;
            }
            match self.admit_read(meta, None) {
                Ok(()) => consumed.push(TableConsumed {
                    table: meta.name.clone(),
                    consumed: Consumed::default(),
                }),
                Err(e) => refused.push((name, throttled_transaction_reason(meta, e)?)),
            }
        }
        if !refused.is_empty() {
            return Err(throttled_transaction(
                planned.iter().map(|(meta, _)| meta.name.as_str()),
                &refused,
            ));
        }
        let snapshot = self.storage.snapshot();
        let mut items = Vec::with_capacity(planned.len());
        for (meta, k) in &planned {
            let item = snapshot
                .get(k)?
                .map(|v| codec::decode_item(&v.value))
                .transpose()?;
            let units = Consumed::of_transactional_read(item.as_ref().map_or(0, item_size));
            self.charge(meta, &units);
            if let Some(t) = consumed.iter_mut().find(|t| t.table == meta.name) {
                t.consumed.add(&units);
            }
            items.push(item);
        }
        Ok((items, consumed))
    }
}

#[cfg(test)]
mod tests {
    use ferrodyn_storage::MemoryStorage;
    use ferrodyn_types::{AttributeValue, Number};

    use super::*;
    use crate::test_support::attr;
    use crate::{EngineConfig, KeySchema, ScalarType, TableSpec};

    fn key(pk: &str) -> Item {
        [("pk".to_string(), AttributeValue::S(pk.into()))]
            .into_iter()
            .collect()
    }

    async fn engine() -> Arc<Engine> {
        engine_on(Arc::new(MemoryStorage::new())).await
    }

    /// An engine on `storage` with an on-demand table `T` (hash key `pk`).
    async fn engine_on(storage: Arc<dyn ferrodyn_storage::Storage>) -> Arc<Engine> {
        let engine = Engine::open(storage, EngineConfig::default()).unwrap();
        engine
            .create_table(TableSpec::on_demand(
                "T",
                KeySchema::new(attr("pk"), None),
                vec![("pk".into(), ScalarType::S)],
            ))
            .await
            .unwrap();
        Arc::new(engine)
    }

    fn count(item: Option<&Item>) -> i64 {
        match item.and_then(|i| i.get("n")) {
            Some(AttributeValue::N(n)) => n.to_string().parse().unwrap(),
            _ => 0,
        }
    }

    /// Adds one to attribute `n` of the item at `pk`.
    fn increment(pk: &str) -> TransactWrite {
        let k = key(pk);
        TransactWrite {
            table: "T".into(),
            kind: TransactWriteKind::Update(k.clone()),
            apply: Box::new(move |current| {
                let mut new = current.cloned().unwrap_or_else(|| k.clone());
                let next: Number = (count(current) + 1).to_string().parse().unwrap();
                new.insert("n".into(), AttributeValue::N(next));
                Ok(WriteAction::Put(new))
            }),
        }
    }

    fn counts(engine: &Engine, pks: &[&str]) -> Vec<i64> {
        let gets: Vec<_> = pks
            .iter()
            .map(|pk| TransactGet {
                table: "T".into(),
                key: key(pk),
            })
            .collect();
        engine
            .transact_get_items(&gets)
            .unwrap()
            .iter()
            .map(|i| count(i.as_ref()))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_transactions_lose_no_update() {
        let engine = engine().await;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let engine = Arc::clone(&engine);
            tasks.push(tokio::spawn(async move {
                for _ in 0..25 {
                    engine
                        .transact_write_items(vec![increment("a"), increment("b")], None)
                        .await
                        .unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(counts(&engine, &["a", "b", "c"]), [200, 200, 0]);
    }

    #[tokio::test]
    async fn a_failing_action_cancels_all_with_reasons_in_order() {
        let engine = engine().await;
        let fail = TransactWrite {
            table: "T".into(),
            kind: TransactWriteKind::ConditionCheck(key("x")),
            apply: Box::new(|current| {
                Err(EngineError::ConditionalCheckFailed(
                    current.map(|i| Box::new(i.clone())),
                ))
            }),
        };
        let err = engine
            .transact_write_items(vec![increment("a"), fail], None)
            .await
            .unwrap_err();
        let EngineError::TransactionCanceled(reasons) = err else {
            panic!("{err:?}");
        };
        let codes: Vec<_> = reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["None", "ConditionalCheckFailed"]);
        assert_eq!(counts(&engine, &["a"]), [0]);
    }

    #[tokio::test]
    async fn tokens_apply_a_request_once_and_refuse_another() {
        let engine = engine().await;
        let token = || Some(("t".to_string(), b"request".to_vec()));
        for _ in 0..3 {
            engine
                .transact_write_items(vec![increment("a")], token())
                .await
                .unwrap();
        }
        assert_eq!(counts(&engine, &["a"]), [1]);
        let err = engine
            .transact_write_items(
                vec![increment("a")],
                Some(("t".to_string(), b"other".to_vec())),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, EngineError::IdempotentParameterMismatch(_)));

        // A running request's token answers TransactionInProgress.
        assert!(matches!(
            engine.transaction_tokens.begin("u", b"r"),
            Ok(TokenState::New)
        ));
        assert!(matches!(
            engine.transaction_tokens.begin("u", b"r"),
            Err(EngineError::TransactionInProgress(_))
        ));
        // A failed request forgets its token.
        engine.transaction_tokens.finish("u", false);
        assert!(matches!(
            engine.transaction_tokens.begin("u", b"r"),
            Ok(TokenState::New)
        ));
    }

    /// Memory storage whose commits, once `hold` is set, are applied at once but report
    /// their outcome only when the test adds a permit to `gate`.
    struct HeldCommits {
        inner: MemoryStorage,
        hold: std::sync::atomic::AtomicBool,
        gate: Arc<tokio::sync::Semaphore>,
    }

    impl Default for HeldCommits {
        fn default() -> Self {
            HeldCommits {
                inner: MemoryStorage::new(),
                hold: false.into(),
                gate: Arc::new(tokio::sync::Semaphore::new(0)),
            }
        }
    }

    impl ferrodyn_storage::Storage for HeldCommits {
        fn get(
            &self,
            key: &[u8],
        ) -> std::result::Result<Option<ferrodyn_storage::Versioned>, StorageError> {
            self.inner.get(key)
        }
        fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> ferrodyn_storage::KvIter<'_> {
            self.inner.scan(start, end, reverse)
        }
        fn snapshot(&self) -> Box<dyn ferrodyn_storage::Snapshot + '_> {
            self.inner.snapshot()
        }
        fn commit(&self, batch: WriteBatch) -> ferrodyn_storage::CommitFuture {
            let outcome = self.inner.commit(batch);
            if !self.hold.load(std::sync::atomic::Ordering::SeqCst) {
                return outcome;
            }
            let gate = Arc::clone(&self.gate);
            Box::pin(async move {
                gate.acquire().await.expect("gate open").forget();
                outcome.await
            })
        }
        fn flush(&self) -> std::result::Result<(), StorageError> {
            self.inner.flush()
        }
    }

    #[tokio::test]
    async fn a_dropped_tokened_request_neither_blocks_its_token_nor_runs_twice() {
        use std::future::Future as _;
        let storage = Arc::new(HeldCommits::default());
        let engine = engine_on(storage.clone()).await;
        let token = || Some(("t".to_string(), b"request".to_vec()));
        storage
            .hold
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // The request runs up to its commit, which is submitted, then the client goes away.
        let mut request = Box::pin(engine.transact_write_items(vec![increment("a")], token()));
        let polled =
            std::future::poll_fn(|cx| std::task::Poll::Ready(request.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        drop(request);
        // The commit is still in flight: its outcome is not known yet.
        assert!(matches!(
            engine
                .transact_write_items(vec![increment("a")], token())
                .await,
            Err(EngineError::TransactionInProgress(_))
        ));
        storage
            .hold
            .store(false, std::sync::atomic::Ordering::SeqCst);
        storage.gate.add_permits(1);
        // Once it is known (the commit task runs when this task yields), a retry answers
        // success without applying the request again.
        let mut retry = Err(EngineError::validation("not retried"));
        for _ in 0..1000 {
            tokio::task::yield_now().await;
            retry = engine
                .transact_write_items(vec![increment("a")], token())
                .await;
            if !matches!(retry, Err(EngineError::TransactionInProgress(_))) {
                break;
            }
        }
        retry.unwrap();
        assert_eq!(counts(&engine, &["a"]), [1]);
    }

    #[tokio::test]
    async fn a_request_dropped_before_committing_forgets_its_token() {
        let engine = engine().await;
        let tokens = &engine.transaction_tokens;
        assert!(matches!(tokens.begin("u", b"r"), Ok(TokenState::New)));
        drop(TokenGuard {
            table: tokens,
            token: "u",
            finished: false,
        });
        assert!(matches!(tokens.begin("u", b"r"), Ok(TokenState::New)));
        // A finished request is not released by its guard.
        TokenGuard {
            table: tokens,
            token: "u",
            finished: false,
        }
        .finish(true);
        assert!(matches!(tokens.begin("u", b"r"), Ok(TokenState::Done)));
    }

    #[tokio::test]
    async fn two_actions_on_one_item_are_refused() {
        let engine = engine().await;
        let err = engine
            .transact_write_items(vec![increment("a"), increment("a")], None)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Transaction request cannot include multiple operations on one item"
        );
    }
}
