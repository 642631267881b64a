//! SigV4 signing of the benchmark's requests.
//!
//! The load generator shares the machine with the server it measures, so every instruction it
//! spends is taken from the server. Signing through the `aws-sigv4` crate cost ~130 000
//! instructions a request (callgrind), most of it deriving the signing key anew each time and
//! building intermediate strings. This signer derives the key once per day (the key only
//! depends on the date, region and service) and writes the canonical request into one buffer.
//! It signs every header the request carries, as the SDKs do for these requests; the tests
//! check it against AWS's published test vector and against `aws-sigv4` itself.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::header::{HeaderName, HeaderValue};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Signs requests for one region and service with one set of credentials.
pub struct Signer {
    access_key: String,
    secret_key: String,
    session_token: Option<HeaderValue>,
    region: String,
    service: String,
    /// The signing key of the day it was derived for (`YYYYMMDD`).
    key: Mutex<Option<(String, [u8; 32])>>,
}

impl Signer {
    pub fn new(
        access_key: &str,
        secret_key: &str,
        session_token: Option<String>,
        region: &str,
        service: &str,
    ) -> Signer {
        Signer {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            session_token: session_token.and_then(|t| HeaderValue::from_str(&t).ok()),
            region: region.to_owned(),
            service: service.to_owned(),
            key: Mutex::new(None),
        }
    }

    /// Signs `req` (whose headers, `Host` included, must already be set) at `time`: adds
    /// `X-Amz-Date`, with a session token `X-Amz-Security-Token`, and `Authorization`.
    pub fn sign_at(
        &self,
        req: &mut http::Request<bytes::Bytes>,
        time: SystemTime,
    ) -> Result<(), String> {
        let stamp = amz_date(time)?;
        let date = &stamp[..8];
        let headers = req.headers_mut();
        headers.insert(
            HeaderName::from_static("x-amz-date"),
            HeaderValue::from_str(&stamp).map_err(|e| e.to_string())?,
        );
        if let Some(token) = &self.session_token {
            headers.insert(
                HeaderName::from_static("x-amz-security-token"),
                token.clone(),
            );
        }

        // Canonical request: method, path, query, headers, signed header list, payload hash.
        let mut names: Vec<&str> = req.headers().keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let mut canonical = String::with_capacity(512);
        canonical.push_str(req.method().as_str());
        canonical.push('\n');
        canonical.push_str(req.uri().path());
        canonical.push('\n');
        canonical.push_str(req.uri().query().unwrap_or(""));
        canonical.push('\n');
        for name in &names {
            canonical.push_str(name);
            canonical.push(':');
            let mut first = true;
            for value in req.headers().get_all(*name) {
                if !first {
                    canonical.push(',');
                }
                first = false;
                let v = value.to_str().map_err(|e| e.to_string())?;
                canonical.push_str(v.trim());
            }
            canonical.push('\n');
        }
        canonical.push('\n');
        let signed_headers = names.join(";");
        canonical.push_str(&signed_headers);
        canonical.push('\n');
        push_hex(&mut canonical, &Sha256::digest(req.body()));

        let scope = format!("{date}/{}/{}/aws4_request", self.region, self.service);
        let mut to_sign = String::with_capacity(160);
        to_sign.push_str("AWS4-HMAC-SHA256\n");
        to_sign.push_str(&stamp);
        to_sign.push('\n');
        to_sign.push_str(&scope);
        to_sign.push('\n');
        push_hex(&mut to_sign, &Sha256::digest(canonical.as_bytes()));

        let key = self.signing_key(date);
        let mut authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature=",
            self.access_key
        );
        push_hex(&mut authorization, &hmac(&key, to_sign.as_bytes()));
        req.headers_mut().insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&authorization).map_err(|e| e.to_string())?,
        );
        Ok(())
    }

    pub fn sign(&self, req: &mut http::Request<bytes::Bytes>) -> Result<(), String> {
        self.sign_at(req, SystemTime::now())
    }

    /// The day's signing key: HMAC chain over date, region, service and "aws4_request".
    fn signing_key(&self, date: &str) -> [u8; 32] {
        let mut cached = self.key.lock();
        if let Some((day, key)) = cached.as_ref() {
            if day == date {
                return *key;
            }
        }
        let secret = format!("AWS4{}", self.secret_key);
        let k_date = hmac(secret.as_bytes(), date.as_bytes());
        let k_region = hmac(&k_date, self.region.as_bytes());
        let k_service = hmac(&k_region, self.service.as_bytes());
        let key = hmac(&k_service, b"aws4_request");
        *cached = Some((date.to_owned(), key));
        key
    }
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
fn amz_date(time: SystemTime) -> Result<String, String> {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    Ok(format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    ))
}

