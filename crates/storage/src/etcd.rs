//! The etcd v3 backend: the [`Storage`] trait over a Raft-replicated etcd cluster, so that
//! several ferrodyn servers share one store (`serve --storage etcd://h1:2379,h2:2379`).
//!
//! Mapping:
//! * A key `k` is the etcd key `prefix ++ k` (the prefix, `ferrodyn/` by default, keeps
//!   ferrodyn's keys apart from anything else in the cluster and lets tests share one).
//! * A value's [`Version`] is its etcd `mod_revision`. Revisions grow with every change of
//!   the cluster and are never reused, so they are the trait's versions as they are; the puts
//!   of one batch share their commit's revision (the one guarantee etcd gives that the other
//!   backends exceed: see [`Storage`]).
//! * [`Storage::commit`] is ONE etcd `Txn`: a compare per precondition (`mod_revision ==
//!   v`, or `version == 0` for "absent"), then the batch's puts and deletes (a range delete
//!   is a delete with a range end). etcd refuses a transaction that writes a key twice or
//!   puts a key inside a deleted range, so the batch is first reduced to its net effect:
//!   the last write of each key, and the ranges with those keys cut out. When a compare
//!   fails, the `else` branch reads the checked keys in the same revision, naming one that
//!   failed in [`StorageError::Conflict`].
//! * A [`Snapshot`] is a revision: the revision of a linearizable read when it is taken; its
//!   reads pass that revision. A scan reads pages of [`SCAN_PAGE`] keys, every page at the
//!   first page's revision, so it is one point-in-time view as the trait requires. A
//!   snapshot outlives nothing: once etcd compacts past its revision its reads fail (run
//!   etcd with `--auto-compaction-mode=periodic --auto-compaction-retention=1h`, longer than
//!   the longest backup or export).
//!
//! The trait's reads are synchronous, the etcd client is async: the client runs on a small
//! runtime of this backend's own, and a read waits for its answer, inside
//! `tokio::task::block_in_place` when called from a multi-threaded runtime (the server's),
//! so the other tasks of that worker move on meanwhile. Commits need no waiting: their future
//! is the client task's answer.
//!
//! Durability is etcd's: a Txn is acknowledged once a majority of members wrote it to their
//! WAL and fsynced it; concurrent Txns share a Raft batch and its fsync (etcd's own group
//! commit), so many requests in flight are what makes it fast.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions, KvClient, SortOrder,
    SortTarget, Txn, TxnOp, TxnOpResponse,
};

use crate::{
    CommitFuture, GetFuture, KvIter, Leadership, Mutation, Snapshot, Storage, StorageError,
    Version, Versioned, WriteBatch,
};

/// Keys read by one page of a scan.
pub const SCAN_PAGE: i64 = 128;

/// The most bytes one etcd answer may carry on our side (a scan page of 400 KB items; etcd's
/// own request limit is `--max-request-bytes`).
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// How to reach the cluster.
#[derive(Debug, Clone)]
pub struct EtcdOptions {
    /// Client URLs of the members, `http://host:port` or `host:port`.
    pub endpoints: Vec<String>,
    /// Prepended to every key; not empty.
    pub prefix: Vec<u8>,
    /// How long one request may take before it fails (a member down, no leader).
    pub request_timeout: Duration,
}

