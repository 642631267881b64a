//! Content codings: request bodies sent with `Content-Encoding: gzip` or `deflate`, and gzip
//! answers for clients that send `Accept-Encoding: gzip` (the Go SDK's `EnableAcceptEncodingGzip`,
//! the Java SDK's `useGzip`, browsers).
//!
//! A request body is decoded as a stream into a buffer that never grows past the size limit,
//! so a zip bomb costs at most that much memory and stops as soon as it passes the limit.
//! `x-amz-crc32` of a gzip answer is over the compressed bytes, the bytes on the wire, which
//! are what the SDKs check it against.

use std::io::{self, Read, Write};

use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};
use flate2::write::GzEncoder;
use flate2::Compression;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use hyper::HeaderMap;

/// Answers shorter than this are sent as they are: the gzip header and trailer (18 bytes) and
/// the work cost more than they save.
pub const MIN_GZIP_ANSWER: usize = 1024;

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Identity,
    Gzip,
    Deflate,
}

impl Coding {
    pub fn name(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// The coding of the request body from its `Content-Encoding` header(s). `identity` entries
/// are skipped; one real coding is taken. `Err` holds the header's text when it names a coding
/// we do not know, or more than one coding.
pub fn request_coding(headers: &HeaderMap) -> Result<Coding, String> {
    let mut coding = Coding::Identity;
    for value in headers.get_all(CONTENT_ENCODING) {
        let text = value
            .to_str()
            .map_err(|_| String::from_utf8_lossy(value.as_bytes()).into_owned())?;
        for name in text.split(',').map(str::trim) {
            let this = if name.is_empty() || name.eq_ignore_ascii_case("identity") {
                continue;
            } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                Coding::Gzip
            } else if name.eq_ignore_ascii_case("deflate") {
                Coding::Deflate
            } else {
                return Err(text.to_string());
            };
            if coding != Coding::Identity {
                // Stacked codings ("gzip, gzip"): nobody sends them to DynamoDB.
                return Err(text.to_string());
            }
            coding = this;
        }
    }
    Ok(coding)
}

/// Why a body could not be decoded.
#[derive(Debug)]
pub enum DecodeError {
    /// The decoded body is longer than the limit.
    TooLarge,
    /// Not valid data of the coding (bad header, bad checksum, cut short).
    Corrupt(io::Error),
}

/// Decodes `data` into at most `limit` bytes.
///
/// A body that decodes to at most [`FIRST_PASS`] bytes is decoded once. A longer one is
/// measured first, without keeping what is decoded past that, and then decoded again into a
/// buffer of exactly its size: a zip bomb is refused having cost [`FIRST_PASS`] bytes of
/// memory, and an accepted body costs its own size, not the sum of a growing buffer's
/// reallocations (about three times as much, as the allocator keeps freed pages for a while).
pub fn decode(coding: Coding, data: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let small = FIRST_PASS.min(limit);
    // One byte more tells that there is more.
    let mut out = vec![0u8; small + 1];
    let mut reader = decoder(coding, data);
    let n = fill(&mut reader, &mut out)?;
    if n <= small {
        out.truncate(n);
        return Ok(out);
    }
    drop(out);
    if n > limit {
        return Err(DecodeError::TooLarge);
    }
    let total = n + count(&mut reader, limit - n)?;
    let mut out = vec![0u8; total];
    let mut reader = decoder(coding, data);
    if fill(&mut reader, &mut out)? != total {
        // The same bytes decode to the same output; this is only defence.
        return Err(DecodeError::Corrupt(io::ErrorKind::InvalidData.into()));
    }
    Ok(out)
}

/// The largest body decoded in a single pass.
const FIRST_PASS: usize = 64 * 1024;

fn decoder(coding: Coding, data: &[u8]) -> Box<dyn Read + '_> {
    match coding {
        Coding::Identity => Box::new(data),
        // Several gzip members one after another are one body (RFC 1952 §2.2).
        Coding::Gzip => Box::new(MultiGzDecoder::new(data)),
        // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), but some clients send a
        // raw deflate stream: a zlib header tells them apart.
        Coding::Deflate if has_zlib_header(data) => Box::new(ZlibDecoder::new(data)),
        Coding::Deflate => Box::new(DeflateDecoder::new(data)),
    }
}