/// Gregorian date of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// AWS's published SigV4 test suite, case `post-vanilla`: `POST /` to
    /// `example.amazonaws.com`, region `us-east-1`, service `service`, 2015-08-30T12:36:00Z.
    #[test]
    fn post_vanilla_test_vector() {
        let signer = Signer::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
            "us-east-1",
            "service",
        );
        let mut req = http::Request::builder()
            .method("POST")
            .uri("/")
            .header("host", "example.amazonaws.com")
            .body(bytes::Bytes::new())
            .unwrap();
        // 2015-08-30T12:36:00Z
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        signer.sign_at(&mut req, time).unwrap();
        assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
        assert_eq!(
            req.headers()["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"
        );
    }

    /// The same DynamoDB request (body, target, content type, session token) signed by this
    /// signer and by `aws-sigv4`, the AWS SDKs' signer, on several days (the key is cached per
    /// day and must follow the date).
    #[test]
    fn signatures_equal_those_of_aws_sigv4() {
        use aws_credential_types::Credentials;
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        use aws_sigv4::sign::v4;
        use aws_smithy_runtime_api::client::identity::Identity;

        let signer = Signer::new(
            "AKID",
            "secret",
            Some("tok".into()),
            "eu-west-1",
            "dynamodb",
        );
        let identity: Identity =
            Credentials::new("AKID", "secret", Some("tok".into()), None, "test").into();
        let body =
            bytes::Bytes::from_static(br#"{"TableName":"t","Key":{"pk":{"S":"caf\u00e9 \"x\""}}}"#);
        for secs in [
            1_440_938_160u64,
            1_440_938_160 + 3_600,
            1_764_115_199,
            1_764_115_200,
        ] {
            let time = UNIX_EPOCH + Duration::from_secs(secs);
            let build = || {
                http::Request::builder()
                    .method("POST")
                    .uri("http://127.0.0.1:8000/")
                    .header("host", "127.0.0.1:8000")
                    .header("content-type", "application/x-amz-json-1.0")
                    .header("x-amz-target", "DynamoDB_20120810.GetItem")
                    .body(body.clone())
                    .unwrap()
            };
            let mut ours = build();
            signer.sign_at(&mut ours, time).unwrap();

            let mut theirs = build();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("eu-west-1")
                .name("dynamodb")
                .time(time)
                .settings(SigningSettings::default())
                .build()
                .unwrap()
                .into();
            let headers: Vec<(String, String)> = theirs
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            let signable = SignableRequest::new(
                "POST",
                theirs.uri().to_string(),
                headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                SignableBody::Bytes(&body),
            )
            .unwrap();
            let (instructions, _) = sign(signable, &params).unwrap().into_parts();
            instructions.apply_to_request_http1x(&mut theirs);

            for h in ["authorization", "x-amz-date", "x-amz-security-token"] {
                assert_eq!(ours.headers()[h], theirs.headers()[h], "{h} at {secs}");
            }
        }
    }

    #[test]
    fn dates_are_utc_calendar_days() {
        let at = |s| amz_date(UNIX_EPOCH + Duration::from_secs(s)).unwrap();
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(951_782_400), "20000229T000000Z");
        assert_eq!(at(1_764_115_199), "20251125T235959Z");
        assert_eq!(at(4_107_542_400), "21000301T000000Z");
    }
}
