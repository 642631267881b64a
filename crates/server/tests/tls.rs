//! HTTPS: `serve --tls-self-signed` and `--tls-cert/--tls-key` against the Rust SDK, the AWS
//! CLI, a raw rustls client (ALPN, TLS versions) and `ferrodyn bench`; `--http-port` beside
//! it; and the files that must stop the server at start.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region, SharedHttpClient};
use aws_sdk_dynamodb::types::ScalarAttributeType;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use bytes::Bytes;
use common::{create_table, get_by_pk, s, table_name, Server};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

/// An in-memory server serving HTTPS with a self-signed certificate on its main port.
fn start_tls(extra: &[&str]) -> Server {
    let mut args = vec!["--in-memory", "--tls-self-signed"];
    args.extend_from_slice(extra);
    Server::start(&args, None)
}

/// The certificate the server says clients should trust (the `try` line's `--ca-bundle`).
fn ca_bundle(server: &Server) -> PathBuf {
    let (_, rest) = server
        .startup
        .split_once("--ca-bundle ")
        .unwrap_or_else(|| panic!("no --ca-bundle in the startup block:\n{}", server.startup));
    PathBuf::from(rest.lines().next().unwrap().trim())
}

/// The plain-HTTP address of `--http-port`, from `ferrodyn listening (http) on ADDRESS`.
fn plain_addr(server: &Server) -> SocketAddr {
    server
        .startup
        .lines()
        .find_map(|l| l.strip_prefix("ferrodyn listening (http) on "))
        .unwrap_or_else(|| panic!("no http listener in:\n{}", server.startup))
        .trim()
        .parse()
        .unwrap()
}

fn https_endpoint(server: &Server) -> String {
    format!("https://localhost:{}", server.addr.port())
}

/// The SDK's own HTTPS client trusting the certificates of `trusted` (PEM) and nothing else.
fn https_http_client(trusted: Option<&[u8]>) -> SharedHttpClient {
    let mut trust = TrustStore::empty();
    if let Some(pem) = trusted {
        trust = trust.with_pem_certificate(pem.to_vec());
    }
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(trust)
                .build()
                .unwrap(),
        )
        .build_https()
}

/// An SDK client for `endpoint`, through `http_client` when given; no retries, so that a
/// refused handshake fails at once.
fn sdk_client(endpoint: &str, http_client: Option<SharedHttpClient>) -> Client {
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .endpoint_url(endpoint);
    if let Some(http_client) = http_client {
        config = config.http_client(http_client);
    }
    Client::from_conf(config.build())
}

/// An SDK client of `server`'s HTTPS endpoint trusting only its self-signed certificate.
fn trusting_client(server: &Server) -> Client {
    let pem = std::fs::read(ca_bundle(server)).unwrap();
    sdk_client(&https_endpoint(server), Some(https_http_client(Some(&pem))))
}

async fn put_then_get(client: &Client) {
    let table = table_name("tls");
    create_table(client, &table, ScalarAttributeType::S, None).await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .item("v", s("over TLS"))
        .send()
        .await
        .unwrap();
    let item = get_by_pk(client, &table, "a").await.expect("the item put");
    assert_eq!(item["v"], s("over TLS"));
}

#[tokio::test]
async fn sdk_over_https_trusting_only_the_self_signed_certificate() {
    let server = start_tls(&[]);
    assert!(
        server.startup.contains("endpoint  https://127.0.0.1:"),
        "{}",
        server.startup
    );
    put_then_get(&trusting_client(&server)).await;
    // By address too: 127.0.0.1 is one of the certificate's names.
    let pem = std::fs::read(ca_bundle(&server)).unwrap();
    let by_ip = format!("https://{}", server.addr);
    let client = sdk_client(&by_ip, Some(https_http_client(Some(&pem))));
    client.list_tables().send().await.unwrap();
}

