//! SigV4 authentication end to end: `ferrodyn serve --credentials FILE` (and the
//! FERRODYN_ACCESS_KEY_ID / FERRODYN_SECRET_ACCESS_KEY pair) refuses what AWS refuses, with
//! AWS's error types and messages, to the Rust SDK, the Streams SDK, boto3, the AWS CLI and raw
//! HTTP; `--no-auth` and no keys at all leave the server open.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::Client;
use common::{create_pk_table, get_by_pk, item, s, Server};

const CREDENTIALS: &str = "\
# keys of the auth tests
[alice]
aws_access_key_id = AKIDALICE
aws_secret_access_key = alice-secret

[bob]
aws_access_key_id=AKIDBOB
aws_secret_access_key=bob-secret
aws_session_token=bob-session-token
";

fn credentials_file(dir: &Path) -> PathBuf {
    let path = dir.join("credentials");
    std::fs::write(&path, CREDENTIALS).expect("write credentials");
    path
}

fn start_with_keys() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = credentials_file(dir.path());
    let server = Server::start(
        &[
            "--in-memory",
            "--credentials",
            path.to_str().expect("utf-8"),
        ],
        None,
    );
    (server, dir)
}

fn client_as(server: &Server, key: &str, secret: &str, token: Option<&str>) -> Client {
    client_at(server, key, secret, token, None)
}

/// A client whose clock is `offset` off (`true`: ahead). It does not retry: the SDK corrects
/// its clock from the answer's Date header and retries a "Signature expired" refusal, which
/// would hide the refusal.
fn client_at(
    server: &Server,
    key: &str,
    secret: &str,
    token: Option<&str>,
    offset: Option<(bool, Duration)>,
) -> Client {
    let mut config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            key,
            secret,
            token.map(str::to_owned),
            None,
            "test",
        ))
        .endpoint_url(server.endpoint());
    if let Some((later, by)) = offset {
        let now = SystemTime::now();
        let t = if later { now + by } else { now - by };
        config = config
            .time_source(aws_smithy_async::time::StaticTimeSource::new(t))
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled());
    }
    Client::from_conf(config.build())
}

#[tokio::test]
async fn the_right_key_reads_and_writes_and_the_startup_block_says_auth_is_on() {
    let (server, _dir) = start_with_keys();
    assert!(
        server
            .startup
            .contains("auth      on: requests must be SigV4-signed by one of 2 access keys"),
        "{}",
        server.startup
    );
    let alice = client_as(&server, "AKIDALICE", "alice-secret", None);
    create_pk_table(&alice, "things").await;
    alice
        .put_item()
        .table_name("things")
        .set_item(Some(item(&[("pk", s("a")), ("v", s("1"))])))
        .send()
        .await
        .expect("put");
    let got = get_by_pk(&alice, "things", "a").await.expect("item");
    assert_eq!(got.get("v"), Some(&s("1")));

    // Temporary credentials: the session token travels as X-Amz-Security-Token.
    let bob = client_as(&server, "AKIDBOB", "bob-secret", Some("bob-session-token"));
    let tables = bob.list_tables().send().await.expect("list");
    assert_eq!(tables.table_names(), ["things"]);
}

#[tokio::test]
async fn a_wrong_secret_an_unknown_key_and_a_bad_token_get_awss_errors() {
    let (server, _dir) = start_with_keys();

    let wrong = client_as(&server, "AKIDALICE", "not-the-secret", None);
    let e = wrong.list_tables().send().await.expect_err("refused");
    assert_eq!(e.code(), Some("InvalidSignatureException"), "{e:?}");
    let message = e.message().expect("message");
    assert!(
        message.starts_with(
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method."
        ),
        "{message}"
    );

    let unknown = client_as(&server, "AKIDNOBODY", "whatever", None);
    let e = unknown.list_tables().send().await.expect_err("refused");
    assert_eq!(e.code(), Some("UnrecognizedClientException"), "{e:?}");
    assert_eq!(
        e.message(),
        Some("The security token included in the request is invalid.")
    );

    for token in [None, Some("another-token")] {
        let bob = client_as(&server, "AKIDBOB", "bob-secret", token);
        let e = bob.list_tables().send().await.expect_err("refused");
        assert_eq!(e.code(), Some("UnrecognizedClientException"), "{token:?}");
    }
}

#[tokio::test]
async fn a_clock_off_by_more_than_15_minutes_is_refused_and_by_less_accepted() {
    let (server, _dir) = start_with_keys();
    for later in [false, true] {
        let far = client_at(
            &server,
            "AKIDALICE",
            "alice-secret",
            None,
            Some((later, Duration::from_secs(16 * 60))),
        );
        let e = far.list_tables().send().await.expect_err("refused");
        assert_eq!(e.code(), Some("InvalidSignatureException"), "{e:?}");
        let message = e.message().expect("message");
        let expected = if later {
            "Signature not yet current: "
        } else {
            "Signature expired: "
        };
        assert!(message.starts_with(expected), "{message}");

        let near = client_at(
            &server,
            "AKIDALICE",
            "alice-secret",
            None,
            Some((later, Duration::from_secs(14 * 60))),
        );
        near.list_tables().send().await.expect("within 15 minutes");
    }
}

