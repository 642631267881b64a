//! Import sources (developer guide, "Amazon S3 import formats for DynamoDB"): the objects
//! under a key prefix, each DynamoDB JSON or CSV, compressed with GZIP or ZSTD or not at all.
//!
//! - DynamoDB JSON: one `{"Item":{...}}` per line, which is also what a DynamoDB JSON export's
//!   data files hold, so an export imports as it is.
//! - CSV: a header row gives the attribute names, unless `HeaderList` does (then the first row
//!   is data). The key attributes of the table and its indexes take their
//!   `AttributeDefinitions` type (`S`, `N`, or `B` from base64); every other column is an `S`.
//!   An empty cell is no attribute.
//!
//! A line that is not an item is a [`LineError`] and reading goes on, as ImportTable counts
//! `ErrorCount` and goes on; a source that cannot be read any further (a broken gzip stream)
//! ends with one last `LineError`.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ferrodyn_types::{
    split_validation_marker, strip_serde_position, AttributeType, AttributeValue, Item, Number,
};
use flate2::bufread::MultiGzDecoder;
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};
use serde::Deserialize;

use crate::{io_error, Error, Result};

/// The `InputFormat` (with `InputFormatOptions`) of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputFormat {
    /// `DYNAMODB_JSON`.
    DynamoDbJson,
    /// `ION`: accepted by DynamoDB, not read by this crate ([`read_items`] says so).
    Ion,
    /// `CSV`.
    Csv {
        /// `Delimiter`: `,` by default; DynamoDB allows `,` `;` `:` `|` tab and space.
        delimiter: u8,
        /// `HeaderList`: the column names of every file, whose first row is then data.
        /// `None`: each file's first row is its header.
        header: Option<Vec<String>>,
    },
}

/// The `InputCompressionType` of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// `GZIP`.
    Gzip,
    /// `ZSTD`.
    Zstd,
    /// `NONE`.
    None,
}

/// The scalar type of a key attribute, from `AttributeDefinitions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScalar {
    /// `S`.
    S,
    /// `N`.
    N,
    /// `B`.
    B,
}

impl KeyScalar {
    /// The type named `S`, `N` or `B` (an `AttributeType` of `AttributeDefinitions`).
    pub fn parse(name: &str) -> Option<KeyScalar> {
        match name {
            "S" => Some(KeyScalar::S),
            "N" => Some(KeyScalar::N),
            "B" => Some(KeyScalar::B),
            _ => None,
        }
    }

    fn attribute_type(self) -> AttributeType {
        match self {
            KeyScalar::S => AttributeType::S,
            KeyScalar::N => AttributeType::N,
            KeyScalar::B => AttributeType::B,
        }
    }
}

/// A key attribute of the table being imported into, or of one of its secondary indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    /// The attribute name.
    pub name: String,
    /// Its type.
    pub scalar: KeyScalar,
    /// Whether every item must have it: true for the table's own keys, false for index keys
    /// (an item without them is simply not in the index).
    pub required: bool,
}

impl KeyAttribute {
    /// A key attribute of the table: required.
    pub fn table(name: impl Into<String>, scalar: KeyScalar) -> KeyAttribute {
        KeyAttribute {
            name: name.into(),
            scalar,
            required: true,
        }
    }

    /// A key attribute of a secondary index only: typed when present, may be absent.
    pub fn index(name: impl Into<String>, scalar: KeyScalar) -> KeyAttribute {
        KeyAttribute {
            name: name.into(),
            scalar,
            required: false,
        }
    }
}

/// A line of an import source that is not an item: one ImportTable error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// 1-based line of the (decompressed) source; for CSV, the line the record starts on.
    pub line: u64,
    /// What is wrong with it.
    pub message: String,
}

/// The files under `root` (the bucket) whose key, their path relative to `root` with `/`
/// separators, starts with `key_prefix`: S3's prefix rule, so `data/part` selects
/// `data/part-1.csv` and `data/partition/x.csv`, and `""` everything. Sorted by key.
///
/// So that an export imports whether the prefix names its data folder or the export itself,
/// an export's own metadata is skipped: `_started` and `manifest-*.json` / `manifest-*.checksum`
/// directly in an `AWSDynamoDB/<ExportId>/` folder. Symbolic links and names that are not
/// UTF-8 (not S3 keys) are skipped too.
pub fn import_files(root: &Path, key_prefix: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    walk(root, "", key_prefix, &mut files)?;
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files.into_iter().map(|(_, path)| path).collect())
}

