//! Starts the real `ferrodyn` binary on a free loopback port and talks to it with the official
//! AWS SDK or with raw HTTP.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::Client;

/// A running server process; killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    pub data_dir: Option<PathBuf>,
}

impl Server {
    /// A throwaway in-memory server.
    pub fn start_in_memory() -> Server {
        Self::start(&["--in-memory"], None)
    }

    /// A server keeping its data in `dir` (RocksDB).
    pub fn start_on_disk(dir: &Path) -> Server {
        let d = dir.to_str().expect("utf-8 path");
        Self::start(&["--data-dir", d], Some(dir.to_path_buf()))
    }

    /// A server started with `serve --port 0 --bind 127.0.0.1` and `extra` arguments.
    pub fn start(extra: &[&str], data_dir: Option<PathBuf>) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
            .args(["serve", "--port", "0", "--bind", "127.0.0.1"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ferrodyn");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim()
            .strip_prefix("ferrodyn listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from server: {line:?}"))
            .parse()
            .expect("address");
        Server {
            child,
            addr,
            data_dir,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An SDK client for this server.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .endpoint_url(self.endpoint())
            .build();
        Client::from_conf(config)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit (after a signal sent some other way).
    pub fn wait(mut self) -> std::process::ExitStatus {
        self.child.wait().expect("wait")
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill_9(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    /// SIGTERM, then wait for a clean exit; returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        self.child.wait().expect("wait")
    }

    /// Sends one raw HTTP request and returns (status, headers, body).
    pub fn raw(&self, request: &[u8]) -> RawResponse {
        raw_request(self.addr, request)
    }

    /// POSTs a DynamoDB request with the usual headers; `target` None leaves X-Amz-Target out.
    pub fn post(&self, target: Option<&str>, body: &[u8]) -> RawResponse {
        let mut req = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            self.addr,
            body.len()
        );
        if let Some(t) = target {
            req.push_str(&format!("X-Amz-Target: DynamoDB_20120810.{t}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.raw(&bytes)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer, parsed just enough for assertions.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The part of `__type` after '#'.
    pub fn error_type(&self) -> String {
        let v = self.json();
        let t = v["__type"].as_str().expect("__type");
        t.rsplit('#').next().unwrap_or(t).to_string()
    }

    /// `message` or `Message`.
    pub fn message(&self) -> Option<String> {
        let v = self.json();
        v.get("message")
            .or_else(|| v.get("Message"))
            .and_then(|m| m.as_str())
            .map(str::to_owned)
    }
}

pub fn raw_request(addr: SocketAddr, request: &[u8]) -> RawResponse {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream.write_all(request).expect("send");
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).expect("read");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let body = buf[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    RawResponse {
        status,
        headers,
        body,
    }
}

/// A table name unique within the test process.
pub fn table_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}", N.fetch_add(1, Ordering::Relaxed))
}