impl EtcdOptions {
    /// The default prefix (`ferrodyn/`) and a 10 s request timeout.
    pub fn new(endpoints: Vec<String>) -> EtcdOptions {
        EtcdOptions {
            endpoints,
            prefix: b"ferrodyn/".to_vec(),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// Parses `etcd://h1:2379,h2:2379[/prefix]` (what `serve --storage` takes).
    pub fn from_url(url: &str) -> Result<EtcdOptions, String> {
        let rest = url
            .strip_prefix("etcd://")
            .ok_or_else(|| format!("not an etcd:// URL: {url}"))?;
        let (hosts, prefix) = match rest.split_once('/') {
            Some((hosts, prefix)) if !prefix.is_empty() => (hosts, Some(prefix)),
            Some((hosts, _)) => (hosts, None),
            None => (rest, None),
        };
        let endpoints: Vec<String> = hosts
            .split(',')
            .filter(|h| !h.is_empty())
            .map(|h| format!("http://{h}"))
            .collect();
        if endpoints.is_empty() {
            return Err(format!("no etcd endpoint in {url}"));
        }
        let mut options = EtcdOptions::new(endpoints);
        if let Some(prefix) = prefix {
            options.prefix = format!("{prefix}/").into_bytes();
        }
        Ok(options)
    }
}

/// Connections opened to each member: requests are spread over them round robin (one
/// HTTP/2 connection carries every request of its client through one dispatch task).
const CONNECTIONS_PER_MEMBER: usize = 4;

/// How long a member whose connection was refused is left out before it is tried again.
const MEMBER_PAUSE: Duration = Duration::from_secs(1);

/// The connections to the members. A request goes to the next connection round robin,
/// skipping members that refused a connection in the last [`MEMBER_PAUSE`]; when it fails in a
/// way that says it reached no member (a refused connection) or, for a read, that the member
/// could not serve it (Unavailable: down, no leader, leader changed), it is sent to the next
/// member. A commit that may have reached a member is never sent again: its outcome is
/// unknown and the error says so.
struct Members {
    /// (member index, client) of every connection.
    clients: Vec<(usize, Client, KvClient)>,
    /// Per member: until when (milliseconds since `epoch`) it is left out.
    paused_until: Vec<std::sync::atomic::AtomicU64>,
    next: std::sync::atomic::AtomicUsize,
    epoch: std::time::Instant,
    /// The highest store revision this server has committed or read at. A serializable read
    /// answered by a member behind it (one that has not applied this server's own last
    /// commit yet) is asked again linearizably: eventually consistent reads still see this
    /// server's acknowledged writes, as they do on the embedded engine.
    seen: std::sync::atomic::AtomicI64,
}

/// Whether a request failed before reaching any member.
fn unsent(e: &etcd_client::Error) -> bool {
    match e {
        etcd_client::Error::TransportError(_) => true,
        etcd_client::Error::GRpcStatus(status) => {
            let text = status.message();
            status.code() == tonic::Code::Unavailable
                && (text.contains("tcp connect error") || text.contains("onnection refused"))
        }
        _ => false,
    }
}

/// Whether a read may be sent to another member after this error.
fn read_elsewhere(e: &etcd_client::Error) -> bool {
    unsent(e)
        || matches!(e, etcd_client::Error::GRpcStatus(status)
            if matches!(status.code(), tonic::Code::Unavailable | tonic::Code::Unknown))
}

impl Members {
    fn saw(&self, header: Option<&etcd_client::ResponseHeader>) {
        if let Some(header) = header {
            self.seen
                .fetch_max(header.revision(), std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The connections to try, in order: the next one round robin, then one of each other
    /// member; paused members last.
    fn order(&self) -> Vec<usize> {
        use std::sync::atomic::Ordering;
        let n = self.clients.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let now = self.now_ms();
        let mut seen = Vec::new();
        let (mut live, mut paused) = (Vec::new(), Vec::new());
        for step in 0..n {
            let i = (first + step) % n;
            let member = self.clients[i].0;
            if seen.contains(&member) {
                continue;
            }
            seen.push(member);
            if self.paused_until[member].load(Ordering::Relaxed) > now {
                paused.push(i);
            } else {
                live.push(i);
            }
        }
        live.extend(paused);
        live
    }

    fn pause(&self, i: usize) {
        let member = self.clients[i].0;
        self.paused_until[member].store(
            self.now_ms() + MEMBER_PAUSE.as_millis() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Sends `request` to a member, and to the next one after an error `again` allows.
    async fn send<T, F, Fut>(
        &self,
        again: fn(&etcd_client::Error) -> bool,
        request: F,
    ) -> Result<T, StorageError>
    where
        F: Fn(KvClient) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let mut last = None;
        for i in self.order() {
            match request(self.clients[i].2.clone()).await {
                Ok(answer) => return Ok(answer),
                Err(e) => {
                    if unsent(&e) {
                        self.pause(i);
                    }
                    if !again(&e) {
                        return Err(backend(e));
                    }
                    last = Some(e);
                }
            }
        }
        Err(backend(last.expect("at least one member")))
    }

    /// A read: any member may answer it, and another one after it failed.
    async fn read<T, F, Fut>(&self, request: F) -> Result<T, StorageError>
    where
        F: Fn(KvClient) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.send(read_elsewhere, request).await
    }

    /// A write: sent again only when it reached no member.
    async fn write<T, F, Fut>(&self, request: F) -> Result<T, StorageError>
    where
        F: Fn(KvClient) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        self.send(unsent, request).await
    }

    /// One client per member (leaderships and watches move to the next one after an error).
    fn per_member(&self) -> Vec<Client> {
        let mut out: Vec<(usize, Client)> = Vec::new();
        for (member, client, _) in &self.clients {
            if !out.iter().any(|(m, _)| m == member) {
                out.push((*member, client.clone()));
            }
        }
        out.into_iter().map(|(_, c)| c).collect()
    }
}

/// The etcd backend. Cheap to share: every request goes over one of a few HTTP/2
/// connections to the members ([`Members`]).
pub struct EtcdStorage {
    members: Arc<Members>,
    prefix: Vec<u8>,
    /// Runs the client; shut down (without waiting) when the storage is dropped.
    _runtime: ClientRuntime,
    handle: tokio::runtime::Handle,
}

fn backend(e: etcd_client::Error) -> StorageError {
    StorageError::Backend(format!("etcd: {e}"))
}

impl EtcdStorage {
    /// Connects to the cluster: waits up to the request timeout for one member to answer
    /// (the others may be down; they are used once they answer).
    pub fn connect(options: EtcdOptions) -> Result<EtcdStorage, StorageError> {
        if options.prefix.is_empty() {
            return Err(StorageError::Backend("the etcd key prefix is empty".into()));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("etcd-client")
            .enable_all()
            .build()
            .map_err(|e| StorageError::Backend(format!("etcd client runtime: {e}")))?;
        let runtime = ClientRuntime(Some(runtime));
        let handle = runtime.0.as_ref().expect("just built").handle().clone();
        let connect = {
            let options = options.clone();
            async move {
                let connect_options = ConnectOptions::new()
                    .with_timeout(options.request_timeout)
                    .with_connect_timeout(Duration::from_secs(2))
                    .with_keep_alive(Duration::from_secs(2), Duration::from_secs(4))
                    // A member cut off from the others' quorum refuses requests (and ends
                    // watches) instead of answering from its own, aging state.
                    .with_require_leader(true);
                // Interleaved by member, so that round robin spreads over the members.
                let mut clients = Vec::new();
                for _ in 0..CONNECTIONS_PER_MEMBER {
                    for (member, endpoint) in options.endpoints.iter().enumerate() {
                        // Connects lazily: a member down now is used once it is back.
                        let client = Client::connect([endpoint], Some(connect_options.clone()))
                            .await
                            .map_err(backend)?;
                        let kv = client
                            .kv_client()
                            .max_decoding_message_size(MAX_MESSAGE_BYTES)
                            .max_encoding_message_size(MAX_MESSAGE_BYTES);
                        clients.push((member, client, kv));
                    }
                }
                if clients.is_empty() {
                    return Err(StorageError::Backend("no etcd endpoint".into()));
                }
                let members = Members {
                    clients,
                    paused_until: (0..options.endpoints.len())
                        .map(|_| std::sync::atomic::AtomicU64::new(0))
                        .collect(),
                    next: Default::default(),
                    epoch: std::time::Instant::now(),
                    seen: std::sync::atomic::AtomicI64::new(0),
                };
                // One read, so that an unreachable cluster fails here and not at the first
                // request.
                revision(&members, options.prefix.clone()).await?;
                Ok::<_, StorageError>(members)
            }
        };
        let members = Arc::new(wait(&handle, connect)?);
        Ok(EtcdStorage {
            members,
            prefix: options.prefix,
            _runtime: runtime,
            handle,
        })
    }

    fn full_key(&self, key: &[u8]) -> Vec<u8> {
        let mut full = Vec::with_capacity(self.prefix.len() + key.len());
        full.extend_from_slice(&self.prefix);
        full.extend_from_slice(key);
        full
    }

    /// Runs a request on the client's runtime and waits for its answer.
    fn run<T: Send + 'static>(
        &self,
        request: impl Future<Output = Result<T, StorageError>> + Send + 'static,
    ) -> Result<T, StorageError> {
        wait(&self.handle, request)
    }

    fn get_at(&self, key: &[u8], revision: Option<i64>) -> Result<Option<Versioned>, StorageError> {
        let members = Arc::clone(&self.members);
        let full = self.full_key(key);
        let mut options = GetOptions::new();
        if let Some(revision) = revision {
            options = options.with_revision(revision);
        }
        self.run(async move { get(&members, full, options).await })
    }

    /// The cluster's current revision, by a linearizable read.
    fn current_revision(&self) -> Result<i64, StorageError> {
        let members = Arc::clone(&self.members);
        let key = self.prefix.clone();
        self.run(async move { revision(&members, key).await })
    }

    fn scan_at(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        revision: Option<i64>,
    ) -> KvIter<'_> {
        if start >= end {
            return Box::new(std::iter::empty());
        }
        Box::new(Scan {
            storage: self,
            start: self.full_key(start),
            end: self.full_key(end),
            reverse,
            revision,
            page: std::collections::VecDeque::new(),
            done: false,
        })
    }

    /// One page of a scan: up to [`SCAN_PAGE`] keys of `[start, end)`, at `revision` (or the
    /// latest, whose revision is returned).
    fn page(
        &self,
        start: Vec<u8>,
        end: Vec<u8>,
        reverse: bool,
        revision: Option<i64>,
    ) -> Result<(Vec<(Vec<u8>, Versioned)>, bool, i64), StorageError> {
        let members = Arc::clone(&self.members);
        let prefix_len = self.prefix.len();
        self.run(async move {
            let mut options = GetOptions::new().with_range(end).with_limit(SCAN_PAGE);
            if reverse {
                options = options.with_sort(SortTarget::Key, SortOrder::Descend);
            }
            if let Some(revision) = revision {
                options = options.with_revision(revision);
            }
            let response = members
                .read(|mut kv| {
                    let (start, options) = (start.clone(), options.clone());
                    async move { kv.get(start, Some(options)).await }
                })
                .await?;
            let at = response.header().map(|h| h.revision()).unwrap_or(0);
            let rows = response
                .kvs()
                .iter()
                .map(|kv| {
                    (
                        kv.key()[prefix_len..].to_vec(),
                        Versioned {
                            version: kv.mod_revision() as Version,
                            value: kv.value().to_vec(),
                        },
                    )
                })
                .collect();
            Ok((rows, response.more(), revision.unwrap_or(at)))
        })
    }
}

/// The client's runtime, shut down without waiting when dropped, and not on the dropping
/// thread: that may be a runtime's, where tokio forbids it.
struct ClientRuntime(Option<tokio::runtime::Runtime>);

impl Drop for ClientRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            std::thread::spawn(move || runtime.shutdown_background());
        }
    }
}

