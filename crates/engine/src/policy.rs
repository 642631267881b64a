//! Resource-based policies: PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and
//! CreateTable's `ResourcePolicy`, for tables and for their streams.
//!
//! **Where they live.** A table's policy is part of its catalog entry ([`TableMeta::policy`](crate::TableMeta::policy)),
//! so it is written in the same commit as any other change of the table, goes with the table
//! on DeleteTable, and a table created again under the same name starts without one. A
//! stream's policy is part of the stream's catalog entry ([`StreamMeta::policy`](crate::StreamMeta::policy)): it is a
//! slot of its own (a table's policy never covers its stream, nor the other way round), and
//! it outlives the disabling of the stream and the deletion of the table, as DynamoDB's
//! Developer Guide says ("you can modify or delete a policy after a table is deleted. You can
//! also modify or delete the policy of a disabled stream", *Attach a resource-based policy to
//! a DynamoDB stream*); it goes when the stream itself is deleted, one retention period after
//! it was disabled (`streams.rs`). Both are in memory with the rest of the catalog, so
//! [`Engine::resource_policy`], which the request path calls, never reads the storage.
//!
//! **Revisions.** DynamoDB's RevisionId is the time of the change in milliseconds since the
//! epoch, a 13-digit decimal string, strictly increasing over the changes of one resource
//! (recorded from the live service). The ids here are the same: the current time, or one
//! past the resource's last revision when the clock has not moved on. A Put of a document
//! equivalent to the current one changes nothing and answers the current RevisionId, as
//! DynamoDB documents ("running it multiple times on the same resource using the same policy
//! document will return the same revision ID"); the `api` crate puts documents in a
//! canonical form first, so that equivalence is equality here. After a DeleteResourcePolicy
//! that removed a policy, a further one answers the RevisionId of that deletion, as DynamoDB
//! does ([`PolicySlot::deleted_revision`]).
//!
//! **Timing.** DynamoDB applies a change asynchronously (GetResourcePolicy may answer the old
//! state for a second or two) and refuses a different change of the same resource within 15
//! seconds of the last one. Both come from its replicated control plane; here a change is
//! applied when its commit is, reads see it at once, and changes are not rate-limited.

use std::sync::Arc;

use ferrodyn_storage::{StorageError, WriteBatch};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::streams::parse_stream_arn;
use crate::{keys, now_millis, Engine};

/// The value of ExpectedRevisionId that makes PutResourcePolicy succeed only when the
/// resource has no policy (API reference, PutResourcePolicy).
pub const NO_POLICY: &str = "NO_POLICY";

/// A policy attached to a table or a stream. Cloning shares the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredPolicy", into = "StoredPolicy")]
pub struct ResourcePolicy {
    /// The policy document, in the canonical form the `api` crate gave it (minified JSON).
    pub document: Arc<str>,
    /// RevisionId: milliseconds since the epoch of the change, in decimal.
    pub revision_id: Arc<str>,
}

/// [`ResourcePolicy`] as the catalog stores it (serde needs its "rc" feature for `Arc<str>`).
#[derive(Serialize, Deserialize)]
struct StoredPolicy {
    document: String,
    revision_id: String,
}

impl From<StoredPolicy> for ResourcePolicy {
    fn from(p: StoredPolicy) -> Self {
        ResourcePolicy {
            document: p.document.into(),
            revision_id: p.revision_id.into(),
        }
    }
}

impl From<ResourcePolicy> for StoredPolicy {
    fn from(p: ResourcePolicy) -> Self {
        StoredPolicy {
            document: p.document.to_string(),
            revision_id: p.revision_id.to_string(),
        }
    }
}

/// The policy state of one resource (a table or a stream).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicySlot {
    /// The attached policy, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<ResourcePolicy>,
    /// When the last DeleteResourcePolicy removed a policy: that deletion's RevisionId, which
    /// DynamoDB answers to later (idempotent) deletes and which a later Put's RevisionId
    /// exceeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_revision: Option<String>,
}

