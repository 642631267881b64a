//! Local etcd clusters for tests: members started from the `etcd` binary (Debian's
//! `etcd-server`; `ETCD_BIN` overrides the path) on free loopback ports, with data in a
//! temporary folder removed when the cluster is dropped.
//!
//! The settings are the ones ferrodyn needs of any cluster (README, "Cluster mode"):
//! transactions of up to 100 000 operations and 32 MiB (`--max-txn-ops`,
//! `--max-request-bytes`), and history compacted after an hour.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One member: its name, ports and process (`None` while stopped).
struct Member {
    name: String,
    client_port: u16,
    peer_port: u16,
    process: Option<Child>,
}

/// A local etcd cluster of one or more members.
pub struct LocalEtcd {
    dir: PathBuf,
    members: Vec<Member>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl LocalEtcd {
    /// Starts a cluster of `size` members and waits until it answers. Panics when the
    /// `etcd` binary cannot be run: install Debian's `etcd-server` (scripts/test does).
    pub fn start(size: usize) -> LocalEtcd {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ferrodyn-etcd-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let members = (0..size)
            .map(|i| Member {
                name: format!("m{i}"),
                client_port: free_port(),
                peer_port: free_port(),
                process: None,
            })
            .collect();
        let mut cluster = LocalEtcd { dir, members };
        for i in 0..size {
            cluster.start_member(i);
        }
        cluster.wait_ready();
        cluster
    }

    fn initial_cluster(&self) -> String {
        self.members
            .iter()
            .map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Starts (or restarts, keeping its data) member `i`.
    pub fn start_member(&mut self, i: usize) {
        let initial_cluster = self.initial_cluster();
        let data = self.dir.join(&self.members[i].name);
        let member = &mut self.members[i];
        assert!(member.process.is_none(), "member {i} runs already");
        let bin = std::env::var("ETCD_BIN").unwrap_or_else(|_| "etcd".into());
        let log = std::fs::File::create(self.dir.join(format!("{}.log", member.name)))
            .or_else(|_| {
                std::fs::create_dir_all(&self.dir)?;
                std::fs::File::create(self.dir.join(format!("{}.log", member.name)))
            })
            .expect("etcd log file");
        let child = Command::new(&bin)
            .arg("--name")
            .arg(&member.name)
            .arg("--data-dir")
            .arg(&data)
            .arg("--listen-client-urls")
            .arg(format!("http://127.0.0.1:{}", member.client_port))
            .arg("--advertise-client-urls")
            .arg(format!("http://127.0.0.1:{}", member.client_port))
            .arg("--listen-peer-urls")
            .arg(format!("http://127.0.0.1:{}", member.peer_port))
            .arg("--initial-advertise-peer-urls")
            .arg(format!("http://127.0.0.1:{}", member.peer_port))
            .arg("--initial-cluster")
            .arg(initial_cluster)
            .arg("--initial-cluster-state")
            .arg("new")
            .args(["--max-txn-ops", "100000"])
            .args(["--max-request-bytes", "33554432"])
            .args(["--auto-compaction-mode", "periodic"])
            .args(["--auto-compaction-retention", "1h"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {bin} ({e}): install etcd (Debian: apt-get install etcd-server)")
            });
        member.process = Some(child);
    }

    /// Kills member `i` with SIGKILL.
    pub fn kill_member(&mut self, i: usize) {
        if let Some(mut child) = self.members[i].process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The client URLs of every member.
    pub fn endpoints(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| format!("http://127.0.0.1:{}", m.client_port))
            .collect()
    }

    /// `etcd://h1:p1,h2:p2` with `prefix` (what `serve --storage` takes).
    pub fn url(&self, prefix: &str) -> String {
        let hosts: Vec<String> = self
            .members
            .iter()
            .map(|m| format!("127.0.0.1:{}", m.client_port))
            .collect();
        format!("etcd://{}/{prefix}", hosts.join(","))
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut options = crate::EtcdOptions::new(self.endpoints());
        options.request_timeout = Duration::from_secs(2);
        loop {
            match crate::EtcdStorage::connect(options.clone()) {
                Ok(_) => return,
                Err(e) if Instant::now() > deadline => {
                    panic!(
                        "etcd did not start in 30 s: {e} (logs in {})",
                        self.dir.display()
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl Drop for LocalEtcd {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill_member(i);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
