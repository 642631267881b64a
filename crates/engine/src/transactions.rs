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
//! more, so a retry with the token is never refused for the whole window nor applied twice.
//!
//! Two layers keep the tokens. The token table in memory ([`TokenTable`]) answers a duplicate
//! that arrives while the first request still runs on this server (TransactionInProgress),
//! and repeats on this server without a read. The stored token record
//! ([`keys::transaction_token_key`]: commit time in epoch milliseconds, then the request's
//! fingerprint) is what makes the answer durable and shared: it is written in the same
//! atomic commit as the transaction's changes, guarded by a precondition on the version of
//! the record read, so it exists exactly when the transaction was applied. Every attempt of a
//! tokened transaction reads it first; a live record (younger than [`IDEMPOTENCY_WINDOW`])
//! answers the request — success without applying anything for the same fingerprint,
//! IdempotentParameterMismatch for another. So a retry sent to another server sharing the
//! store, or after a restart, gets the same answer; two servers running the same tokened
//! request at once conflict on the record, and the loser, reading it on its next attempt,
//! answers success. An expired record is overwritten in place (its version precondition keeps
//! that race-free) and deleted by [`sweep_transaction_tokens`]. The window is measured with
//! the servers' wall clocks, so clock skew between servers shifts it by as much.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrodyn_storage::{Storage, StorageError, Version, Versioned, WriteBatch};
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

/// The answer to a request whose ClientRequestToken was used with another request.
fn idempotent_parameter_mismatch() -> EngineError {
    EngineError::IdempotentParameterMismatch(
        "Request parameters do not match the original request for this idempotency token".into(),
    )
}

/// The value of a stored token record: the commit time in epoch milliseconds (u64 BE), then
/// the request's fingerprint.
fn encode_token_record(at_ms: u64, fingerprint: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(8 + fingerprint.len());
    value.extend_from_slice(&at_ms.to_be_bytes());
    value.extend_from_slice(fingerprint);
    value
}

/// The commit time and fingerprint of a stored token record; `None` when it is not one
/// (treated as expired: overwritten, and deleted by the sweep).
fn decode_token_record(value: &[u8]) -> Option<(u64, &[u8])> {
    let (at, fingerprint) = value.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*at), fingerprint))
}

/// Whether a token record committed at `at_ms` still holds its token at `now_ms` (epoch
/// milliseconds). A time ahead of `now_ms` (another server's clock is ahead) is live.
fn token_record_live(at_ms: u64, now_ms: u64) -> bool {
    u128::from(now_ms.saturating_sub(at_ms)) < IDEMPOTENCY_WINDOW.as_millis()
}

/// What the stored record of a token says about a request with that token.
enum Recorded {
    /// No live record: the request may run, and commits its record expecting this version
    /// of the key (`None`: absent; `Some`: an expired record, overwritten).
    Free(Option<Version>),
    /// The same request succeeded this long ago: answer success without applying it.
    Done(Duration),
}

/// Reads the stored record `read` of a token for a request with `fingerprint` at `now_ms`.
fn check_token_record(
    read: Option<&Versioned>,
    fingerprint: &[u8],
    now_ms: u64,
) -> Result<Recorded> {
    let Some(read) = read else {
        return Ok(Recorded::Free(None));
    };
    match decode_token_record(&read.value) {
        Some((at_ms, f)) if token_record_live(at_ms, now_ms) => {
            if f == fingerprint {
                Ok(Recorded::Done(Duration::from_millis(
                    now_ms.saturating_sub(at_ms),
                )))
            } else {
                Err(idempotent_parameter_mismatch())
            }
        }
        _ => Ok(Recorded::Free(Some(read.version))),
    }
}