/// The cluster's current revision: the header of a linearizable count of `key` (the prefix).
async fn revision(members: &Members, key: Vec<u8>) -> Result<i64, StorageError> {
    let response = members
        .read(|mut kv| {
            let key = key.clone();
            async move { kv.get(key, Some(GetOptions::new().with_count_only())).await }
        })
        .await?;
    response
        .header()
        .map(|h| h.revision())
        .ok_or_else(|| StorageError::Backend("etcd: answer without a header".into()))
}

/// A read of one key with `options` (linearizable unless they say otherwise).
async fn get(
    members: &Members,
    full: Vec<u8>,
    options: GetOptions,
) -> Result<Option<Versioned>, StorageError> {
    Ok(versioned(&get_response(members, &full, options).await?))
}

async fn get_response(
    members: &Members,
    full: &[u8],
    options: GetOptions,
) -> Result<etcd_client::GetResponse, StorageError> {
    let response = members
        .read(|mut kv| {
            let (full, options) = (full.to_vec(), options.clone());
            async move { kv.get(full, Some(options)).await }
        })
        .await?;
    members.saw(response.header());
    Ok(response)
}

fn versioned(response: &etcd_client::GetResponse) -> Option<Versioned> {
    response.kvs().first().map(|kv| Versioned {
        version: kv.mod_revision() as Version,
        value: kv.value().to_vec(),
    })
}

