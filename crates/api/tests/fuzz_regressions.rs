//! Replays fuzz inputs through the `requests` fuzz target's own body (`fuzz_body/mod.rs`),
//! so every crash the fuzzer ever found stays fixed without running the fuzzer: the seeds
//! (`fuzz/seeds/`) and the saved crash inputs (`fuzz/regressions/`, one file each, as
//! libFuzzer wrote them). Also sends hostile bodies a mutating fuzzer rarely builds (deep
//! nesting, huge numbers, invalid UTF-8) to every operation. Set `FERRODYN_FUZZ_CORPUS=dir`
//! to replay a whole corpus too (e.g. the one `.ci/fuzz` keeps in
//! `~/.cache/ferrodyn/fuzz-corpus/requests`).

mod fuzz_body;

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

fn replay(file: &Path) {
    let data = std::fs::read(file).expect("readable input");
    fuzz_body::run(&data);
}

/// The same body sent to every operation, as one input.
fn to_every_operation(body: &[u8]) -> Vec<u8> {
    let mut input = Vec::new();
    for i in 0..fuzz_body::OPERATIONS.len() {
        input.push(u8::try_from(i).expect("fewer than 256 operations"));
        input.extend_from_slice(body);
        input.push(0);
    }
    input
}

#[test]
fn hostile_bodies_to_every_operation_get_client_errors() {
    let deep_map = |depth: usize| {
        format!(
            r#"{{"TableName":"tbl","Item":{{"pk":{{"S":"a"}},"sk":{{"N":"1"}},"x":{}{{"S":"v"}}{}}}}}"#,
            r#"{"M":{"k":"#.repeat(depth),
            "}}".repeat(depth)
        )
    };
    let deep_list = |depth: usize| {
        format!(
            r#"{{"TableName":"tbl","Key":{{"pk":{{"S":"a"}},"sk":{{"N":"1"}}}},"UpdateExpression":"SET x = :v","ExpressionAttributeValues":{{":v":{}{{"N":"1"}}{}}}}}"#,
            r#"{"L":["#.repeat(depth),
            "]}".repeat(depth)
        )
    };
    let bodies: Vec<Vec<u8>> = vec![
        // JSON nested beyond serde_json's recursion limit, as arrays, objects and values.
        "[".repeat(1000).into_bytes(),
        format!("{{\"TableName\":{}", "[".repeat(1000)).into_bytes(),
        format!("{}1{}", "{\"a\":".repeat(1000), "}".repeat(1000)).into_bytes(),
        // Attribute values nested around DynamoDB's 32 levels and serde_json's limit.
        deep_map(31).into_bytes(),
        deep_map(32).into_bytes(),
        deep_map(33).into_bytes(),
        deep_map(70).into_bytes(),
        deep_map(1000).into_bytes(),
        deep_list(33).into_bytes(),
        deep_list(1000).into_bytes(),
        // Invalid UTF-8 inside strings, keys and at the top level.
        b"{\"TableName\":\"t\xff\xfe\"}".to_vec(),
        b"{\"TableName\":\"tbl\",\"Item\":{\"pk\":{\"S\":\"\xc3\x28\"},\"sk\":{\"N\":\"1\"}}}"
            .to_vec(),
        b"{\"\xed\xa0\x80\":1}".to_vec(),
        b"\xef\xbb\xbf{}".to_vec(),
        br#"{"TableName":"tbl","Item":{"pk":{"S":"\ud800"},"sk":{"N":"1"}}}"#.to_vec(),
        // Numbers out of every range.
        br#"{"TableName":"tbl","Limit":1e999999}"#.to_vec(),
        br#"{"TableName":"tbl","Limit":-99999999999999999999999999}"#.to_vec(),
        br#"{"TableName":"tbl","Item":{"pk":{"S":"a"},"sk":{"N":"1e999999999999"}}}"#.to_vec(),
        format!(
            r#"{{"TableName":"tbl","Segment":0,"TotalSegments":{}}}"#,
            u64::MAX
        )
        .into_bytes(),
        // Empty, whitespace, and not JSON.
        Vec::new(),
        b"   ".to_vec(),
        b"null".to_vec(),
        b"{".to_vec(),
        b"{}}".to_vec(),
    ];
    for body in &bodies {
        fuzz_body::run(&to_every_operation(body));
    }
}

#[test]
fn saved_crash_inputs_and_seeds_do_not_panic() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let seeds = files(&fuzz.join("seeds"));
    assert!(!seeds.is_empty(), "no seeds in {}", fuzz.display());
    for file in seeds.iter().chain(&files(&fuzz.join("regressions"))) {
        eprintln!("{}", file.display());
        replay(file);
    }
}

#[test]
fn corpus_from_environment_does_not_panic() {
    let Some(dir) = std::env::var_os("FERRODYN_FUZZ_CORPUS") else {
        return;
    };
    let corpus = files(Path::new(&dir));
    eprintln!("{} inputs in {}", corpus.len(), Path::new(&dir).display());
    corpus.iter().for_each(|f| replay(f));
}