#[tokio::test]
async fn untrusted_handshakes_and_plain_http_only_lose_their_own_connection() {
    let server = start_tls(&[]);
    let untrusting = sdk_client(&https_endpoint(&server), Some(https_http_client(None)));
    let refused = untrusting.list_tables().send().await;
    assert!(
        refused.is_err(),
        "a client that trusts nothing got {refused:?}"
    );

    // Plain HTTP to the TLS port: no HTTP answer, the connection is closed.
    let answer = raw_exchange(
        server.addr,
        b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP got an HTTP answer: {:?}",
        String::from_utf8_lossy(&answer)
    );
    // A client that stops in the middle of its handshake.
    raw_exchange(server.addr, &[0x16, 0x03, 0x01, 0x00, 0x05, 0x01]);

    put_then_get(&trusting_client(&server)).await;
}

/// Sends `bytes` on a new TCP connection, half-closes it, and returns all that came back
/// before the server closed it.
fn raw_exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = Vec::new();
    // A reset instead of a clean close is a close too.
    let _ = stream.read_to_end(&mut answer);
    answer
}

/// A raw TLS connection to `server` offering `alpn`, with `versions` only, trusting `pem`.
async fn tls_connect(
    server: &Server,
    pem: &[u8],
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    // The provider named: the test binary has two built in (ring, and the SDK's aws-lc-rs).
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake")
}

/// A ListTables request as the SDK would send it (the server does not check signatures).
fn list_tables_request(server: &Server) -> hyper::Request<Full<Bytes>> {
    hyper::Request::post(format!("{}/", https_endpoint(server)))
        .header("host", format!("localhost:{}", server.addr.port()))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "DynamoDB_20120810.ListTables")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/dynamodb/aws4_request, \
             SignedHeaders=host, Signature=abc",
        )
        .body(Full::new(Bytes::from_static(b"{}")))
        .unwrap()
}

#[tokio::test]
async fn alpn_picks_h2_when_offered_and_http1_otherwise() {
    let server = start_tls(&[]);
    let pem = std::fs::read(ca_bundle(&server)).unwrap();
    let all = rustls::DEFAULT_VERSIONS;

    let h2 = tls_connect(&server, &pem, &[b"h2", b"http/1.1"], all).await;
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(h2))
            .await
            .expect("HTTP/2 handshake");
    tokio::spawn(conn);
    let resp = sender
        .send_request(list_tables_request(&server))
        .await
        .unwrap();
    assert_eq!(resp.version(), hyper::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"{\"TableNames\""), "{body:?}");

    for alpn in [&[&b"http/1.1"[..]][..], &[]] {
        let h1 = tls_connect(&server, &pem, alpn, all).await;
        let expected = (!alpn.is_empty()).then_some(&b"http/1.1"[..]);
        assert_eq!(h1.get_ref().1.alpn_protocol(), expected);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(h1))
            .await
            .unwrap();
        tokio::spawn(conn);
        let resp = sender
            .send_request(list_tables_request(&server))
            .await
            .unwrap();
        assert_eq!(resp.version(), hyper::Version::HTTP_11);
        assert_eq!(resp.status(), 200);
    }
}

