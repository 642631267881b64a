//! Exports written, then read back: as ImportTable would, and as a reader of the manifests.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ferrodyn_types::{item_size, AttributeValue, Item, Number};
use md5::{Digest, Md5};

use crate::*;

fn num(v: &str) -> Number {
    Number::parse(v).unwrap()
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(num(v))
}

/// Item `i`: every attribute type, nested, with varied numbers and non-ASCII text.
fn sample_item(i: u64) -> Item {
    let nested = Item::from([
        (
            "deep".to_string(),
            AttributeValue::L(vec![n(&format!("-{i}.25")), AttributeValue::Null]),
        ),
        (
            "ü name".into(),
            AttributeValue::S(format!("ünïcödé \"{i}\"\n😀")),
        ),
    ]);
    let mut item = Item::from([
        ("pk".to_string(), AttributeValue::S(format!("item#{i}"))),
        ("sk".into(), n(&i.to_string())),
        (
            "bin".into(),
            AttributeValue::B((0..(i % 7) as u8).collect()),
        ),
        ("flag".into(), AttributeValue::Bool(i.is_multiple_of(2))),
        ("nothing".into(), AttributeValue::Null),
        (
            "list".into(),
            AttributeValue::L(vec![
                AttributeValue::S("x".into()),
                n("1e-130"),
                AttributeValue::M(nested.clone()),
            ]),
        ),
        ("map".into(), AttributeValue::M(nested)),
        (
            "ss".into(),
            AttributeValue::Ss(vec!["b".into(), format!("a{i}")]),
        ),
        (
            "ns".into(),
            AttributeValue::Ns(vec![
                num("99999999999999999999999999999999999999"),
                num(&format!("{i}e10")),
            ]),
        ),
        (
            "bs".into(),
            AttributeValue::Bs(vec![vec![255, 0], i.to_be_bytes().to_vec()]),
        ),
    ]);
    if i.is_multiple_of(3) {
        item.insert("sparse".into(), AttributeValue::S(String::new()));
    }
    item
}

fn info(prefix: Option<&str>) -> ExportSummaryInfo {
    ExportSummaryInfo {
        export_arn:
            "arn:aws:dynamodb:us-east-1:000000000000:table/T/export/01700000000000-0a1b2c3d".into(),
        start_time: "2024-01-02T03:04:05.006Z".into(),
        end_time: "2024-01-02T03:05:05.007Z".into(),
        table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/T".into(),
        table_id: "12345a12-abcd-123a-ab12-1234abc12345".into(),
        export_time: "2024-01-02T03:04:05.006Z".into(),
        s3_bucket: "bucket".into(),
        s3_prefix: prefix.map(str::to_owned),
        s3_sse_algorithm: Some("AES256".into()),
        s3_sse_kms_key_id: None,
    }
}