/// Runs `request` on `handle`'s runtime and blocks the calling thread until it answers.
fn wait<T: Send + 'static>(
    handle: &tokio::runtime::Handle,
    request: impl Future<Output = Result<T, StorageError>> + Send + 'static,
) -> Result<T, StorageError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    handle.spawn(async move {
        let _ = tx.send(request.await);
    });
    let receive = || rx.recv().unwrap_or(Err(StorageError::Closed));
    match tokio::runtime::Handle::try_current() {
        Ok(current) if current.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(receive)
        }
        _ => receive(),
    }
}

/// A scan in pages, all at the revision of its first page.
struct Scan<'a> {
    storage: &'a EtcdStorage,
    /// The range still to read, as full keys.
    start: Vec<u8>,
    end: Vec<u8>,
    reverse: bool,
    revision: Option<i64>,
    page: std::collections::VecDeque<(Vec<u8>, Versioned)>,
    done: bool,
}

impl Iterator for Scan<'_> {
    type Item = Result<(Vec<u8>, Versioned), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            match self.storage.page(
                self.start.clone(),
                self.end.clone(),
                self.reverse,
                self.revision,
            ) {
                Ok((rows, more, revision)) => {
                    self.revision = Some(revision);
                    self.done = !more || rows.is_empty();
                    if let Some((last, _)) = rows.last() {
                        let last = self.storage.full_key(last);
                        if self.reverse {
                            self.end = last;
                        } else {
                            self.start = last;
                            self.start.push(0);
                        }
                    }
                    self.page.extend(rows);
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.page.pop_front().map(Ok)
    }
}