fn walk(dir: &Path, dir_key: &str, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<()> {
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        let key = format!("{dir_key}{name}");
        let file_type = entry.file_type().map_err(io_error(entry.path()))?;
        if file_type.is_dir() {
            let sub = format!("{key}/");
            // Only where a selected key can be: inside the prefix or on the way to it.
            if sub.starts_with(prefix) || prefix.starts_with(&sub) {
                walk(&entry.path(), &sub, prefix, out)?;
            }
        } else if file_type.is_file() && key.starts_with(prefix) && !is_export_metadata(&key) {
            out.push((key, entry.path()));
        }
    }
    Ok(())
}

fn is_export_metadata(key: &str) -> bool {
    let mut parts = key.rsplit('/');
    let (Some(name), Some(_export_id), Some(aws)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    aws == "AWSDynamoDB"
        && (name == "_started"
            || name.starts_with("manifest-")
                && (name.ends_with(".json") || name.ends_with(".checksum")))
}

/// Opens one import source and reads its items lazily; an `Err` here means the file cannot
/// be opened, or `format` is [`InputFormat::Ion`], which this crate does not read.
///
/// `keys` are the key attributes of the table and its indexes: they type CSV columns, and an
/// item whose key attribute has another type, or that lacks a required one, is a
/// [`LineError`]. Other checks (sizes, empty keys) are the caller's, as for any write.
pub fn read_items(
    path: &Path,
    format: &InputFormat,
    compression: Compression,
    keys: &[KeyAttribute],
) -> Result<ImportReader> {
    let lines = match format {
        InputFormat::Ion => {
            return Err(Error::Unsupported(
                "importing Amazon Ion is not supported: use DYNAMODB_JSON or CSV",
            ))
        }
        InputFormat::DynamoDbJson => Lines::Json {
            reader: open(path, compression)?,
            line: 0,
            buf: Vec::new(),
        },
        InputFormat::Csv { delimiter, header } => Lines::Csv {
            reader: csv::ReaderBuilder::new()
                .delimiter(*delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(open(path, compression)?),
            header: header.clone(),
            record: csv::ByteRecord::new(),
            first: true,
        },
    };
    Ok(ImportReader {
        lines,
        keys: keys.to_vec(),
        done: false,
    })
}

fn open(path: &Path, compression: Compression) -> Result<Box<dyn BufRead>> {
    let file = BufReader::new(File::open(path).map_err(io_error(path))?);
    Ok(match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(BufReader::new(Gunzip(Some(file), None))),
        Compression::Zstd => Box::new(BufReader::new(Unzstd::Between(file, FrameDecoder::new()))),
    })
}

/// The items of one import source, in file order; see [`read_items`].
pub struct ImportReader {
    lines: Lines,
    keys: Vec<KeyAttribute>,
    done: bool,
}

enum Lines {
    Json {
        reader: Box<dyn BufRead>,
        line: u64,
        buf: Vec<u8>,
    },
    Csv {
        reader: csv::Reader<Box<dyn BufRead>>,
        header: Option<Vec<String>>,
        record: csv::ByteRecord,
        first: bool,
    },
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Deserialize)]
struct JsonLine {
    #[serde(rename = "Item")]
    item: Item,
}

impl Iterator for ImportReader {
    type Item = Result<Item, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (line, parsed) = match &mut self.lines {
            Lines::Json { reader, line, buf } => loop {
                buf.clear();
                match reader.read_until(b'\n', buf) {
                    Ok(0) => return None,
                    Ok(_) => *line += 1,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(unreadable(*line + 1, &e)));
                    }
                }
                let mut text = buf.trim_ascii();
                if *line == 1 {
                    text = text.strip_prefix(BOM).unwrap_or(text).trim_ascii();
                }
                if !text.is_empty() {
                    break (*line, json_item(text));
                }
            },
            Lines::Csv {
                reader,
                header,
                record,
                first,
            } => loop {
                let at = reader.position().line();
                match reader.read_byte_record(record) {
                    Ok(false) => return None,
                    Ok(true) => {}
                    Err(e) => {
                        self.done = true;
                        let message = match e.into_kind() {
                            csv::ErrorKind::Io(e) => unreadable(at, &e).message,
                            other => format!("{other:?}"),
                        };
                        return Some(Err(LineError { line: at, message }));
                    }
                }
                let line = record.position().map_or(at, |p| p.line());
                let bom = std::mem::take(first);
                match header {
                    Some(names) => break (line, csv_item(names, record, bom, &self.keys)),
                    None => match csv_header(record, bom) {
                        Ok(names) => *header = Some(names),
                        Err(message) => {
                            // Without a header no row can be read.
                            self.done = true;
                            return Some(Err(LineError { line, message }));
                        }
                    },
                }
            },
        };
        let checked = parsed.and_then(|item| check_keys(&item, &self.keys).map(|()| item));
        Some(checked.map_err(|message| LineError { line, message }))
    }
}

