//! Leaderships and change watches over etcd ([`Storage::leadership`](crate::Storage::leadership),
//! [`Storage::watch`](crate::Storage::watch)).
//!
//! A leadership is a key attached to a lease of [`LEASE_SECONDS`]: a process takes it with a
//! Txn that puts the key only where it is absent, then keeps the lease alive every
//! [`RENEW`]. When that process dies or loses the cluster, etcd ends the lease, which deletes
//! the key, and the next campaigner's Txn takes it. The holder steps down by its own clock
//! as soon as a renewal fails or is late, before etcd can expire the lease, so two processes
//! never both believe they lead (clock rates, not clock values, need to agree).

use std::time::Duration;

use etcd_client::{Client, Compare, CompareOp, PutOptions, Txn, TxnOp, WatchOptions};

use crate::Leadership;

/// Lifetime of a leadership's lease: how long the work stops when its holder dies.
pub const LEASE_SECONDS: i64 = 3;

/// How often the holder renews its lease, and how often the others try to take it.
const RENEW: Duration = Duration::from_millis(500);

/// The longest a renewal may take before the holder steps down.
const RENEW_DEADLINE: Duration = Duration::from_millis(1500);

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
    tracing::info!(key = %String::from_utf8_lossy(&key), "leadership taken");
    let _ = leading.send(true);
    loop {
        tokio::time::sleep(RENEW).await;
        if leading.is_closed() {
            let _ = client.lease_revoke(lease).await;
            return Ok(());
        }
        let renewed = tokio::time::timeout(RENEW_DEADLINE, async {
            keeper.keep_alive().await?;
            Ok::<_, etcd_client::Error>(answers.message().await?.map(|a| a.ttl()).unwrap_or(0))
        })
        .await;
        match renewed {
            Ok(Ok(ttl)) if ttl > 0 => {}
            _ => {
                tracing::warn!(key = %String::from_utf8_lossy(&key), "leadership lost");
                return Ok(());
            }
        }
    }
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