/// A revision of the store.
struct EtcdSnapshot<'a> {
    storage: &'a EtcdStorage,
    revision: Result<i64, String>,
}

impl EtcdSnapshot<'_> {
    fn revision(&self) -> Result<i64, StorageError> {
        self.revision.clone().map_err(StorageError::Backend)
    }
}

impl Snapshot for EtcdSnapshot<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
        self.storage.get_at(key, Some(self.revision()?))
    }

    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
        match self.revision() {
            Ok(revision) => self.storage.scan_at(start, end, reverse, Some(revision)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        }
    }
}

/// The net effect of a batch's mutations, as etcd accepts it in one Txn: each key written at
/// most once, no put inside a deleted range, ranges disjoint.
fn net_effect(mutations: Vec<Mutation>) -> Vec<Mutation> {
    use std::collections::BTreeMap;
    let mut last: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
    let mut ranges: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for mutation in mutations {
        match mutation {
            Mutation::Put { key, value } => {
                last.insert(key, Some(value));
            }
            Mutation::Delete { key } => {
                last.insert(key, None);
            }
            Mutation::DeleteRange { start, end } => {
                if start >= end {
                    continue;
                }
                // Earlier writes inside the range are undone by it.
                let inside: Vec<Vec<u8>> = last
                    .range(start.clone()..end.clone())
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in inside {
                    last.remove(&key);
                }
                ranges.push((start, end));
            }
        }
    }
    // Disjoint ranges, in order.
    ranges.sort();
    let mut merged: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    for (start, end) in ranges {
        match merged.last_mut() {
            Some((_, last_end)) if start <= *last_end => {
                if end > *last_end {
                    *last_end = end;
                }
            }
            _ => merged.push((start, end)),
        }
    }
    let mut out = Vec::new();
    for (start, end) in merged {
        // Later single-key writes inside the range are cut out of it.
        let mut from = start;
        for key in last.range(from.clone()..end.clone()).map(|(k, _)| k) {
            if from < *key {
                out.push(Mutation::DeleteRange {
                    start: from.clone(),
                    end: key.clone(),
                });
            }
            from = key.clone();
            from.push(0);
        }
        if from < end {
            out.push(Mutation::DeleteRange { start: from, end });
        }
    }
    for (key, value) in last {
        out.push(match value {
            Some(value) => Mutation::Put { key, value },
            None => Mutation::Delete { key },
        });
    }
    out
}