impl PolicySlot {
    /// A slot holding `document` at revision `revision_id`.
    pub(crate) fn with(document: String, revision_id: String) -> PolicySlot {
        PolicySlot {
            current: Some(ResourcePolicy {
                document: document.into(),
                revision_id: revision_id.into(),
            }),
            deleted_revision: None,
        }
    }

    /// Whether the resource never had a policy (the catalog then stores nothing for it).
    pub fn is_empty(&self) -> bool {
        self.current.is_none() && self.deleted_revision.is_none()
    }

    /// The RevisionId of the next change: now, or one past the last revision.
    fn next_revision(&self) -> String {
        let last = self
            .current
            .as_ref()
            .map(|p| &*p.revision_id)
            .into_iter()
            .chain(self.deleted_revision.as_deref())
            .filter_map(|r| r.parse::<u64>().ok())
            .max();
        let now = now_millis();
        last.map_or(now, |l| now.max(l + 1)).to_string()
    }
}

/// A RevisionId for a change made now (CreateTable's ResourcePolicy).
pub(crate) fn revision_now() -> String {
    now_millis().to_string()
}

/// What PutResourcePolicy and DeleteResourcePolicy require of the current policy
/// (ExpectedRevisionId).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedRevision {
    /// No ExpectedRevisionId: whatever is there.
    Any,
    /// `NO_POLICY` (PutResourcePolicy): that there is no policy.
    NoPolicy,
    /// That the current policy has this RevisionId.
    Is(String),
}

/// The resource of a policy operation, its ARN checked by the `api` crate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyTarget<'a> {
    /// A table, by name.
    Table(&'a str),
    /// A stream, by ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`).
    Stream(&'a str),
}

impl PolicyTarget<'_> {
    /// How DynamoDB names the resource in PolicyNotFoundException's texts: `table <name>`,
    /// and `stream <label>` as in its ThrottlingException for a stream's policy ("Resource-based
    /// policy for stream <label> modified within the previous 15000 milliseconds", recorded).
    fn noun(&self) -> String {
        match *self {
            PolicyTarget::Table(name) => format!("table {name}"),
            PolicyTarget::Stream(arn) => {
                let label = parse_stream_arn(arn).map_or(arn, |(_, l)| l);
                format!("stream {label}")
            }
        }
    }

    /// ResourceNotFoundException for a resource that does not exist, in DynamoDB's words
    /// (recorded: "Table: <name> not found"; for a stream "Stream: <label> not found for
    /// Table: <name>").
    fn not_found(&self) -> EngineError {
        EngineError::ResourceNotFound(match *self {
            PolicyTarget::Table(name) => {
                format!("Requested resource not found: Table: {name} not found")
            }
            PolicyTarget::Stream(arn) => {
                let (table, label) = parse_stream_arn(arn).unwrap_or((arn, arn));
                format!(
                    "Requested resource not found: Stream: {label} not found for Table: {table}"
                )
            }
        })
    }
}

/// The start of every PolicyNotFoundException text.
const NOT_FOUND: &str = "Resource-based policy not found for the provided ResourceArn";

/// Checks ExpectedRevisionId against the slot of `target`, with DynamoDB's texts (recorded
/// from the live service; the tail " policy." of the no-policy text is cut off in the
/// recording and completed here).
fn check_expected(slot: &PolicySlot, expected: &ExpectedRevision, noun: &str) -> Result<()> {
    let current = slot.current.as_ref().map(|p| &*p.revision_id);
    let message = match (expected, current) {
        (ExpectedRevision::Any, _) | (ExpectedRevision::NoPolicy, None) => return Ok(()),
        (ExpectedRevision::Is(e), Some(c)) if e == c => return Ok(()),
        (ExpectedRevision::NoPolicy, Some(c)) => format!(
            "{NOT_FOUND}: Requested policy update expecting none to be present for {noun}, but a policy exists with revision id {c}."
        ),
        (ExpectedRevision::Is(e), Some(c)) => format!(
            "{NOT_FOUND}: Requested update for policy with revision id {e}, but the policy associated to target {noun} has revision id {c}."
        ),
        (ExpectedRevision::Is(e), None) => format!(
            "{NOT_FOUND}: Requested update for policy with revision id {e}, but {noun} has no associated policy."
        ),
    };
    Err(EngineError::PolicyNotFound(message))
}