#[tokio::test]
async fn tls_1_2_and_1_3_are_both_served() {
    let server = start_tls(&[]);
    let pem = std::fs::read(ca_bundle(&server)).unwrap();
    for (version, expected) in [
        (&rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
        (&rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
    ] {
        let stream = tls_connect(&server, &pem, &[b"http/1.1"], &[version]).await;
        assert_eq!(stream.get_ref().1.protocol_version(), Some(expected));
    }
}

#[tokio::test]
async fn http_port_serves_plain_http_beside_https_on_the_same_tables_until_sigterm() {
    let server = start_tls(&["--http-port", "0"]);
    let plain = plain_addr(&server);
    assert_ne!(plain, server.addr);
    assert!(
        server
            .startup
            .contains(&format!("  http      http://{plain}")),
        "{}",
        server.startup
    );
    let http = sdk_client(&format!("http://{plain}"), None);
    let table = table_name("both");
    create_table(&http, &table, ScalarAttributeType::S, None).await;
    let tables = trusting_client(&server)
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names
        .unwrap_or_default();
    assert!(tables.contains(&table), "{tables:?}");

    // SIGTERM closes both listeners and exits 0; the in-memory server's certificate goes too.
    // The wait runs off this runtime, which keeps driving the clients' pooled connections (one
    // is HTTP/2): they must close at the server's GOAWAY, not hold the shutdown for its 30 s.
    let cert = ca_bundle(&server);
    assert!(cert.is_file());
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    assert!(status.success());
    let took = started.elapsed();
    assert!(
        took < std::time::Duration::from_secs(10),
        "shutdown took {took:?}"
    );
    assert!(!cert.exists(), "{} was left behind", cert.display());
}

/// `aws dynamodb list-tables` against `endpoint`, with `extra` arguments.
fn aws_list_tables(endpoint: &str, extra: &[&str]) -> std::process::Output {
    Command::new("aws")
        .args([
            "dynamodb",
            "list-tables",
            "--output",
            "json",
            "--endpoint-url",
        ])
        .arg(endpoint)
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        // A refused certificate is not worth retrying.
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_RETRY_MODE", "standard")
        .env_remove("AWS_CA_BUNDLE")
        .output()
        .expect("run the AWS CLI (pip install awscli)")
}

#[test]
fn aws_cli_works_with_the_ca_bundle_and_refuses_without() {
    let server = start_tls(&[]);
    let endpoint = format!("https://127.0.0.1:{}", server.addr.port());
    let ca = ca_bundle(&server);
    let ok = aws_list_tables(&endpoint, &["--ca-bundle", ca.to_str().unwrap()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(listed["TableNames"], serde_json::json!([]));

    let refused = aws_list_tables(&endpoint, &[]);
    assert!(
        !refused.status.success(),
        "trusted a self-signed certificate"
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("CERTIFICATE_VERIFY_FAILED"), "{stderr}");
}

#[test]
fn self_signed_certificate_is_kept_in_the_data_dir_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = ["--data-dir", data, "--tls-self-signed"];
    let first = Server::start(&args, Some(dir.path().to_path_buf()));
    let cert = ca_bundle(&first);
    assert_eq!(cert, dir.path().join("tls").join("cert.pem"));
    assert!(
        first.startup.contains("self-signed (made now)"),
        "{}",
        first.startup
    );
    let pem = std::fs::read(&cert).unwrap();
    assert!(first.terminate().success());

    let second = Server::start(&args, Some(dir.path().to_path_buf()));
    assert!(
        second.startup.contains("self-signed (reused)"),
        "{}",
        second.startup
    );
    assert_eq!(std::fs::read(&cert).unwrap(), pem, "the same certificate");
}

/// A certificate for localhost and 127.0.0.1 made by the openssl command, with a key in the
/// encoding `genkey` makes it (`KEY` in it stands for the key file): what a user brings with
/// --tls-cert and --tls-key.
fn openssl_pair(dir: &Path, name: &str, genkey: &[&str]) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}-key.pem"));
    let cert = dir.join(format!("{name}-cert.pem"));
    let config = dir.join("openssl.cnf");
    // Not a CA (`req -x509` makes one by default): rustls refuses a CA as a server's
    // certificate.
    std::fs::write(
        &config,
        "[req]\ndistinguished_name = dn\nx509_extensions = ext\nprompt = no\n\
         [dn]\nCN = localhost\n\
         [ext]\nsubjectAltName = DNS:localhost, IP:127.0.0.1\nbasicConstraints = critical, CA:FALSE\n",
    )
    .unwrap();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let key_path = key.to_str().unwrap();
    let gen: Vec<&str> = genkey
        .iter()
        .map(|&a| if a == "KEY" { key_path } else { a })
        .collect();
    openssl(&gen);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        key.to_str().unwrap(),
        "-config",
        config.to_str().unwrap(),
        "-days",
        "2",
        "-out",
        cert.to_str().unwrap(),
    ]);
    (cert, key)
}