impl Storage for EtcdStorage {
    fn get(&self, key: &[u8]) -> Result<Option<Versioned>, StorageError> {
        self.get_at(key, None)
    }

    fn get_async<'a>(&'a self, key: &'a [u8]) -> GetFuture<'a> {
        // On the caller's runtime: the connections are shared across runtimes, and no
        // thread waits for the answer.
        let full = self.full_key(key);
        Box::pin(async move { get(&self.members, full, GetOptions::new()).await })
    }

    fn get_eventual_async<'a>(&'a self, key: &'a [u8]) -> GetFuture<'a> {
        // Serializable: the member's own state, without a ReadIndex round; behind the
        // cluster by at most what that member has not applied yet.
        let full = self.full_key(key);
        Box::pin(async move {
            let members = &self.members;
            let seen = members.seen.load(std::sync::atomic::Ordering::Relaxed);
            let response =
                get_response(members, &full, GetOptions::new().with_serializable()).await?;
            let current = response.header().map_or(0, |h| h.revision()) >= seen;
            if current {
                Ok(versioned(&response))
            } else {
                get(members, full, GetOptions::new()).await
            }
        })
    }

    fn scan(&self, start: &[u8], end: &[u8], reverse: bool) -> KvIter<'_> {
        self.scan_at(start, end, reverse, None)
    }

    fn snapshot(&self) -> Box<dyn Snapshot + '_> {
        Box::new(EtcdSnapshot {
            storage: self,
            revision: self.current_revision().map_err(|e| e.to_string()),
        })
    }

    fn commit(&self, batch: WriteBatch) -> CommitFuture {
        let compares: Vec<Compare> = batch
            .preconditions
            .iter()
            .map(|p| {
                let key = self.full_key(&p.key);
                match p.expected {
                    Some(version) => Compare::mod_revision(key, CompareOp::Equal, version as i64),
                    None => Compare::version(key, CompareOp::Equal, 0),
                }
            })
            .collect();
        let checks: Vec<TxnOp> = batch
            .preconditions
            .iter()
            .map(|p| {
                TxnOp::get(
                    self.full_key(&p.key),
                    Some(GetOptions::new().with_keys_only()),
                )
            })
            .collect();
        let operations: Vec<TxnOp> = net_effect(batch.mutations)
            .into_iter()
            .map(|m| match m {
                Mutation::Put { key, value } => TxnOp::put(self.full_key(&key), value, None),
                Mutation::Delete { key } => TxnOp::delete(self.full_key(&key), None),
                Mutation::DeleteRange { start, end } => TxnOp::delete(
                    self.full_key(&start),
                    Some(DeleteOptions::new().with_range(self.full_key(&end))),
                ),
            })
            .collect();
        let preconditions = batch.preconditions;
        let members = Arc::clone(&self.members);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.handle.spawn(async move {
            let txn = Txn::new()
                .when(compares)
                .and_then(operations)
                .or_else(checks);
            let answer = members
                .write(|mut kv| {
                    let txn = txn.clone();
                    async move { kv.txn(txn).await }
                })
                .await;
            if let Ok(response) = &answer {
                members.saw(response.header());
            }
            let outcome = match answer {
                Err(e) => Err(e),
                Ok(response) if response.succeeded() => Ok(()),
                Ok(response) => {
                    // Which precondition failed, from the keys as the Txn saw them.
                    let mut failed = preconditions.first().map(|p| p.key.clone());
                    for (pre, answer) in preconditions.iter().zip(response.op_responses()) {
                        if let TxnOpResponse::Get(get) = answer {
                            let now = get.kvs().first().map(|kv| kv.mod_revision() as Version);
                            if now != pre.expected {
                                failed = Some(pre.key.clone());
                                break;
                            }
                        }
                    }
                    Err(StorageError::Conflict {
                        key: failed.unwrap_or_default(),
                    })
                }
            };
            let _ = tx.send(outcome);
        });
        Box::pin(async move { rx.await.unwrap_or(Err(StorageError::Closed)) })
    }

    fn flush(&self) -> Result<(), StorageError> {
        // Every acknowledged Txn is already in a majority's fsynced WAL.
        Ok(())
    }

    fn leadership(&self, name: &str) -> Option<Leadership> {
        Some(crate::election::campaign(
            self.members.per_member(),
            &self.handle,
            self.full_key(format!("\u{0}leader/{name}").as_bytes()),
        ))
    }

    fn watch(&self, prefix: &[u8]) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(crate::election::watch(
            self.members.per_member(),
            &self.handle,
            self.full_key(prefix),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(k: &str, v: &str) -> Mutation {
        Mutation::Put {
            key: k.into(),
            value: v.into(),
        }
    }

    fn del(k: &str) -> Mutation {
        Mutation::Delete { key: k.into() }
    }

    fn range(s: &str, e: &str) -> Mutation {
        Mutation::DeleteRange {
            start: s.into(),
            end: e.into(),
        }
    }

    fn show(ms: &[Mutation]) -> Vec<String> {
        ms.iter()
            .map(|m| match m {
                Mutation::Put { key, value } => format!(
                    "put {}={}",
                    String::from_utf8_lossy(key),
                    String::from_utf8_lossy(value)
                ),
                Mutation::Delete { key } => format!("del {}", String::from_utf8_lossy(key)),
                Mutation::DeleteRange { start, end } => format!(
                    "range {:?}..{:?}",
                    String::from_utf8_lossy(start),
                    String::from_utf8_lossy(end)
                ),
            })
            .collect()
    }

    #[test]
    fn last_write_of_a_key_wins() {
        let net = net_effect(vec![put("a", "1"), del("a"), put("b", "1"), put("b", "2")]);
        assert_eq!(show(&net), ["del a", "put b=2"]);
    }

    #[test]
    fn ranges_undo_earlier_writes_and_lose_later_keys() {
        let net = net_effect(vec![
            put("b", "early"),
            range("a", "f"),
            put("c", "late"),
            del("d"),
            range("e", "h"),
            range("x", "x"),
        ]);
        assert_eq!(
            show(&net),
            [
                "range \"a\"..\"c\"",
                "range \"c\\0\"..\"d\"",
                "range \"d\\0\"..\"h\"",
                "put c=late",
                "del d"
            ]
        );
    }

    #[test]
    fn urls() {
        let o = EtcdOptions::from_url("etcd://h1:2379,h2:2379").unwrap();
        assert_eq!(o.endpoints, ["http://h1:2379", "http://h2:2379"]);
        assert_eq!(o.prefix, b"ferrodyn/");
        let o = EtcdOptions::from_url("etcd://h1:2379/prod").unwrap();
        assert_eq!(o.prefix, b"prod/");
        assert!(EtcdOptions::from_url("http://h1").is_err());
        assert!(EtcdOptions::from_url("etcd://").is_err());
    }
}
