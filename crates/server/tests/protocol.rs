//! The wire protocol with raw HTTP: headers, and DynamoDB's answer to bad input. Every bad
//! request gets a 4xx with the right `__type`, never a 500, and the server keeps working.

mod common;

use common::Server;

fn create_table(server: &Server, name: &str) {
    let body = format!(
        r#"{{"TableName":"{name}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}}],"BillingMode":"PAY_PER_REQUEST"}}"#
    );
    let r = server.post(Some("CreateTable"), body.as_bytes());
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[test]
fn responses_carry_dynamodbs_headers() {
    let server = Server::start_in_memory();
    let r = server.post(Some("ListTables"), b"{}");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
    let id = r.header("x-amzn-requestid").expect("request id");
    assert_eq!(id.len(), 52);
    let crc: u32 = r.header("x-amz-crc32").expect("crc").parse().unwrap();
    assert_eq!(crc, crc32fast::hash(&r.body));
    assert_eq!(r.json(), serde_json::json!({"TableNames": []}));

    // Errors carry them too.
    let r = server.post(Some("DescribeTable"), br#"{"TableName":"nope"}"#);
    assert_eq!(r.status, 400);
    let crc: u32 = r.header("x-amz-crc32").unwrap().parse().unwrap();
    assert_eq!(crc, crc32fast::hash(&r.body));
    assert_eq!(r.error_type(), "ResourceNotFoundException");
    assert_eq!(
        r.json()["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
}

#[test]
fn bad_requests_get_dynamodbs_errors() {
    let server = Server::start_in_memory();
    create_table(&server, "bad-input");
    let big = format!(
        r#"{{"TableName":"bad-input","Item":{{"pk":{{"S":"a"}},"d":{{"S":"{}"}}}}}}"#,
        "x".repeat(410 * 1024)
    );
    // (target, body, status, __type, message)
    let cases: Vec<(Option<&str>, Vec<u8>, u16, &str, Option<&str>)> = vec![
        (Some("PutItem"), b"{".to_vec(), 400, "SerializationException", None),
        (Some("PutItem"), b"".to_vec(), 400, "SerializationException", None),
        (
            Some("PutItem"),
            b"[]".to_vec(),
            400,
            "SerializationException",
            Some("Start of list found where not expected"),
        ),
        (Some("PutItem"), b"null".to_vec(), 400, "SerializationException", None),
        (
            Some("PutItem"),
            br#"{"TableName":"bad-input","Item":{"pk":{"S":5}}}"#.to_vec(),
            400,
            "SerializationException",
            Some("NUMBER_VALUE cannot be converted to String"),
        ),
        (
            Some("DescribeTable"),
            br#"{"TableName":5}"#.to_vec(),
            400,
            "SerializationException",
            Some("NUMBER_VALUE cannot be converted to String"),
        ),
        (
            Some("ListTables"),
            br#"{"Limit":"x"}"#.to_vec(),
            400,
            "SerializationException",
            Some("STRING_VALUE cannot be converted to Integer"),
        ),
        (
            Some("PutItem"),
            br#"{"TableName":"bad-input","Item":{"pk":{"S":"a"},"x":{}}}"#.to_vec(),
            400,
            "ValidationException",
            Some("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        ),
        (
            Some("PutItem"),
            br#"{"TableName":"bad-input","Item":{"pk":{"S":"a"},"x":{"S":"a","N":"1"}}}"#.to_vec(),
            400,
            "ValidationException",
            Some("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
        ),
        (
            Some("PutItem"),
            big.into_bytes(),
            400,
            "ValidationException",
            Some("Item size has exceeded the maximum allowed size"),
        ),
        (Some("NoSuchOperation"), b"{}".to_vec(), 400, "UnknownOperationException", None),
        (None, b"{}".to_vec(), 400, "UnknownOperationException", None),
        (
            Some("ListTables"),
            br#"{"Limit":0}"#.to_vec(),
            400,
            "ValidationException",
            Some("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"),
        ),
        (
            Some("DescribeTable"),
            b"{}".to_vec(),
            400,
            "ValidationException",
            Some("The parameter 'TableName' is required but was not present in the request"),
        ),
    ];
    for (target, body, status, error_type, message) in cases {
        let r = server.post(target, &body);
        let shown = String::from_utf8_lossy(&r.body[..r.body.len().min(300)]).to_string();
        assert_eq!(r.status, status, "{target:?}: {shown}");
        assert_eq!(r.error_type(), error_type, "{target:?}: {shown}");
        assert_eq!(r.message().as_deref(), message, "{target:?}: {shown}");
    }
    // The server still works and nothing was stored by the bad requests.
    let r = server.post(
        Some("GetItem"),
        br#"{"TableName":"bad-input","Key":{"pk":{"S":"a"}}}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), serde_json::json!({}));
}

#[test]
fn missing_authorization_is_rejected() {
    let server = Server::start_in_memory();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
        server.addr
    );
    let r = server.raw(req.as_bytes());
    assert_eq!(r.status, 400);
    assert_eq!(r.error_type(), "MissingAuthenticationTokenException");
    assert_eq!(
        r.message().as_deref(),
        Some("Request is missing Authentication Token")
    );
}

#[test]
fn wrong_content_type_is_not_routed_and_get_is_a_health_check() {
    let server = Server::start_in_memory();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}",
        server.addr
    );
    let r = server.raw(req.as_bytes());
    assert_eq!(r.status, 404);
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        "<UnknownOperationException/>\n"
    );

    let req = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let r = server.raw(req.as_bytes());
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        format!("healthy: {} ", server.addr)
    );
}

/// The health check names the endpoint the client reached, as DynamoDB's does
/// (`healthy: dynamodb.us-east-1.amazonaws.com ` to a client of that endpoint): the request's
/// Host, port included. A request without one (HTTP/1.0), or with something that is not a
/// plain host, gets the Regional endpoint name of the server's Region.
#[test]
fn the_health_check_names_the_host_the_client_used() {
    let server = Server::start(&["--in-memory", "--region", "eu-west-3"], None);
    let health = |host_line: &str, version: &str| {
        let req = format!("GET / {version}\r\n{host_line}Connection: close\r\n\r\n");
        let r = server.raw(req.as_bytes());
        assert_eq!(r.status, 200, "{req}");
        assert_eq!(r.header("content-type"), Some("text/plain"));
        String::from_utf8(r.body).unwrap()
    };
    assert_eq!(
        health(&format!("Host: {}\r\n", server.addr), "HTTP/1.1"),
        format!("healthy: {} ", server.addr)
    );
    assert_eq!(
        health("Host: dynamodb.eu-west-3.amazonaws.com\r\n", "HTTP/1.1"),
        "healthy: dynamodb.eu-west-3.amazonaws.com "
    );
    assert_eq!(
        health("Host: ferrodyn.internal:8000\r\n", "HTTP/1.1"),
        "healthy: ferrodyn.internal:8000 "
    );
    assert_eq!(
        health("Host: [::1]:8000\r\n", "HTTP/1.1"),
        "healthy: [::1]:8000 "
    );
    assert_eq!(
        health("", "HTTP/1.0"),
        "healthy: dynamodb.eu-west-3.amazonaws.com "
    );
    assert_eq!(
        health("Host: <b>x</b>\r\n", "HTTP/1.1"),
        "healthy: dynamodb.eu-west-3.amazonaws.com "
    );
}