fn unreadable(line: u64, e: &io::Error) -> LineError {
    LineError {
        line,
        message: format!("the object cannot be read past this point: {e}"),
    }
}

fn json_item(text: &[u8]) -> Result<Item, String> {
    serde_json::from_slice::<JsonLine>(text)
        .map(|line| line.item)
        .map_err(|e| {
            let message = e.to_string();
            split_validation_marker(&message)
                .unwrap_or_else(|| strip_serde_position(&message))
                .to_owned()
        })
}

fn csv_cell(record: &csv::ByteRecord, i: usize, bom: bool) -> Result<&str, String> {
    let mut cell = &record[i];
    if bom && i == 0 {
        cell = cell.strip_prefix(BOM).unwrap_or(cell);
    }
    std::str::from_utf8(cell).map_err(|_| format!("column {} is not valid UTF-8", i + 1))
}

fn csv_header(record: &csv::ByteRecord, bom: bool) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::with_capacity(record.len());
    for i in 0..record.len() {
        let name = csv_cell(record, i, bom)?;
        if name.is_empty() {
            return Err(format!("header column {} has no name", i + 1));
        }
        if names.iter().any(|n| n == name) {
            return Err(format!("header names column {name} twice"));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

fn csv_item(
    names: &[String],
    record: &csv::ByteRecord,
    bom: bool,
    keys: &[KeyAttribute],
) -> Result<Item, String> {
    if record.len() != names.len() {
        return Err(format!(
            "the row has {} columns where the header has {}",
            record.len(),
            names.len()
        ));
    }
    let mut item = Item::new();
    for (i, name) in names.iter().enumerate() {
        let cell = csv_cell(record, i, bom)?;
        if cell.is_empty() {
            continue;
        }
        let value = match keys.iter().find(|k| k.name == *name).map(|k| k.scalar) {
            None | Some(KeyScalar::S) => AttributeValue::S(cell.to_owned()),
            Some(KeyScalar::N) => AttributeValue::N(
                Number::parse(cell).map_err(|e| format!("key attribute {name}: {e}"))?,
            ),
            Some(KeyScalar::B) => AttributeValue::B(
                BASE64
                    .decode(cell)
                    .map_err(|e| format!("key attribute {name} is not base64: {e}"))?,
            ),
        };
        item.insert(name.clone(), value);
    }
    Ok(item)
}

fn check_keys(item: &Item, keys: &[KeyAttribute]) -> Result<(), String> {
    for key in keys {
        match item.get(&key.name) {
            None if key.required => {
                return Err(format!("the item has no key attribute {}", key.name));
            }
            Some(value) if value.attribute_type() != key.scalar.attribute_type() => {
                return Err(format!(
                    "key attribute {} must be of type {}, not {}",
                    key.name,
                    key.scalar.attribute_type(),
                    value.attribute_type()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A gzip stream of any number of members (as `cat a.gz b.gz` makes); an empty file is an
/// empty stream, as an export's file of an empty partition.
struct Gunzip<R: BufRead>(Option<R>, Option<MultiGzDecoder<R>>);

impl<R: BufRead> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(mut raw) = self.0.take() {
            if raw.fill_buf()?.is_empty() {
                self.0 = Some(raw);
                return Ok(0);
            }
            self.1 = Some(MultiGzDecoder::new(raw));
        }
        match &mut self.1 {
            Some(decoder) => decoder.read(buf),
            None => Ok(0),
        }
    }
}

/// A zstd stream of any number of frames, decoded by ruzstd.
enum Unzstd<R: BufRead> {
    Between(R, FrameDecoder),
    InFrame(StreamingDecoder<R, FrameDecoder>),
    Failed,
}

impl<R: BufRead> Read for Unzstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match std::mem::replace(self, Unzstd::Failed) {
                Unzstd::InFrame(mut frame) => {
                    let n = frame.read(buf)?;
                    if n > 0 || buf.is_empty() {
                        *self = Unzstd::InFrame(frame);
                        return Ok(n);
                    }
                    let (source, decoder) = frame.into_parts();
                    *self = Unzstd::Between(source, decoder);
                }
                Unzstd::Between(mut source, decoder) => {
                    if source.fill_buf()?.is_empty() {
                        *self = Unzstd::Between(source, decoder);
                        return Ok(0);
                    }
                    let frame = StreamingDecoder::new_with_decoder(source, decoder)
                        .map_err(io::Error::other)?;
                    *self = Unzstd::InFrame(frame);
                }
                Unzstd::Failed => return Err(io::Error::other("the zstd stream is broken")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(v).unwrap())
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    fn read(
        path: &Path,
        format: &InputFormat,
        compression: Compression,
        keys: &[KeyAttribute],
    ) -> (Vec<Item>, Vec<LineError>) {
        let (mut items, mut errors) = (Vec::new(), Vec::new());
        for result in read_items(path, format, compression, keys).unwrap() {
            match result {
                Ok(item) => items.push(item),
                Err(e) => errors.push(e),
            }
        }
        (items, errors)
    }

    fn csv(header: Option<&[&str]>) -> InputFormat {
        InputFormat::Csv {
            delimiter: b',',
            header: header.map(|h| h.iter().map(|s| s.to_string()).collect()),
        }
    }

    fn lines(errors: &[LineError]) -> Vec<u64> {
        errors.iter().map(|e| e.line).collect()
    }

    #[test]
    fn dynamodb_json_skips_blank_lines_and_counts_bad_ones_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = concat!(
            "{\"Item\":{\"pk\":{\"S\":\"a\"},\"n\":{\"N\":\"1.50\"}}}\n",
            "not json\n",
            "\n",
            "{\"pk\":{\"S\":\"no Item wrapper\"}}\n",
            "{\"Item\":{\"other\":{\"S\":\"x\"}}}\n",
            "{\"Item\":{\"pk\":{\"N\":\"1\"}}}\n",
            "{\"Item\":{\"pk\":{\"S\":\"b\"},\"n\":{\"N\":\"abc\"}}}\n",
            "   \r\n",
            "{\"Item\":{\"pk\":{\"S\":\"c\"},\"gsi\":{\"N\":\"7\"}}}\r\n",
            "{\"Item\":{\"pk\":{\"S\":\"d\"},\"gsi\":{\"S\":\"7\"}}}",
        );
        let path = write(dir.path(), "items.json", text.as_bytes());
        let keys = [
            KeyAttribute::table("pk", KeyScalar::S),
            KeyAttribute::index("gsi", KeyScalar::N),
        ];
        let (items, errors) = read(&path, &InputFormat::DynamoDbJson, Compression::None, &keys);
        assert_eq!(
            items,
            vec![
                Item::from([("pk".to_string(), s("a")), ("n".into(), n("1.5"))]),
                Item::from([("pk".to_string(), s("c")), ("gsi".into(), n("7"))]),
            ]
        );
        assert_eq!(lines(&errors), vec![2, 4, 5, 6, 7, 10]);
        assert_eq!(errors[2].message, "the item has no key attribute pk");
        assert_eq!(
            errors[3].message,
            "key attribute pk must be of type S, not N"
        );
        assert!(
            errors[4].message.contains("numeric"),
            "{}",
            errors[4].message
        );
        assert_eq!(
            errors[5].message,
            "key attribute gsi must be of type N, not S"
        );
        assert!(errors[1].message.contains("Item"), "{}", errors[1].message);
        assert_eq!(
            errors[0].to_string(),
            format!("line 2: {}", errors[0].message)
        );
    }

    #[test]
    fn csv_with_header_row_types_keys_and_keeps_other_columns_strings() {
        let dir = tempfile::tempdir().unwrap();
        let text = "pk,sk,price,note\n\
                    a,1,10,plain\n\
                    \"b,c\",-2.50,,\"say \"\"hi\"\"\nover two lines\"\n\
                    d,3e2,007,\n";
        let path = write(dir.path(), "x.csv", text.as_bytes());
        let keys = [
            KeyAttribute::table("pk", KeyScalar::S),
            KeyAttribute::table("sk", KeyScalar::N),
        ];
        let (items, errors) = read(&path, &csv(None), Compression::None, &keys);
        assert_eq!(errors, vec![]);
        assert_eq!(
            items,
            vec![
                Item::from([
                    ("pk".to_string(), s("a")),
                    ("sk".into(), n("1")),
                    ("price".into(), s("10")),
                    ("note".into(), s("plain")),
                ]),
                Item::from([
                    ("pk".to_string(), s("b,c")),
                    ("sk".into(), n("-2.5")),
                    ("note".into(), s("say \"hi\"\nover two lines")),
                ]),
                Item::from([
                    ("pk".to_string(), s("d")),
                    ("sk".into(), n("300")),
                    ("price".into(), s("007")),
                ]),
            ]
        );
    }

    #[test]
    fn csv_header_list_makes_the_first_row_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv", b"id,name\n2,two\n");
        let keys = [KeyAttribute::table("id", KeyScalar::S)];
        let (items, errors) = read(&path, &csv(Some(&["id", "name"])), Compression::None, &keys);
        assert_eq!(errors, vec![]);
        assert_eq!(
            items,
            vec![
                Item::from([("id".to_string(), s("id")), ("name".into(), s("name"))]),
                Item::from([("id".to_string(), s("2")), ("name".into(), s("two"))]),
            ]
        );
    }

    #[test]
    fn csv_custom_delimiter_binary_key_and_byte_order_mark() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.tsv", b"\xEF\xBB\xBFk\tv\nAAEC\ta;b\n");
        let format = InputFormat::Csv {
            delimiter: b'\t',
            header: None,
        };
        let keys = [KeyAttribute::table("k", KeyScalar::B)];
        let (items, errors) = read(&path, &format, Compression::None, &keys);
        assert_eq!(errors, vec![]);
        assert_eq!(
            items,
            vec![Item::from([
                ("k".to_string(), AttributeValue::B(vec![0, 1, 2])),
                ("v".into(), s("a;b")),
            ])]
        );
    }

    #[test]
    fn csv_bad_rows_are_counted_at_the_line_they_start() {
        let dir = tempfile::tempdir().unwrap();
        let text = "pk,sk,v\n\
                    a,1,\"two\nlines\"\n\
                    b,x,bad number\n\
                    ,2,missing pk\n\
                    c,3\n\
                    d,4,ok\n";
        let path = write(dir.path(), "x.csv", text.as_bytes());
        let keys = [
            KeyAttribute::table("pk", KeyScalar::S),
            KeyAttribute::table("sk", KeyScalar::N),
        ];
        let (items, errors) = read(&path, &csv(None), Compression::None, &keys);
        assert_eq!(items.len(), 2);
        assert_eq!(items[1]["pk"], s("d"));
        assert_eq!(lines(&errors), vec![4, 5, 6]);
        assert!(
            errors[0].message.starts_with("key attribute sk: "),
            "{}",
            errors[0].message
        );
        assert_eq!(errors[1].message, "the item has no key attribute pk");
        assert_eq!(
            errors[2].message,
            "the row has 2 columns where the header has 3"
        );
    }

    #[test]
    fn csv_header_without_names_stops_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.csv", b"pk,,v\na,b,c\n");
        let (items, errors) = read(&path, &csv(None), Compression::None, &[]);
        assert_eq!(items, vec![]);
        assert_eq!(lines(&errors), vec![1]);
    }

    #[test]
    fn gzip_zstd_and_none_read_the_same_items() {
        let dir = tempfile::tempdir().unwrap();
        let first = b"{\"Item\":{\"pk\":{\"S\":\"a\"}}}\n";
        let second = b"{\"Item\":{\"pk\":{\"S\":\"b\"}}}\n";
        let plain = [&first[..], &second[..]].concat();
        let zstd = |b: &[u8]| {
            ruzstd::encoding::compress_to_vec(b, ruzstd::encoding::CompressionLevel::Fastest)
        };
        let sources = [
            (write(dir.path(), "plain", &plain), Compression::None),
            (
                write(dir.path(), "one.gz", &gzip(&plain)),
                Compression::Gzip,
            ),
            // Concatenated gzip members and zstd frames are one stream each.
            (
                write(dir.path(), "two.gz", &[gzip(first), gzip(second)].concat()),
                Compression::Gzip,
            ),
            (
                write(dir.path(), "one.zst", &zstd(&plain)),
                Compression::Zstd,
            ),
            (
                write(dir.path(), "two.zst", &[zstd(first), zstd(second)].concat()),
                Compression::Zstd,
            ),
        ];
        let keys = [KeyAttribute::table("pk", KeyScalar::S)];
        for (path, compression) in sources {
            let (items, errors) = read(&path, &InputFormat::DynamoDbJson, compression, &keys);
            assert_eq!(errors, vec![], "{}", path.display());
            let pks: Vec<_> = items.iter().map(|i| i["pk"].clone()).collect();
            assert_eq!(pks, vec![s("a"), s("b")], "{}", path.display());
        }
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let path = write(dir.path(), "empty", b"");
            let (items, errors) = read(&path, &csv(None), compression, &keys);
            assert_eq!((items.len(), errors.len()), (0, 0));
        }
    }

    #[test]
    fn a_broken_gzip_stream_ends_with_one_error() {
        let dir = tempfile::tempdir().unwrap();
        let text: String = (0..2000)
            .map(|i| format!("{{\"Item\":{{\"pk\":{{\"S\":\"item {i}\"}}}}}}\n"))
            .collect();
        let mut bytes = gzip(text.as_bytes());
        bytes.truncate(bytes.len() / 2);
        let path = write(dir.path(), "cut.gz", &bytes);
        let (items, errors) = read(&path, &InputFormat::DynamoDbJson, Compression::Gzip, &[]);
        assert!(items.len() < 2000);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].message.starts_with("the object cannot be read"),
            "{errors:?}"
        );
        // Gzip of plain text is an error too, from the first line.
        let path = write(dir.path(), "plain.gz", text.as_bytes());
        let (items, errors) = read(&path, &InputFormat::DynamoDbJson, Compression::Gzip, &[]);
        assert_eq!((items.len(), lines(&errors)), (0, vec![1]));
    }

    #[test]
    fn ion_sources_are_unsupported() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "x.ion", b"$ion_1_0 {Item:{pk:\"a\"}}\n");
        let err = read_items(&path, &InputFormat::Ion, Compression::None, &[]).err();
        assert!(matches!(err, Some(Error::Unsupported(_))));
        let missing = read_items(
            &dir.path().join("nope"),
            &InputFormat::DynamoDbJson,
            Compression::None,
            &[],
        );
        assert!(matches!(missing.err(), Some(Error::Io { .. })));
    }

    #[test]
    fn import_files_follow_s3_prefix_rules_and_skip_export_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "a/b.csv",
            "a/bc.csv",
            "a/b/c.csv",
            "ab.csv",
            "z.csv",
            "exp/AWSDynamoDB/0123-ab/_started",
            "exp/AWSDynamoDB/0123-ab/manifest-files.json",
            "exp/AWSDynamoDB/0123-ab/manifest-files.checksum",
            "exp/AWSDynamoDB/0123-ab/manifest-summary.json",
            "exp/AWSDynamoDB/0123-ab/data/x.json.gz",
            "exp/manifest-summary.json",
        ] {
            write(root, name, b"");
        }
        let keys = |prefix: &str| -> Vec<String> {
            import_files(root, prefix)
                .unwrap()
                .iter()
                .map(|p| p.strip_prefix(root).unwrap().to_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(keys("a/b"), ["a/b.csv", "a/b/c.csv", "a/bc.csv"]);
        assert_eq!(keys("a/b/"), ["a/b/c.csv"]);
        assert_eq!(keys("a"), ["a/b.csv", "a/b/c.csv", "a/bc.csv", "ab.csv"]);
        assert_eq!(keys("z.csv"), ["z.csv"]);
        assert_eq!(keys("nothing"), Vec::<String>::new());
        assert_eq!(
            keys("exp/"),
            [
                "exp/AWSDynamoDB/0123-ab/data/x.json.gz",
                "exp/manifest-summary.json"
            ]
        );
        assert_eq!(
            keys("exp/AWSDynamoDB/0123-ab/data/"),
            ["exp/AWSDynamoDB/0123-ab/data/x.json.gz"]
        );
        assert_eq!(keys("").len(), 7);
        assert!(import_files(&root.join("missing"), "").is_err());
    }

    #[test]
    fn key_scalar_parses_attribute_definition_types() {
        assert_eq!(KeyScalar::parse("N"), Some(KeyScalar::N));
        assert_eq!(KeyScalar::parse("B"), Some(KeyScalar::B));
        assert_eq!(KeyScalar::parse("S"), Some(KeyScalar::S));
        assert_eq!(KeyScalar::parse("BOOL"), None);
    }
}