/// Deletes the stored ClientRequestToken records older than [`IDEMPOTENCY_WINDOW`] (and any
/// that cannot be read), each only if it is still the version read, so a record its token's
/// new request wrote meanwhile stays. Returns how many it deleted. For a background loop;
/// expired records are harmless meanwhile (a request overwrites its token's expired record).
pub(crate) async fn sweep_transaction_tokens(storage: &dyn Storage) -> Result<u64> {
    let (start, end) = keys::transaction_token_range();
    let now_ms = crate::now_millis();
    let mut expired = Vec::new();
    for entry in storage.scan(&start, &end, false) {
        let (key, read) = entry?;
        let live = decode_token_record(&read.value)
            .is_some_and(|(at_ms, _)| token_record_live(at_ms, now_ms));
        if !live {
            expired.push((key, read.version));
        }
    }
    let mut deleted = 0;
    for (key, version) in expired {
        let mut batch = WriteBatch::new();
        batch.expect(key.clone(), Some(version));
        batch.delete(key);
        match storage.commit(batch).await {
            Ok(()) => deleted += 1,
            // Written again meanwhile: a request of that token holds it now.
            Err(StorageError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(deleted)
}

/// A tokened request's stored token record, as the transaction's attempts see it.
struct StoredToken<'a> {
    /// The ClientRequestToken.
    token: &'a str,
    /// The fingerprint of the request.
    fingerprint: &'a [u8],
    /// [`keys::transaction_token_key`] of the token.
    key: Vec<u8>,
    /// The record as read before the transaction was planned, for its first attempt (later
    /// attempts read it again).
    first_read: Option<Option<Versioned>>,
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
            Some((f, _)) if f.as_slice() != fingerprint => Err(idempotent_parameter_mismatch()),
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
            // Already done (its commit task, or the stored record, said so): keep its time.
            if let Some((_, state @ TokenUse::Running(..))) = tokens.get_mut(token) {
                *state = TokenUse::Done(Instant::now());
            }
        } else {
            tokens.remove(token);
        }
    }

    /// The stored record of `token` shows its request succeeded `age` ago (on any server):
    /// remember it as done since then, so it expires here when the record does.
    fn done_since(&self, token: &str, age: Duration) {
        let now = Instant::now();
        let at = now.checked_sub(age).unwrap_or(now);
        if let Some((_, state)) = self.tokens.lock().get_mut(token) {
            *state = TokenUse::Done(at);
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
        let result = self.run_tokened(actions, &token, &fingerprint).await;
        guard.finish(result.is_ok());
        result
    }

    /// Runs a transaction with ClientRequestToken `token`, already marked running in the
    /// token table, unless the token's stored record answers it (see the module doc): read
    /// before anything else, so a repeat of a request that succeeded answers success as the
    /// token table's does, whatever became of its tables meanwhile.
    async fn run_tokened(
        &self,
        actions: Vec<TransactWrite>,
        token: &str,
        fingerprint: &[u8],
    ) -> Result<Vec<TableConsumed>> {
        let key = keys::transaction_token_key(token);
        let read = self.storage.get(&key)?;
        if let Recorded::Done(age) =
            check_token_record(read.as_ref(), fingerprint, crate::now_millis())?
        {
            self.transaction_tokens.done_since(token, age);
            return Ok(Vec::new());
        }
        let stored = StoredToken {
            token,
            fingerprint,
            key,
            first_read: Some(read),
        };
        self.run_transaction(actions, Some(stored)).await
    }

    /// Runs a transaction; `token` is its ClientRequestToken, already marked running, with
    /// its stored record.
    async fn run_transaction(
        &self,
        actions: Vec<TransactWrite>,
        token: Option<StoredToken<'_>>,
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
        let Some(units) = self.commit_transaction(&mut planned, token).await? else {
            // The token's stored record shows the request already succeeded.
            return Ok(Vec::new());
        };
        for (p, units) in planned.iter().zip(&units) {
            self.charge(&p.meta, units);
            if let Some(t) = consumed.iter_mut().find(|t| t.table == p.meta.name) {
                t.consumed.add(units);
            }
        }
        Ok(consumed)
    }

    /// Commits the transaction (of ClientRequestToken `token`, if any, with its token record
    /// in the same commit); returns what each action consumed, or `None` when the token's
    /// stored record shows that the same request already succeeded (nothing is applied).
    async fn commit_transaction(
        &self,
        planned: &mut [Planned],
        mut token: Option<StoredToken<'_>>,
    ) -> Result<Option<Vec<Consumed>>> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            // The token's record, read again in every attempt: an attempt that lost a race on
            // it finds the record of the request that won.
            let token_expected = match &mut token {
                None => None,
                Some(stored) => {
                    let read = match stored.first_read.take() {
                        Some(read) => read,
                        None => self.storage.get(&stored.key)?,
                    };
                    let now_ms = crate::now_millis();
                    match check_token_record(read.as_ref(), stored.fingerprint, now_ms)? {
                        Recorded::Done(age) => {
                            self.transaction_tokens.done_since(stored.token, age);
                            return Ok(None);
                        }
                        Recorded::Free(expected) => Some(expected),
                    }
                }
            };
            let mut batch = WriteBatch::new();
            let mut units = Vec::with_capacity(planned.len());
            let mut reasons = Vec::with_capacity(planned.len());
            let mut sizes = CollectionSizes::default();
            let mut failed = false;
            for p in planned.iter() {
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
                            EngineError::DuplicateItem(m) => CancellationReason {
                                code: "DuplicateItem".into(),
                                message: Some(m),
                                item: None,
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
            if let (Some(stored), Some(expected)) = (&token, token_expected) {
                // The token's record commits with the changes, atomically: it exists exactly
                // when they were applied. A transaction of checks only records its token too,
                // so its repeat answers success as DynamoDB's does (and everywhere alike)
                // rather than evaluating the checks again; its commit, guarded by the
                // versions read, then stands in for the snapshot verification below.
                batch.expect(stored.key.clone(), expected);
                batch.put(
                    stored.key.clone(),
                    encode_token_record(crate::now_millis(), stored.fingerprint),
                );
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
                    return Ok(Some(units));
                }
                continue;
            }
            let commit = self.storage.commit(batch);
            let outcome = match &token {
                Some(stored) => self.transaction_tokens.commit(stored.token, commit).await,
                None => commit.await,
            };
            match outcome {
                Ok(()) => return Ok(Some(units)),
                Err(StorageError::Conflict { key })
                    if crate::catalog::is_definition_conflict(&key) =>
                {
                    // Cluster mode: a table's definition changed on another server; run
                    // again with the new one.
                    for p in planned.iter_mut() {
                        if keys::catalog_key(&p.meta.name) == key {
                            p.meta = self.refresh_table(&p.meta.name, p.meta.id)?;
                        }
                    }
                    continue;
                }
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

    /// Another server (or this one after a restart) over `storage`: an engine of its own,
    /// with a token table of its own.
    fn server_on(storage: Arc<dyn ferrodyn_storage::Storage>) -> Arc<Engine> {
        Arc::new(Engine::open(storage, EngineConfig::default()).unwrap())
    }

    /// Stores a token record for `token` committed `age` ago, as an earlier request left it.
    async fn store_token_record(storage: &dyn Storage, token: &str, age: Duration, f: &[u8]) {
        let at_ms = crate::now_millis() - age.as_millis() as u64;
        let mut batch = WriteBatch::new();
        batch.put(
            keys::transaction_token_key(token),
            encode_token_record(at_ms, f),
        );
        storage.commit(batch).await.unwrap();
    }

    fn stored_token(storage: &dyn Storage, token: &str) -> Option<(u64, Vec<u8>)> {
        let read = storage.get(&keys::transaction_token_key(token)).unwrap()?;
        let (at_ms, f) = decode_token_record(&read.value).unwrap();
        Some((at_ms, f.to_vec()))
    }

    #[tokio::test]
    async fn a_retry_on_another_server_answers_success_without_applying_again() {
        let storage = Arc::new(MemoryStorage::new());
        let first = engine_on(storage.clone()).await;
        let token = || Some(("t".to_string(), b"request".to_vec()));
        first
            .transact_write_items(vec![increment("a"), increment("b")], token())
            .await
            .unwrap();
        let (at_ms, f) = stored_token(storage.as_ref(), "t").expect("the token is stored");
        assert_eq!(f, b"request");
        assert!(token_record_live(at_ms, crate::now_millis()));

        // A second server sharing the store (or the first one restarted) knows the token.
        let second = server_on(storage.clone());
        for _ in 0..3 {
            let consumed = second
                .transact_write_items_metered(vec![increment("a"), increment("b")], token())
                .await
                .unwrap();
            assert!(consumed.is_empty(), "a repeat consumes nothing");
        }
        assert_eq!(counts(&second, &["a", "b"]), [1, 1]);
        assert_eq!(counts(&first, &["a", "b"]), [1, 1]);
        // Its token table now remembers the token too, for what is left of the window.
        assert!(matches!(
            second.transaction_tokens.begin("t", b"request"),
            Ok(TokenState::Done)
        ));
        // The record is the first request's, not rewritten by the repeats.
        assert_eq!(stored_token(storage.as_ref(), "t"), Some((at_ms, f)));
    }

    #[tokio::test]
    async fn another_request_with_a_token_used_on_another_server_is_refused() {
        let storage = Arc::new(MemoryStorage::new());
        let first = engine_on(storage.clone()).await;
        first
            .transact_write_items(
                vec![increment("a")],
                Some(("t".to_string(), b"request".to_vec())),
            )
            .await
            .unwrap();
        let second = server_on(storage.clone());
        let err = second
            .transact_write_items(
                vec![increment("b")],
                Some(("t".to_string(), b"other".to_vec())),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, EngineError::IdempotentParameterMismatch(m)
                if m == "Request parameters do not match the original request for this idempotency token"),
            "{err:?}"
        );
        assert_eq!(counts(&second, &["a", "b"]), [1, 0]);
        // The refusal leaves the token as it was, on both servers.
        assert_eq!(
            stored_token(storage.as_ref(), "t").map(|(_, f)| f),
            Some(b"request".to_vec())
        );
        second
            .transact_write_items(
                vec![increment("a")],
                Some(("t".to_string(), b"request".to_vec())),
            )
            .await
            .unwrap();
        assert_eq!(counts(&second, &["a"]), [1]);
    }

    #[tokio::test]
    async fn an_expired_token_record_frees_its_token() {
        assert!(token_record_live(1_000, 1_000));
        assert!(token_record_live(1_000, 1_000 + 599_999));
        assert!(!token_record_live(1_000, 1_000 + 600_000));
        assert!(token_record_live(2_000, 1_000), "a clock ahead is live");

        let storage = Arc::new(MemoryStorage::new());
        let engine = engine_on(storage.clone()).await;
        let old = IDEMPOTENCY_WINDOW + Duration::from_secs(1);
        // An expired record of the same request, and one of another request.
        store_token_record(storage.as_ref(), "same", old, b"request").await;
        store_token_record(storage.as_ref(), "other", old, b"earlier").await;
        for token in ["same", "other"] {
            engine
                .transact_write_items(
                    vec![increment(token)],
                    Some((token.to_string(), b"request".to_vec())),
                )
                .await
                .unwrap();
            let (at_ms, f) = stored_token(storage.as_ref(), token).unwrap();
            assert!(token_record_live(at_ms, crate::now_millis()), "renewed");
            assert_eq!(f, b"request");
        }
        assert_eq!(counts(&engine, &["same", "other"]), [1, 1]);
        // A live record, for comparison, answers without applying.
        store_token_record(
            storage.as_ref(),
            "live",
            Duration::from_secs(540),
            b"request",
        )
        .await;
        engine
            .transact_write_items(
                vec![increment("live")],
                Some(("live".to_string(), b"request".to_vec())),
            )
            .await
            .unwrap();
        assert_eq!(counts(&engine, &["live"]), [0]);
    }

    #[tokio::test]
    async fn the_sweep_deletes_expired_token_records_only() {
        let storage = Arc::new(MemoryStorage::new());
        let engine = engine_on(storage.clone()).await;
        engine
            .transact_write_items(
                vec![increment("a")],
                Some(("fresh".to_string(), b"request".to_vec())),
            )
            .await
            .unwrap();
        let window = IDEMPOTENCY_WINDOW;
        store_token_record(storage.as_ref(), "young", window / 2, b"r").await;
        store_token_record(storage.as_ref(), "old", window, b"r").await;
        store_token_record(storage.as_ref(), "older", window * 3, b"r").await;
        let mut unreadable = WriteBatch::new();
        unreadable.put(keys::transaction_token_key("unreadable"), b"abc".to_vec());
        storage.commit(unreadable).await.unwrap();

        assert_eq!(sweep_transaction_tokens(storage.as_ref()).await.unwrap(), 3);
        let (start, end) = keys::transaction_token_range();
        let left: Vec<Vec<u8>> = storage
            .scan(&start, &end, false)
            .map(|entry| entry.unwrap().0)
            .collect();
        assert_eq!(
            left,
            [
                keys::transaction_token_key("fresh"),
                keys::transaction_token_key("young")
            ]
        );
        assert_eq!(sweep_transaction_tokens(storage.as_ref()).await.unwrap(), 0);
        // The table's items are not token records.
        assert_eq!(counts(&engine, &["a"]), [1]);
    }

    #[tokio::test]
    async fn a_tokened_transaction_of_checks_only_is_recorded() {
        let storage = Arc::new(MemoryStorage::new());
        let first = engine_on(storage.clone()).await;
        let missing = || TransactWrite {
            table: "T".into(),
            kind: TransactWriteKind::ConditionCheck(key("x")),
            apply: Box::new(|current| match current {
                None => Ok(WriteAction::Nothing),
                Some(i) => Err(EngineError::ConditionalCheckFailed(Some(Box::new(
                    i.clone(),
                )))),
            }),
        };
        let token = || Some(("t".to_string(), b"check".to_vec()));
        first
            .transact_write_items(vec![missing()], token())
            .await
            .unwrap();
        assert!(stored_token(storage.as_ref(), "t").is_some());
        // The check would fail now, but the request succeeded before: a repeat says so.
        first
            .transact_write_items(vec![increment("x")], None)
            .await
            .unwrap();
        let second = server_on(storage.clone());
        second
            .transact_write_items(vec![missing()], token())
            .await
            .unwrap();
        // Without a token, the checks-only transaction writes nothing at all.
        let before = storage.scan(&[], &[0xFF], false).count();
        assert!(matches!(
            second.transact_write_items(vec![missing()], None).await,
            Err(EngineError::TransactionCanceled(_))
        ));
        assert_eq!(storage.scan(&[], &[0xFF], false).count(), before);
    }

    #[tokio::test]
    async fn losing_a_race_on_the_token_answers_with_the_winners_record() {
        for (winner, expect_ok) in [(&b"request"[..], true), (&b"other"[..], false)] {
            let storage = Arc::new(MemoryStorage::new());
            let engine = engine_on(storage.clone()).await;
            // While the request's first attempt evaluates, another server commits a request
            // with the same token (its record alone: the item is left as it was).
            let racer = storage.clone();
            let raced = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let once = Arc::clone(&raced);
            let mut action = increment("a");
            let inner = action.apply;
            action.apply = Box::new(move |current| {
                if !once.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    let mut batch = WriteBatch::new();
                    batch.put(
                        keys::transaction_token_key("t"),
                        encode_token_record(crate::now_millis(), winner),
                    );
                    // Submission is eager: applied now, whether or not anyone awaits it.
                    drop(racer.commit(batch));
                }
                inner(current)
            });
            let outcome = engine
                .transact_write_items(vec![action], Some(("t".into(), b"request".to_vec())))
                .await;
            assert!(raced.load(std::sync::atomic::Ordering::SeqCst));
            if expect_ok {
                outcome.unwrap();
            } else {
                assert!(
                    matches!(outcome, Err(EngineError::IdempotentParameterMismatch(_))),
                    "{outcome:?}"
                );
            }
            // Either way the losing attempt applied nothing.
            assert_eq!(counts(&engine, &["a"]), [0]);
            assert_eq!(
                stored_token(storage.as_ref(), "t").map(|(_, f)| f),
                Some(winner.to_vec())
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn servers_racing_one_token_apply_it_once() {
        let storage = Arc::new(MemoryStorage::new());
        let first = engine_on(storage.clone()).await;
        let servers = [
            first,
            server_on(storage.clone()),
            server_on(storage.clone()),
        ];
        let mut tasks = Vec::new();
        for round in 0..20 {
            let token = format!("t{round}");
            for server in servers.iter().chain(&servers) {
                let server = Arc::clone(server);
                let token = token.clone();
                tasks.push(tokio::spawn(async move {
                    server
                        .transact_write_items(
                            vec![increment("a"), increment("b")],
                            Some((token, b"request".to_vec())),
                        )
                        .await
                }));
            }
        }
        for t in tasks {
            match t.await.unwrap() {
                // A duplicate still running on the same server.
                Ok(()) | Err(EngineError::TransactionInProgress(_)) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(counts(&servers[2], &["a", "b"]), [20, 20]);
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