#[tokio::test]
async fn streams_requests_are_verified_too() {
    let (server, _dir) = start_with_keys();
    let streams = |key: &str, secret: &str| {
        use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
        aws_sdk_dynamodbstreams::Client::from_conf(
            aws_sdk_dynamodbstreams::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-1"))
                .credentials_provider(Credentials::new(key, secret, None, None, "test"))
                .endpoint_url(server.endpoint())
                .build(),
        )
    };
    streams("AKIDALICE", "alice-secret")
        .list_streams()
        .send()
        .await
        .expect("signed by a known key");
    let e = streams("AKIDALICE", "bad")
        .list_streams()
        .send()
        .await
        .expect_err("wrong secret");
    assert_eq!(
        aws_sdk_dynamodbstreams::error::ProvideErrorMetadata::code(&e),
        Some("InvalidSignatureException")
    );
}

#[test]
fn unsigned_requests_are_refused_but_the_health_check_is_open() {
    let (server, _dir) = start_with_keys();
    let r = server.raw(
        b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
          Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type(), "MissingAuthenticationTokenException");
    assert_eq!(
        r.message().as_deref(),
        Some("Request is missing Authentication Token")
    );

    // A signature that merely looks right is not enough any more.
    let r = server.raw(
        b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\n\
          Content-Type: application/x-amz-json-1.0\r\nX-Amz-Date: 20150830T123600Z\r\n\
          Authorization: AWS4-HMAC-SHA256 Credential=AKIDALICE/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000\r\n\
          Content-Length: 2\r\n\r\n{}",
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type(), "InvalidSignatureException");

    let health = server.raw(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(health.status, 200);

    let usage = server.raw(b"GET /ferrodyn/usage HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert_eq!(usage.status, 400);
    assert_eq!(usage.error_type(), "MissingAuthenticationTokenException");
}

#[tokio::test]
async fn a_key_from_the_environment_and_no_auth_mode() {
    let env_server = Server::start_with_env(
        &["--in-memory"],
        None,
        &[
            ("FERRODYN_ACCESS_KEY_ID", "AKIDENV"),
            ("FERRODYN_SECRET_ACCESS_KEY", "env-secret"),
        ],
    );
    client_as(&env_server, "AKIDENV", "env-secret", None)
        .list_tables()
        .send()
        .await
        .expect("the environment's key");
    let e = client_as(&env_server, "AKIDTEST", "secret", None)
        .list_tables()
        .send()
        .await
        .expect_err("another key");
    assert_eq!(e.code(), Some("UnrecognizedClientException"));

    // --no-auth: keys configured, yet any key is accepted.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = credentials_file(dir.path());
    let open = Server::start(
        &[
            "--in-memory",
            "--credentials",
            path.to_str().expect("utf-8"),
            "--no-auth",
        ],
        None,
    );
    assert!(open.startup.contains("auth      off"), "{}", open.startup);
    client_as(&open, "AKIDANYONE", "anything", None)
        .list_tables()
        .send()
        .await
        .expect("open");
}

#[test]
fn a_credentials_file_that_cannot_be_used_stops_the_server_with_one_clear_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken");
    std::fs::write(&broken, "[alice]\naws_access_key_id = AKIDALICE\n").expect("write");
    let missing = dir.path().join("missing");
    for (path, expected) in [(&broken, "alice"), (&missing, "missing")] {
        let out = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
            .args(["serve", "--in-memory", "--port", "0", "--credentials"])
            .arg(path)
            .output()
            .expect("run");
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// boto3 and the AWS CLI, configured with a profile of the same credentials file, work; with
/// a wrong secret they get InvalidSignatureException.
#[test]
fn boto3_and_the_aws_cli_sign_with_a_profile_and_are_refused_with_a_wrong_secret() {
    let (server, dir) = start_with_keys();
    let good = dir.path().join("credentials");
    let bad = dir.path().join("bad-credentials");
    std::fs::write(
        &bad,
        "[alice]\naws_access_key_id = AKIDALICE\naws_secret_access_key = wrong\n",
    )
    .expect("write");
    let cli = |file: &Path| {
        Command::new("aws")
            .args([
                "dynamodb",
                "list-tables",
                "--endpoint-url",
                &server.endpoint(),
            ])
            .env("AWS_SHARED_CREDENTIALS_FILE", file)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_PROFILE", "alice")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .output()
            .expect("the AWS CLI (scripts/test installs it)")
    };
    let ok = cli(&good);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("TableNames"));
    let refused = cli(&bad);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("InvalidSignatureException"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let script = r#"
import sys, boto3, botocore
def client(secret):
    return boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                        aws_access_key_id="AKIDALICE", aws_secret_access_key=secret)
client("alice-secret").list_tables()
try:
    client("wrong").list_tables()
    print("accepted")
except botocore.exceptions.ClientError as e:
    print(e.response["Error"]["Code"])
"#;
    let out = Command::new("python3")
        .args(["-c", script, &server.endpoint()])
        .output()
        .expect("python3 with boto3 (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "InvalidSignatureException"
    );
}

#[test]
fn ferrodyn_usage_signs_its_request() {
    let (server, _dir) = start_with_keys();
    let usage = |secret: &str| {
        Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
            .args(["usage", "--json", "--endpoint", &server.endpoint()])
            .args([
                "--access-key-id",
                "AKIDALICE",
                "--secret-access-key",
                secret,
            ])
            .env_remove("AWS_SESSION_TOKEN")
            .output()
            .expect("run ferrodyn usage")
    };
    let ok = usage("alice-secret");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&ok.stdout).expect("JSON report");
    assert!(report.get("tables").is_some(), "{report}");
    let refused = usage("wrong");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("400"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
