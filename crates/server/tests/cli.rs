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

#[test]
fn partiql_insert_and_select_work_with_the_aws_cli() {
    let server = Server::start_in_memory();
    aws(
        &server,
        &[
            "dynamodb",
            "create-table",
            "--table-name",
            "Pets",
            "--attribute-definitions",
            "AttributeName=pk,AttributeType=S",
            "--key-schema",
            "AttributeName=pk,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ],
    );
    let inserted = aws(
        &server,
        &[
            "dynamodb",
            "execute-statement",
            "--statement",
            r#"INSERT INTO "Pets" VALUE {'pk': 'rex', 'age': 3, 'tags': <<'good', 'dog'>>, 'toys': ['ball', 2]}"#,
        ],
    );
    assert_eq!(inserted["Items"], serde_json::json!([]));
    aws(
        &server,
        &[
            "dynamodb",
            "execute-statement",
            "--statement",
            r#"INSERT INTO "Pets" VALUE {'pk': 'tom', 'age': 5}"#,
        ],
    );

    let selected = aws(
        &server,
        &[
            "dynamodb",
            "execute-statement",
            "--statement",
            r#"SELECT * FROM "Pets" WHERE pk = 'rex'"#,
        ],
    );
    let items = selected["Items"].as_array().expect("Items");
    assert_eq!(items.len(), 1, "{selected}");
    let rex = &items[0];
    assert_eq!(rex["pk"], serde_json::json!({"S": "rex"}));
    assert_eq!(rex["age"], serde_json::json!({"N": "3"}));
    let mut tags: Vec<&str> = rex["tags"]["SS"]
        .as_array()
        .expect("a string set")
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["dog", "good"]);
    assert_eq!(
        rex["toys"],
        serde_json::json!({"L": [{"S": "ball"}, {"N": "2"}]})
    );
    assert_eq!(rex.as_object().unwrap().len(), 4, "{rex}");

    // A Scan-like SELECT with a parameter and a projection.
    let selected = aws(
        &server,
        &[
            "dynamodb",
            "execute-statement",
            "--statement",
            r#"SELECT pk FROM "Pets" WHERE age > ?"#,
            "--parameters",
            r#"[{"N": "4"}]"#,
        ],
    );
    assert_eq!(selected["Items"], serde_json::json!([{"pk": {"S": "tom"}}]));
}
