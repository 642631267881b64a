//! Leaderships and change watches over etcd ([`Storage::leadership`](crate::Storage::leadership),
//! [`Storage::watch`](crate::Storage::watch)).
//!
//! A leadership is a key attached to a lease of [`LEASE_SECONDS`]: a process takes it with a
//! Txn that puts the key only where it is absent, then keeps the lease alive every
//! [`RENEW`]. When that process dies or loses the cluster, etcd ends the lease, which deletes
//! the key, and the next campaigner's Txn takes it. The holder steps down by its own clock
//! as soon as a renewal fails or is late, a second before etcd could end the lease counted
//! from the sending of the last renewal that succeeded (clock rates, not clock values, need
//! to agree). The work itself is not fenced: a pass of background work that began while
//! leading may finish after the step-down (the work's writes are conditional, so an overlap
//! repeats work rather than corrupting it, except where noted in the engine).

use std::time::Duration;

use etcd_client::{Client, Compare, CompareOp, PutOptions, Txn, TxnOp, WatchOptions};

use crate::Leadership;

/// Lifetime of a leadership's lease: how long the work stops when its holder dies.
pub const LEASE_SECONDS: i64 = 3;

/// How often the holder renews its lease, and how often the others try to take it.
const RENEW: Duration = Duration::from_millis(500);

/// The longest a renewal may take before the holder steps down.
const RENEW_DEADLINE: Duration = Duration::from_millis(1000);

/// How long before the lease could end, counted from the sending of its last renewal, the
/// holder stops believing it leads.
const MARGIN: Duration = Duration::from_millis(1000);

/// Starts campaigning for the leadership at `key` through `clients` (one per member, the
/// next one after a failure); the receiver shows whether it is held.
pub(crate) fn campaign(
    clients: Vec<Client>,
    runtime: &tokio::runtime::Handle,
    key: Vec<u8>,
) -> Leadership {
    let (tx, rx) = tokio::sync::watch::channel(false);
    runtime.spawn(async move {
        for client in clients.iter().cycle() {
            if tx.is_closed() {
                return;
            }
            if let Err(e) = hold(client.clone(), key.clone(), &tx).await {
                tracing::debug!(error = %e, "campaign failed; trying the next member");
            }
            let _ = tx.send(false);
            tokio::time::sleep(RENEW).await;
        }
    });
    rx
}

/// One attempt: a lease, the key if it is free, then renewals for as long as they succeed.
async fn hold(
    mut client: Client,
    key: Vec<u8>,
    leading: &tokio::sync::watch::Sender<bool>,
) -> Result<(), etcd_client::Error> {
    let lease = client.lease_grant(LEASE_SECONDS, None).await?.id();
    let (mut keeper, mut answers) = client.lease_keep_alive(lease).await?;
    loop {
        let take = Txn::new()
            .when([Compare::version(key.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(
                key.clone(),
                lease.to_string(),
                Some(PutOptions::new().with_lease(lease)),
            )]);
        if client.txn(take).await?.succeeded() {
            break;
        }
        if leading.is_closed() {
            let _ = client.lease_revoke(lease).await;
            return Ok(());
        }
        // Someone else leads: keep our lease alive and try again.
        keeper.keep_alive().await?;
        answers.message().await?;
        tokio::time::sleep(RENEW).await;
    }
    // Renewed at once, so that the lease runs from a known moment: etcd cannot end it before
    // LEASE_SECONDS after the renewal was sent, and this holder counts from the sending.
    let lease_time = Duration::from_secs(LEASE_SECONDS as u64);
    let Some(sent) = renew(&mut keeper, &mut answers, RENEW_DEADLINE).await else {
        return Ok(());
    };
    let mut valid_until = sent + lease_time - MARGIN;
    tracing::info!(key = %String::from_utf8_lossy(&key), "leadership taken");
    let _ = leading.send(true);
    loop {
        tokio::time::sleep(RENEW).await;
        if leading.is_closed() {
            let _ = client.lease_revoke(lease).await;
            return Ok(());
        }
        let left = valid_until.saturating_duration_since(std::time::Instant::now());
        match renew(&mut keeper, &mut answers, left.min(RENEW_DEADLINE)).await {
            Some(sent) if !left.is_zero() => valid_until = sent + lease_time - MARGIN,
            _ => {
                tracing::warn!(key = %String::from_utf8_lossy(&key), "leadership lost");
                return Ok(());
            }
        }
    }
}

/// One renewal of the lease, answered within `deadline`: when it was sent, or `None`.
async fn renew(
    keeper: &mut etcd_client::LeaseKeeper,
    answers: &mut etcd_client::LeaseKeepAliveStream,
    deadline: Duration,
) -> Option<std::time::Instant> {
    let sent = std::time::Instant::now();
    let answered = tokio::time::timeout(deadline, async {
        keeper.keep_alive().await?;
        Ok::<_, etcd_client::Error>(answers.message().await?.map(|a| a.ttl()).unwrap_or(0))
    })
    .await;
    matches!(answered, Ok(Ok(ttl)) if ttl > 0).then_some(sent)
}

/// Watches `prefix` through `clients` (one per member, the next one after a lost watch):
/// the counter moves with every change under it, and after a lost watch.
pub(crate) fn watch(
    clients: Vec<Client>,
    runtime: &tokio::runtime::Handle,
    prefix: Vec<u8>,
) -> tokio::sync::watch::Receiver<u64> {
    let (tx, rx) = tokio::sync::watch::channel(0u64);
    runtime.spawn(async move {
        let mut changes = 0u64;
        for client in clients.iter().cycle() {
            let mut client = client.clone();
            if tx.is_closed() {
                return;
            }
            match client
                .watch(prefix.clone(), Some(WatchOptions::new().with_prefix()))
                .await
            {
                Ok(mut stream) => {
                    // Changes before the watch started may have been missed.
                    changes += 1;
                    let _ = tx.send(changes);
                    while let Ok(Some(response)) = stream.message().await {
                        if response.canceled() {
                            break; // Compacted or refused: watch again.
                        }
                        if !response.events().is_empty() {
                            changes += 1;
                            if tx.send(changes).is_err() {
                                return;
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "etcd watch failed; retrying"),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    rx
}