/// RFC 1950: compression method 8 with a window of at most 32K, and the first two bytes a
/// multiple of 31.
fn has_zlib_header(data: &[u8]) -> bool {
    data.len() >= 2
        && data[0] & 0x0f == 8
        && data[0] >> 4 <= 7
        && u16::from_be_bytes([data[0], data[1]]).is_multiple_of(31)
}

/// Reads into `buf` until it is full or the input ends; returns how much was read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, DecodeError> {
    let mut len = 0;
    while len < buf.len() {
        match reader.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DecodeError::Corrupt(e)),
        }
    }
    Ok(len)
}

/// How many bytes are left in `reader`, reading them into a small scratch buffer; stops with
/// [`DecodeError::TooLarge`] as soon as that passes `max`.
fn count(reader: &mut impl Read, max: usize) -> Result<usize, DecodeError> {
    let mut scratch = vec![0u8; 32 * 1024];
    let mut total = 0usize;
    loop {
        match reader.read(&mut scratch) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                total += n;
                if total > max {
                    return Err(DecodeError::TooLarge);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DecodeError::Corrupt(e)),
        }
    }
}

/// Whether `Accept-Encoding` allows gzip: `gzip` or `x-gzip`, or else `*`, with a q-value
/// above zero (RFC 9110 §12.5.3). No header, or `identity` only, means no.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in headers.get_all(ACCEPT_ENCODING) {
        let Ok(text) = value.to_str() else { continue };
        for entry in text.split(',') {
            let mut parts = entry.split(';');
            let name = parts.next().unwrap_or("").trim();
            let wanted = parts.all(|param| match param.split_once('=') {
                Some((k, v)) if k.trim().eq_ignore_ascii_case("q") => {
                    v.trim().parse::<f32>().is_ok_and(|q| q > 0.0)
                }
                _ => true,
            });
            if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                gzip = Some(wanted);
            } else if name == "*" {
                any = Some(wanted);
            }
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// `body` gzip-compressed, or None when that does not make it shorter. Level 1: DynamoDB's
/// JSON (repeated attribute names and type tags) shrinks well at the fastest level.
pub fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3 + 64), Compression::fast());
    encoder.write_all(body).ok()?;
    let compressed = encoder.finish().ok()?;
    (compressed.len() < body.len()).then_some(compressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(name: hyper::header::HeaderName, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn compress(coding: &str, data: &[u8]) -> Vec<u8> {
        match coding {
            "gzip" => {
                let mut e = GzEncoder::new(Vec::new(), Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            "zlib" => {
                let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            "raw" => {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
                e.write_all(data).unwrap();
                e.finish().unwrap()
            }
            _ => unreachable!(),
        }
    }

    #[test]
    fn accept_encoding_is_parsed_with_q_values() {
        let yes = [
            "gzip",
            "GZIP",
            "gzip, deflate, br",
            "br;q=1.0, gzip;q=0.8",
            "x-gzip",
            "*",
            "identity, *;q=0.5",
        ];
        for v in yes {
            assert!(accepts_gzip(&headers(ACCEPT_ENCODING, &[v])), "{v}");
        }
        let no = [
            "identity",
            "br",
            "gzip;q=0",
            "gzip; q=0.000",
            "*, gzip;q=0",
            "",
            "*;q=0",
        ];
        for v in no {
            assert!(!accepts_gzip(&headers(ACCEPT_ENCODING, &[v])), "{v}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
        assert!(accepts_gzip(&headers(ACCEPT_ENCODING, &["br", "gzip"])));
    }

    #[test]
    fn content_encoding_names() {
        let ok = [
            ("gzip", Coding::Gzip),
            ("x-gzip", Coding::Gzip),
            ("Deflate", Coding::Deflate),
            ("identity", Coding::Identity),
            ("identity, gzip", Coding::Gzip),
            ("", Coding::Identity),
        ];
        for (v, c) in ok {
            assert_eq!(
                request_coding(&headers(CONTENT_ENCODING, &[v])),
                Ok(c),
                "{v}"
            );
        }
        assert_eq!(request_coding(&HeaderMap::new()), Ok(Coding::Identity));
        for v in ["br", "zstd", "gzip, gzip", "compress"] {
            assert_eq!(
                request_coding(&headers(CONTENT_ENCODING, &[v])),
                Err(v.to_string())
            );
        }
    }

    #[test]
    fn decodes_gzip_zlib_and_raw_deflate() {
        let data = br#"{"TableName":"t","Key":{"pk":{"S":"a"}}}"#.repeat(50);
        assert_eq!(
            decode(Coding::Gzip, &compress("gzip", &data), 1 << 20).unwrap(),
            data
        );
        assert_eq!(
            decode(Coding::Deflate, &compress("zlib", &data), 1 << 20).unwrap(),
            data
        );
        assert_eq!(
            decode(Coding::Deflate, &compress("raw", &data), 1 << 20).unwrap(),
            data
        );
        // Two gzip members are one body.
        let mut two = compress("gzip", b"{\"a\":");
        two.extend(compress("gzip", b"1}"));
        assert_eq!(decode(Coding::Gzip, &two, 100).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn the_limit_is_on_the_decoded_size() {
        // Below, at and above the single-pass size.
        for len in [10_000, FIRST_PASS, FIRST_PASS + 1, 300_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            for coding in ["gzip", "zlib", "raw"] {
                let c = if coding == "gzip" {
                    Coding::Gzip
                } else {
                    Coding::Deflate
                };
                let z = compress(coding, &data);
                assert_eq!(decode(c, &z, len).unwrap(), data, "{coding} {len}");
                assert_eq!(decode(c, &z, len + 1).unwrap(), data, "{coding} {len}");
                assert!(
                    matches!(decode(c, &z, len - 1), Err(DecodeError::TooLarge)),
                    "{coding} {len}"
                );
            }
            assert_eq!(decode(Coding::Identity, &data, len).unwrap(), data);
        }
    }

    #[test]
    fn a_bomb_is_refused_before_it_is_decoded_whole() {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            e.write_all(&zeros).unwrap();
        }
        let bomb = e.finish().unwrap();
        assert!(matches!(
            decode(Coding::Gzip, &bomb, 1 << 20),
            Err(DecodeError::TooLarge)
        ));
        // Broken data past the first pass is corrupt, not too large.
        let cut = &bomb[..bomb.len() / 2];
        assert!(matches!(
            decode(Coding::Gzip, cut, 64 << 20),
            Err(DecodeError::Corrupt(_))
        ));
    }

    #[test]
    fn broken_data_is_corrupt() {
        let gz = compress("gzip", b"{\"hello\":\"world\"}");
        for bad in [&b"not gzip at all"[..], &gz[..gz.len() - 4], &gz[..5]] {
            assert!(matches!(
                decode(Coding::Gzip, bad, 1000),
                Err(DecodeError::Corrupt(_))
            ));
        }
        let mut flipped = gz.clone();
        let n = flipped.len();
        flipped[n - 8] ^= 0xff; // the CRC32 trailer
        assert!(matches!(
            decode(Coding::Gzip, &flipped, 1000),
            Err(DecodeError::Corrupt(_))
        ));
    }

    #[test]
    fn gzip_answers_only_when_shorter() {
        let body = br#"{"Items":[{"pk":{"S":"a"}}]}"#.repeat(100);
        let gz = gzip(&body).expect("compresses");
        assert!(gz.len() < body.len() / 5);
        assert_eq!(decode(Coding::Gzip, &gz, body.len()).unwrap(), body);
        assert!(gzip(b"{}").is_none());
    }
}