impl Engine {
    /// The policy attached to the resource `arn` names, for access checks on the request
    /// path: a table ARN gives the table's policy, an index ARN (`.../table/<name>/index/<i>`)
    /// the table's too (a table's policy is where its indexes' permissions are), a stream ARN
    /// the stream's. `None` when there is none or the resource does not exist. From memory:
    /// a lookup by table name, and for a stream not its table's latest a scan of the streams.
    pub fn resource_policy(&self, arn: &str) -> Option<ResourcePolicy> {
        if let Some((table, _)) = parse_stream_arn(arn) {
            let latest = self
                .tables
                .read()
                .get(table)
                .and_then(|meta| meta.latest_stream.as_ref().map(|s| (s.id, s.arn == arn)));
            let stream = match latest {
                Some((id, true)) => self.streams.get(id),
                _ => self.streams.by_arn(arn),
            }?;
            return stream.policy.current.clone();
        }
        let (table_arn, name) = match arn.split_once("/index/") {
            Some((table_arn, _)) => (table_arn, table_arn.rsplit_once("table/")?.1),
            None => (arn, arn.rsplit_once("table/")?.1),
        };
        let tables = self.tables.read();
        let meta = tables.get(name).filter(|m| m.arn == table_arn)?;
        meta.policy.current.clone()
    }

    /// GetResourcePolicy: the policy of a table or stream, or PolicyNotFoundException.
    pub fn get_resource_policy(&self, target: PolicyTarget<'_>) -> Result<ResourcePolicy> {
        let (slot, arn) = match target {
            PolicyTarget::Table(name) => {
                let meta = self.table(name).map_err(|_| target.not_found())?;
                (meta.policy.clone(), meta.arn.clone())
            }
            PolicyTarget::Stream(arn) => {
                let stream = self.streams.by_arn(arn).ok_or_else(|| target.not_found())?;
                (stream.policy.clone(), stream.arn.clone())
            }
        };
        slot.current
            .ok_or_else(|| EngineError::PolicyNotFound(format!("{NOT_FOUND}: {arn}")))
    }

    /// PutResourcePolicy: attaches `document` (canonical, checked by the `api` crate) to a
    /// table or stream and gives the RevisionId; an equivalent document changes nothing and
    /// gives the current one.
    pub async fn put_resource_policy(
        &self,
        target: PolicyTarget<'_>,
        document: String,
        expected: &ExpectedRevision,
    ) -> Result<Arc<str>> {
        self.change_policy(target, |slot, noun| {
            check_expected(slot, expected, noun)?;
            if let Some(current) = slot.current.as_ref().filter(|p| *p.document == document) {
                return Ok((Arc::clone(&current.revision_id), false));
            }
            let revision: Arc<str> = slot.next_revision().into();
            slot.current = Some(ResourcePolicy {
                document: document.into(),
                revision_id: Arc::clone(&revision),
            });
            Ok((revision, true))
        })
        .await
    }