#[tokio::test]
async fn given_certificates_with_pkcs1_rsa_and_sec1_ec_keys_serve_https() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = openssl_pair(
        dir.path(),
        "rsa",
        &["genrsa", "-traditional", "-out", "KEY", "2048"],
    );
    let ec = openssl_pair(
        dir.path(),
        "ec",
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "KEY",
        ],
    );
    for ((cert, key), begin) in [(rsa, "RSA PRIVATE KEY"), (ec, "EC PRIVATE KEY")] {
        let key_pem = std::fs::read_to_string(&key).unwrap();
        assert!(key_pem.contains(begin), "openssl made {key_pem:.40}");
        let server = Server::start(
            &[
                "--in-memory",
                "--tls-cert",
                cert.to_str().unwrap(),
                "--tls-key",
                key.to_str().unwrap(),
            ],
            None,
        );
        assert!(
            !server.startup.contains("--ca-bundle"),
            "{}",
            server.startup
        );
        let pem = std::fs::read(&cert).unwrap();
        let client = sdk_client(
            &https_endpoint(&server),
            Some(https_http_client(Some(&pem))),
        );
        client.list_tables().send().await.unwrap();
    }
}

/// `ferrodyn serve --in-memory --port 0` with `args`, expected to fail: (exit code, stderr).
fn serve_fails(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["serve", "--in-memory", "--port", "0"])
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.stdout.is_empty(), "it listened: {stderr}");
    (
        out.status.code().expect("an exit code, not a signal"),
        stderr,
    )
}

/// A self-signed certificate and its key, as rcgen makes them, written in `dir`.
fn rcgen_pair(dir: &Path, name: &str) -> (String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = dir.join(format!("{name}-cert.pem"));
    let key = dir.join(format!("{name}-key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (
        cert.to_str().unwrap().to_owned(),
        key.to_str().unwrap().to_owned(),
    )
}

#[test]
fn wrong_certificate_or_key_files_stop_the_server_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let (cert_a, key_a) = rcgen_pair(dir.path(), "a");
    let (_, key_b) = rcgen_pair(dir.path(), "b");
    let garbled = dir.path().join("garbled.pem");
    std::fs::write(
        &garbled,
        "-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let garbled = garbled.to_str().unwrap();
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();

    let cases: [(&[&str], &str); 5] = [
        (
            &["--tls-cert", &cert_a, "--tls-key", &key_b],
            "does not match the certificate",
        ),
        (
            &["--tls-cert", missing, "--tls-key", &key_a],
            "cannot read --tls-cert",
        ),
        (&["--tls-cert", &cert_a, "--tls-key", garbled], "is not PEM"),
        (
            &["--tls-cert", &key_a, "--tls-key", &key_a],
            "holds no PEM certificate",
        ),
        (
            &["--tls-cert", &cert_a, "--tls-key", &cert_a],
            "holds no PEM private key",
        ),
    ];
    for (args, expected) in cases {
        let (code, stderr) = serve_fails(args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(lines[0].starts_with("ferrodyn: "), "{stderr}");
        assert!(lines[0].contains(expected), "{args:?}: {stderr}");
    }

    // Usage errors, before anything starts: clap's exit code 2.
    for args in [
        &["--tls-cert", cert_a.as_str()][..],
        &["--tls-key", key_a.as_str()],
        &["--http-port", "0"],
        &[
            "--tls-self-signed",
            "--tls-cert",
            cert_a.as_str(),
            "--tls-key",
            key_a.as_str(),
        ],
    ] {
        let (code, stderr) = serve_fails(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_loads_an_https_endpoint() {
    let server = start_tls(&[]);
    let endpoint = https_endpoint(&server);
    let ca = ca_bundle(&server);
    let run = |trust: &[&str]| {
        let mut args = vec![
            "--endpoint",
            endpoint.as_str(),
            "--workload",
            "put,get",
            "--ops",
            "200",
            "-c",
            "4",
            "--keys",
            "50",
        ];
        args.extend_from_slice(trust);
        ferrodyn_bench::BenchArgs::parse_from(args).unwrap()
    };
    for trust in [&["--ca-bundle", ca.to_str().unwrap()][..], &["--insecure"]] {
        let report = ferrodyn_bench::run(&run(trust)).await.expect("bench run");
        for r in &report.results {
            assert_eq!(r.ops, 200, "{trust:?} {}", r.workload.name());
            assert!(r.errors.is_empty(), "{trust:?}: {:?}", r.errors);
        }
    }
    // The system's roots do not include a self-signed certificate.
    let err = ferrodyn_bench::run(&run(&[])).await.expect_err("refused");
    assert!(err.to_lowercase().contains("certificate"), "{err}");
}