fn read_all(files: &[std::path::PathBuf], keys: &[KeyAttribute]) -> Vec<Item> {
    let mut items = Vec::new();
    for file in files {
        for result in read_items(file, &InputFormat::DynamoDbJson, Compression::Gzip, keys).unwrap()
        {
            items.push(result.unwrap());
        }
    }
    items
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

const EXPORT_ID: &str = "01700000000000-0a1b2c3d";

#[test]
fn export_of_10000_items_of_every_type_imports_back_equal() {
    let bucket = tempfile::tempdir().unwrap();
    let dir = bucket
        .path()
        .join("backups/daily")
        .join("AWSDynamoDB")
        .join(EXPORT_ID);
    let mut writer = ExportWriter::create(&dir, ExportFormat::DynamoDbJson, 3000).unwrap();
    let mut expected = BTreeMap::new();
    let mut billed = 0;
    for i in 0..10_000 {
        let item = sample_item(i);
        writer.write_item(&item).unwrap();
        billed += item_size(&item) as u64;
        expected.insert(format!("item#{i}"), item);
    }
    let result = writer.finish(info(Some("backups/daily"))).unwrap();
    assert_eq!(result.item_count, 10_000);
    assert_eq!(result.billed_size_bytes, billed);
    // Rolled every 3000 items.
    let counts: Vec<u64> = result.files.iter().map(|f| f.item_count).collect();
    assert_eq!(counts, [3000, 3000, 3000, 1000]);

    let keys = [
        KeyAttribute::table("pk", KeyScalar::S),
        KeyAttribute::table("sk", KeyScalar::N),
    ];
    // The prefix of the export itself and that of its data folder select the same files.
    let export_prefix = format!("backups/daily/AWSDynamoDB/{EXPORT_ID}");
    let files = import_files(bucket.path(), &export_prefix).unwrap();
    assert_eq!(
        files,
        import_files(bucket.path(), &format!("{export_prefix}/data/")).unwrap()
    );
    assert_eq!(files.len(), 4);
    let read: BTreeMap<String, Item> = read_all(&files, &keys)
        .into_iter()
        .map(|item| (item["pk"].as_s().unwrap().to_owned(), item))
        .collect();
    assert_eq!(read.len(), 10_000);
    assert!(read == expected, "items differ after the round trip");
    let on_disk: u64 = files.iter().map(|f| fs::metadata(f).unwrap().len()).sum();
    assert_eq!(result.file_bytes, on_disk);
}

#[test]
fn manifests_describe_the_export_field_by_field() {
    let bucket = tempfile::tempdir().unwrap();
    let dir = bucket.path().join("pre/AWSDynamoDB").join(EXPORT_ID);
    let mut writer = ExportWriter::create(&dir, ExportFormat::DynamoDbJson, 2).unwrap();
    assert_eq!(fs::read(dir.join("_started")).unwrap(), b"");
    let items: Vec<Item> = (0..5).map(sample_item).collect();
    for item in &items {
        writer.write_item(item).unwrap();
    }
    let result = writer.finish(info(Some("pre/"))).unwrap();
    let base = format!("pre/AWSDynamoDB/{EXPORT_ID}");

    let summary_text = fs::read_to_string(dir.join("manifest-summary.json")).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary_text).unwrap();
    let fields: Vec<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected_fields = [
        "version",
        "exportArn",
        "startTime",
        "endTime",
        "tableArn",
        "tableId",
        "exportTime",
        "s3Bucket",
        "s3Prefix",
        "s3SseAlgorithm",
        "s3SseKmsKeyId",
        "manifestFilesS3Key",
        "billedSizeBytes",
        "itemCount",
        "outputFormat",
        "exportType",
    ];
    // serde_json's map is sorted; the file itself keeps DynamoDB's order.
    let positions: Vec<usize> = expected_fields
        .iter()
        .map(|f| summary_text.find(&format!("\"{f}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{summary_text}");
    expected_fields.sort();
    assert_eq!(fields, expected_fields);
    assert_eq!(summary["version"], "2020-06-30");
    assert_eq!(summary["exportArn"], info(None).export_arn);
    assert_eq!(summary["startTime"], "2024-01-02T03:04:05.006Z");
    assert_eq!(summary["endTime"], "2024-01-02T03:05:05.007Z");
    assert_eq!(
        summary["tableArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/T"
    );
    assert_eq!(summary["tableId"], "12345a12-abcd-123a-ab12-1234abc12345");
    assert_eq!(summary["exportTime"], "2024-01-02T03:04:05.006Z");
    assert_eq!(summary["s3Bucket"], "bucket");
    assert_eq!(summary["s3Prefix"], "pre/");
    assert_eq!(summary["s3SseAlgorithm"], "AES256");
    assert_eq!(summary["s3SseKmsKeyId"], serde_json::Value::Null);
    assert_eq!(
        summary["manifestFilesS3Key"],
        format!("{base}/manifest-files.json")
    );
    let billed: usize = items.iter().map(item_size).sum();
    assert_eq!(summary["billedSizeBytes"], billed as u64);
    assert_eq!(summary["itemCount"], 5);
    assert_eq!(summary["outputFormat"], "DYNAMODB_JSON");
    assert_eq!(summary["exportType"], "FULL_EXPORT");
    assert_eq!(
        result.manifest_summary_s3_key,
        format!("{base}/manifest-summary.json")
    );
    let parsed: ManifestSummary = serde_json::from_str(&summary_text).unwrap();
    assert_eq!(parsed.item_count, 5);

    let files_text = fs::read_to_string(dir.join("manifest-files.json")).unwrap();
    let lines: Vec<ManifestFile> = files_text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines, result.files);
    assert_eq!(
        lines.iter().map(|f| f.item_count).collect::<Vec<_>>(),
        [2, 2, 1]
    );
    let first: serde_json::Value =
        serde_json::from_str(files_text.lines().next().unwrap()).unwrap();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["dataFileS3Key", "etag", "itemCount", "md5Checksum"]);
    for file in &lines {
        let name = file
            .data_file_s3_key
            .strip_prefix(&format!("{base}/data/"))
            .unwrap();
        let stem = name.strip_suffix(".json.gz").unwrap();
        assert_eq!(stem.len(), 26);
        assert!(
            stem.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
            "{stem}"
        );
        let bytes = fs::read(dir.join("data").join(name)).unwrap();
        let md5 = Md5::digest(&bytes);
        assert_eq!(file.md5_checksum, BASE64.encode(md5));
        assert_eq!(
            file.etag,
            md5.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        assert_eq!(
            gunzip(&dir.join("data").join(name)).lines().count() as u64,
            file.item_count
        );
    }
    for name in ["manifest-files", "manifest-summary"] {
        let md5 = Md5::digest(fs::read(dir.join(format!("{name}.json"))).unwrap());
        let hex: String = md5.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            fs::read_to_string(dir.join(format!("{name}.checksum"))).unwrap(),
            hex
        );
    }
}

#[test]
fn empty_export_without_prefix_has_one_empty_data_file() {
    let bucket = tempfile::tempdir().unwrap();
    let dir = bucket.path().join("AWSDynamoDB").join(EXPORT_ID);
    let writer = ExportWriter::create(&dir, ExportFormat::DynamoDbJson, 100).unwrap();
    let result = writer.finish(info(None)).unwrap();
    assert_eq!((result.item_count, result.billed_size_bytes), (0, 0));
    assert_eq!(result.files.len(), 1);
    assert_eq!(result.files[0].item_count, 0);
    assert!(result.files[0]
        .data_file_s3_key
        .starts_with(&format!("AWSDynamoDB/{EXPORT_ID}/data/")));
    let summary: ManifestSummary =
        serde_json::from_slice(&fs::read(dir.join("manifest-summary.json")).unwrap()).unwrap();
    assert_eq!(summary.s3_prefix, None);
    assert_eq!(
        summary.manifest_files_s3_key,
        format!("AWSDynamoDB/{EXPORT_ID}/manifest-files.json")
    );
    let files = import_files(bucket.path(), "").unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(read_all(&files, &[]), Vec::<Item>::new());
}

#[test]
fn ion_export_writes_one_ion_line_per_item() {
    let bucket = tempfile::tempdir().unwrap();
    let dir = bucket.path().join("AWSDynamoDB").join(EXPORT_ID);
    let mut writer = ExportWriter::create(&dir, ExportFormat::Ion, 10).unwrap();
    let item = Item::from([
        ("pk".to_string(), AttributeValue::S("a".into())),
        ("n".into(), n("1.5")),
    ]);
    writer.write_item(&item).unwrap();
    writer.write_item(&item).unwrap();
    let result = writer.finish(info(None)).unwrap();
    let name = result.files[0].data_file_s3_key.rsplit('/').next().unwrap();
    assert!(name.ends_with(".ion.gz"), "{name}");
    let text = gunzip(&dir.join("data").join(name));
    assert_eq!(text, "$ion_1_0 {Item:{n:15d-1,pk:\"a\"}}\n".repeat(2));
    let summary: ManifestSummary =
        serde_json::from_slice(&fs::read(dir.join("manifest-summary.json")).unwrap()).unwrap();
    assert_eq!(summary.output_format, "ION");
}

/// An export shaped like the developer guide's examples, written by hand, imports.
#[test]
fn hand_made_aws_export_reads_back() {
    let bucket = tempfile::tempdir().unwrap();
    let export = bucket
        .path()
        .join("2020-Nov/AWSDynamoDB/01234567890123-a1b2c3d4");
    fs::create_dir_all(export.join("data")).unwrap();
    fs::write(export.join("_started"), b"").unwrap();
    let summary = r#"{
   "version": "2020-06-30",
   "exportArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog/export/01234567890123-a1b2c3d4",
   "startTime": "2020-11-04T07:28:34.028Z",
   "endTime": "2020-11-04T07:33:43.897Z",
   "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/ProductCatalog",
   "tableId": "12345a12-abcd-123a-ab12-1234abc12345",
   "exportTime": "2020-11-04T07:28:34.028Z",
   "s3Bucket": "ddb-productcatalog-export",
   "s3Prefix": "2020-Nov",
   "s3SseAlgorithm": "AES256",
   "s3SseKmsKeyId": null,
   "manifestFilesS3Key": "2020-Nov/AWSDynamoDB/01234567890123-a1b2c3d4/manifest-files.json",
   "billedSizeBytes": 0,
   "itemCount": 2,
   "outputFormat": "DYNAMODB_JSON"
}"#;
    fs::write(export.join("manifest-summary.json"), summary).unwrap();
    let data = concat!(
        r#"{"Item":{"Authors":{"SS":["Author1","Author2"]},"Dimensions":{"S":"8.5 x 11.0 x 1.5"},"ISBN":{"S":"333-3333333333"},"Id":{"N":"103"},"InPublication":{"BOOL":false},"PageCount":{"N":"600"},"Price":{"N":"2000"},"ProductCategory":{"S":"Book"},"Title":{"S":"Book 103 Title"}}}"#,
        "\n",
        r#"{"Item":{"Id":{"N":"205"},"Pic":{"B":"AAEC"},"Tags":{"L":[{"NULL":true},{"M":{"a":{"NS":["1","2.5"]}}}]}}}"#,
        "\n",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    fs::write(export.join("data/33334444example.json.gz"), &gz).unwrap();
    let line = serde_json::json!({
        "itemCount": 2,
        "md5Checksum": BASE64.encode(Md5::digest(&gz)),
        "etag": "af83d6f217c19b8b0fff8023d8ca4716-1",
        "dataFileS3Key": "2020-Nov/AWSDynamoDB/01234567890123-a1b2c3d4/data/33334444example.json.gz",
    });
    fs::write(export.join("manifest-files.json"), format!("{line}\n")).unwrap();

    let parsed: ManifestSummary = serde_json::from_str(summary).unwrap();
    assert_eq!(parsed.export_type, None);
    assert_eq!(parsed.s3_prefix.as_deref(), Some("2020-Nov"));
    let manifest: ManifestFile = serde_json::from_str(&line.to_string()).unwrap();
    let data_file = bucket.path().join(&manifest.data_file_s3_key);
    assert_eq!(
        BASE64.encode(Md5::digest(fs::read(&data_file).unwrap())),
        manifest.md5_checksum
    );

    let files = import_files(
        bucket.path(),
        "2020-Nov/AWSDynamoDB/01234567890123-a1b2c3d4",
    )
    .unwrap();
    assert_eq!(files, [data_file]);
    let items = read_all(&files, &[KeyAttribute::table("Id", KeyScalar::N)]);
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["Authors"],
        AttributeValue::Ss(vec!["Author1".into(), "Author2".into()])
    );
    assert_eq!(items[0]["PageCount"], n("600"));
    assert_eq!(items[0]["InPublication"], AttributeValue::Bool(false));
    assert_eq!(items[0].len(), 9);
    assert_eq!(items[1]["Pic"], AttributeValue::B(vec![0, 1, 2]));
    assert_eq!(
        items[1]["Tags"],
        AttributeValue::L(vec![
            AttributeValue::Null,
            AttributeValue::M(Item::from([(
                "a".to_string(),
                AttributeValue::Ns(vec![num("1"), num("2.5")])
            )])),
        ])
    );
}