    /// DeleteResourcePolicy: removes the policy of a table or stream and gives its RevisionId.
    /// Without one it succeeds (unless a revision is expected) and gives the RevisionId of
    /// the deletion that removed the last one, if any.
    pub async fn delete_resource_policy(
        &self,
        target: PolicyTarget<'_>,
        expected: &ExpectedRevision,
    ) -> Result<Option<Arc<str>>> {
        self.change_policy(target, |slot, noun| {
            check_expected(slot, expected, noun)?;
            if slot.current.is_none() {
                return Ok((slot.deleted_revision.as_deref().map(Arc::from), false));
            }
            let deleted = slot.next_revision();
            let removed = slot.current.take().expect("checked").revision_id;
            slot.deleted_revision = Some(deleted);
            Ok((Some(removed), true))
        })
        .await
    }

    /// Applies `change` to the policy slot of `target` under the catalog lock and, when it
    /// says it changed the slot, stores the resource's catalog entry with it.
    async fn change_policy<T>(
        &self,
        target: PolicyTarget<'_>,
        change: impl FnOnce(&mut PolicySlot, &str) -> Result<(T, bool)>,
    ) -> Result<T> {
        let _ddl = self.ddl.lock().await;
        let noun = target.noun();
        match target {
            PolicyTarget::Table(name) => {
                let mut meta = (*self.table(name).map_err(|_| target.not_found())?).clone();
                let (out, changed) = change(&mut meta.policy, &noun)?;
                if changed {
                    let mut batch = WriteBatch::new();
                    crate::catalog::stage_definition(&mut batch, &meta);
                    self.commit_ddl_with_streams(batch, name, Default::default())
                        .await?;
                    self.tables.write().insert(name.to_string(), Arc::new(meta));
                }
                Ok(out)
            }
            PolicyTarget::Stream(arn) => {
                let stream = self.streams.by_arn(arn).ok_or_else(|| target.not_found())?;
                let mut meta = (*stream).clone();
                let (out, changed) = change(&mut meta.policy, &noun)?;
                if changed {
                    // The trimmer deletes streams without the catalog lock: the entry must
                    // still be the one read, or the stream is gone.
                    let key = keys::stream_catalog_key(meta.id);
                    let stored = self.storage.get(&key)?.ok_or_else(|| target.not_found())?;
                    let mut batch = WriteBatch::new();
                    batch.expect(key.clone(), Some(stored.version));
                    batch.put(
                        key,
                        serde_json::to_vec(&meta).expect("StreamMeta serializes"),
                    );
                    match self.storage.commit(batch).await {
                        Ok(()) => {}
                        Err(StorageError::Conflict { .. }) => return Err(target.not_found()),
                        Err(e) => return Err(e.into()),
                    }
                    self.streams.replace_if_present(meta);
                }
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ferrodyn_storage::MemoryStorage;

    use super::*;
    use crate::test_support::attr;
    use crate::{EngineConfig, KeySchema, ScalarType, StreamSettings, StreamViewType, TableSpec};

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;
    const OTHER: &str = r#"{"Version":"2012-10-17","Statement":[{}]}"#;

    fn spec(name: &str) -> TableSpec {
        TableSpec::on_demand(
            name,
            KeySchema::new(attr("pk"), None),
            vec![("pk".into(), ScalarType::S)],
        )
    }

    fn engine() -> Engine {
        Engine::open(Arc::new(MemoryStorage::new()), EngineConfig::default()).unwrap()
    }

    fn policy_not_found(e: EngineError) -> String {
        match e {
            EngineError::PolicyNotFound(m) => m,
            e => panic!("expected PolicyNotFound, got {e:?}"),
        }
    }

    #[tokio::test]
    async fn revisions_increase_and_an_equal_document_keeps_its_revision() {
        let engine = engine();
        engine.create_table(spec("T")).await.unwrap();
        let t = PolicyTarget::Table("T");
        let r1 = engine
            .put_resource_policy(t, DOC.into(), &ExpectedRevision::NoPolicy)
            .await
            .unwrap();
        assert_eq!(r1.len(), 13, "milliseconds since the epoch: {r1}");
        let again = engine
            .put_resource_policy(t, DOC.into(), &ExpectedRevision::Any)
            .await
            .unwrap();
        assert_eq!(again, r1);
        let r2 = engine
            .put_resource_policy(t, OTHER.into(), &ExpectedRevision::Is(r1.to_string()))
            .await
            .unwrap();
        assert!(r2.parse::<u64>().unwrap() > r1.parse::<u64>().unwrap());
        // Back to the first document: a change, so a new revision.
        let r3 = engine
            .put_resource_policy(t, DOC.into(), &ExpectedRevision::Any)
            .await
            .unwrap();
        assert!(r3.parse::<u64>().unwrap() > r2.parse::<u64>().unwrap());
        assert_eq!(&*engine.get_resource_policy(t).unwrap().document, DOC);
    }

    #[tokio::test]
    async fn expected_revisions_are_checked_with_dynamodbs_texts() {
        let engine = engine();
        engine.create_table(spec("T")).await.unwrap();
        let t = PolicyTarget::Table("T");
        let e = engine
            .delete_resource_policy(t, &ExpectedRevision::Is("123".into()))
            .await
            .unwrap_err();
        assert_eq!(
            policy_not_found(e),
            "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id 123, but table T has no associated policy."
        );
        let r = engine
            .put_resource_policy(t, DOC.into(), &ExpectedRevision::Any)
            .await
            .unwrap();
        let e = engine
            .put_resource_policy(t, OTHER.into(), &ExpectedRevision::NoPolicy)
            .await
            .unwrap_err();
        assert_eq!(
            policy_not_found(e),
            format!("Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table T, but a policy exists with revision id {r}.")
        );
        // Checked before the no-op of an equal document.
        let e = engine
            .put_resource_policy(t, DOC.into(), &ExpectedRevision::Is("1".into()))
            .await
            .unwrap_err();
        assert_eq!(
            policy_not_found(e),
            format!("Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id 1, but the policy associated to target table T has revision id {r}.")
        );
        assert_eq!(
            engine
                .resource_policy(&engine.table("T").unwrap().arn)
                .unwrap()
                .revision_id,
            r
        );
    }

    #[tokio::test]
    async fn deletes_answer_the_removed_revision_then_the_deletions() {
        let engine = engine();
        engine.create_table(spec("T")).await.unwrap();
        let t = PolicyTarget::Table("T");
        assert_eq!(
            engine
                .delete_resource_policy(t, &ExpectedRevision::Any)
                .await
                .unwrap(),
            None
        );
        let r = engine
            .put_resource_policy(t, DOC.into(), &ExpectedRevision::Any)
            .await
            .unwrap();
        let removed = engine
            .delete_resource_policy(t, &ExpectedRevision::Is(r.to_string()))
            .await
            .unwrap();
        assert_eq!(removed, Some(r.clone()));
        let tombstone = engine
            .delete_resource_policy(t, &ExpectedRevision::Any)
            .await
            .unwrap()
            .unwrap();
        assert!(tombstone.parse::<u64>().unwrap() > r.parse::<u64>().unwrap());
        let e = engine.get_resource_policy(t).unwrap_err();
        assert_eq!(
            policy_not_found(e),
            "Resource-based policy not found for the provided ResourceArn: arn:aws:dynamodb:us-east-1:000000000000:table/T"
        );
        let next = engine
            .put_resource_policy(t, DOC.into(), &ExpectedRevision::NoPolicy)
            .await
            .unwrap();
        assert!(next.parse::<u64>().unwrap() > tombstone.parse::<u64>().unwrap());
    }

    #[tokio::test]
    async fn policies_survive_reopening_and_go_with_their_table() {
        let storage: Arc<dyn ferrodyn_storage::Storage> = Arc::new(MemoryStorage::new());
        let engine = Engine::open(Arc::clone(&storage), EngineConfig::default()).unwrap();
        engine
            .create_table(TableSpec {
                resource_policy: Some(DOC.into()),
                ..spec("T")
            })
            .await
            .unwrap();
        let created = engine
            .get_resource_policy(PolicyTarget::Table("T"))
            .unwrap();
        drop(engine);
        let engine = Engine::open(storage, EngineConfig::default()).unwrap();
        assert_eq!(
            engine
                .get_resource_policy(PolicyTarget::Table("T"))
                .unwrap(),
            created
        );
        engine.delete_table("T").await.unwrap();
        engine.create_table(spec("T")).await.unwrap();
        assert!(matches!(
            engine.get_resource_policy(PolicyTarget::Table("T")),
            Err(EngineError::PolicyNotFound(_))
        ));
    }

    #[tokio::test]
    async fn a_streams_policy_is_its_own_and_outlives_the_table_until_the_stream_goes() {
        let config = EngineConfig {
            stream_retention: Duration::from_secs(3600),
            ..EngineConfig::default()
        };
        let engine = Engine::open(Arc::new(MemoryStorage::new()), config).unwrap();
        let meta = engine
            .create_table(TableSpec {
                stream: Some(StreamSettings {
                    enabled: true,
                    view_type: Some(StreamViewType::KeysOnly),
                }),
                ..spec("T")
            })
            .await
            .unwrap();
        let stream_arn = meta.latest_stream.as_ref().unwrap().arn.clone();
        let s = PolicyTarget::Stream(&stream_arn);
        let r = engine
            .put_resource_policy(s, DOC.into(), &ExpectedRevision::Any)
            .await
            .unwrap();
        assert!(matches!(
            engine.get_resource_policy(PolicyTarget::Table("T")),
            Err(EngineError::PolicyNotFound(_))
        ));
        assert!(engine.resource_policy(&meta.arn).is_none());
        assert_eq!(engine.resource_policy(&stream_arn).unwrap().revision_id, r);
        let label = &meta.latest_stream.as_ref().unwrap().label;
        let e = engine
            .put_resource_policy(s, OTHER.into(), &ExpectedRevision::NoPolicy)
            .await
            .unwrap_err();
        assert!(
            policy_not_found(e).contains(&format!("for stream {label}, but")),
            "names the stream by its label"
        );
        engine.delete_table("T").await.unwrap();
        assert_eq!(engine.get_resource_policy(s).unwrap().revision_id, r);
        assert_eq!(engine.resource_policy(&stream_arn).unwrap().revision_id, r);
        let removed = engine
            .delete_resource_policy(s, &ExpectedRevision::Any)
            .await
            .unwrap();
        assert_eq!(removed, Some(r));
        engine
            .put_resource_policy(s, OTHER.into(), &ExpectedRevision::NoPolicy)
            .await
            .unwrap();
        // Disabled (by the deletion) for longer than a zero retention.
        tokio::time::sleep(Duration::from_millis(3)).await;
        crate::streams::trim(engine.storage.as_ref(), &engine.streams, Duration::ZERO)
            .await
            .unwrap();
        let e = engine.get_resource_policy(s).unwrap_err();
        match e {
            EngineError::ResourceNotFound(m) => assert_eq!(
                m,
                format!("Requested resource not found: Stream: {label} not found for Table: T")
            ),
            e => panic!("{e:?}"),
        }
        assert!(engine.resource_policy(&stream_arn).is_none());
    }

    #[tokio::test]
    async fn index_arns_read_the_tables_policy_and_foreign_arns_nothing() {
        let engine = engine();
        let meta = engine
            .create_table(TableSpec {
                resource_policy: Some(DOC.into()),
                ..spec("T")
            })
            .await
            .unwrap();
        assert!(engine
            .resource_policy(&format!("{}/index/by_x", meta.arn))
            .is_some());
        assert!(engine
            .resource_policy("arn:aws:dynamodb:us-east-1:111111111111:table/T")
            .is_none());
        assert!(engine.resource_policy("T").is_none());
    }
}
