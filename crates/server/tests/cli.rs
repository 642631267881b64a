//! The README's quick start, run with the AWS CLI against a real server.

mod common;

use std::process::Command;

use common::Server;

fn aws(server: &Server, args: &[&str]) -> serde_json::Value {
    let out = Command::new("aws")
        .arg("--endpoint-url")
        .arg(server.endpoint())
        .arg("--output")
        .arg("json")
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .expect("run the AWS CLI (pip install awscli)");
    assert!(
        out.status.success(),
        "aws {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn readme_quick_start_works_with_the_aws_cli() {
    let server = Server::start_in_memory();
    let created = aws(
        &server,
        &[
            "dynamodb",
            "create-table",
            "--table-name",
            "Music",
            "--attribute-definitions",
            "AttributeName=Artist,AttributeType=S",
            "AttributeName=SongTitle,AttributeType=S",
            "--key-schema",
            "AttributeName=Artist,KeyType=HASH",
            "AttributeName=SongTitle,KeyType=RANGE",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ],
    );
    assert_eq!(created["TableDescription"]["TableName"], "Music");
    aws(
        &server,
        &["dynamodb", "wait", "table-exists", "--table-name", "Music"],
    );
    aws(
        &server,
        &[
            "dynamodb",
            "put-item",
            "--table-name",
            "Music",
            "--item",
            r#"{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}, "Year": {"N": "2015"}}"#,
        ],
    );
    let got = aws(
        &server,
        &[
            "dynamodb",
            "get-item",
            "--table-name",
            "Music",
            "--key",
            r#"{"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Call Me Today"}}"#,
        ],
    );
    assert_eq!(got["Item"]["Year"]["N"], "2015");
    let listed = aws(&server, &["dynamodb", "list-tables"]);
    assert_eq!(listed["TableNames"], serde_json::json!(["Music"]));
}