#[test]
fn encoded_items_export_as_their_decoded_form_does() {
    let bucket = tempfile::tempdir().unwrap();
    let items: Vec<Item> = (0..500).map(sample_item).collect();
    let mut results = Vec::new();
    for (id, encoded) in [
        ("01700000000000-00000001", false),
        ("01700000000000-00000002", true),
    ] {
        let dir = bucket.path().join("AWSDynamoDB").join(id);
        let mut writer = ExportWriter::create(&dir, ExportFormat::DynamoDbJson, 200).unwrap();
        for item in &items {
            if encoded {
                let mut bytes = Vec::new();
                ferrodyn_types::codec::encode_item(item, &mut bytes);
                writer.write_encoded(&bytes).unwrap();
            } else {
                writer.write_item(item).unwrap();
            }
        }
        let result = writer.finish(info(None)).unwrap();
        let mut files: Vec<_> = fs::read_dir(dir.join("data"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let lines: Vec<String> = files.iter().map(|f| gunzip(f)).collect();
        let mut lines: Vec<String> = lines
            .iter()
            .flat_map(|l| l.lines())
            .map(str::to_owned)
            .collect();
        lines.sort();
        results.push((result.item_count, result.billed_size_bytes, lines));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0].0, 500);
    assert_eq!(
        results[0].1,
        items.iter().map(|i| item_size(i) as u64).sum::<u64>()
    );
}
