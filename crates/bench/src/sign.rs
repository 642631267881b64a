//! SigV4 signing of the benchmark's requests, through the `aws-sigv4` crate (the signer the
//! AWS SDKs use), so the requests are accepted by DynamoDB itself.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// Signs requests for one region and service with one set of credentials.
pub struct Signer {
    identity: Identity,
    region: String,
    service: String,
}

impl Signer {
    pub fn new(
        access_key: &str,
        secret_key: &str,
        session_token: Option<String>,
        region: &str,
        service: &str,
    ) -> Signer {
        let creds = Credentials::new(
            access_key,
            secret_key,
            session_token,
            None,
            "ferrodyn-bench",
        );
        Signer {
            identity: creds.into(),
            region: region.to_owned(),
            service: service.to_owned(),
        }
    }

    /// Signs `req` (whose headers, `Host` included, must already be set) at `time`: adds
    /// `Authorization`, `X-Amz-Date` and, with a session token, `X-Amz-Security-Token`.
    pub fn sign_at(
        &self,
        req: &mut http::Request<bytes::Bytes>,
        time: SystemTime,
    ) -> Result<(), String> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name(&self.service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let uri = req.uri().to_string();
        let headers = req
            .headers()
            .iter()
            .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str(), v)));
        let signable = SignableRequest::new(
            req.method().as_str(),
            uri,
            headers,
            SignableBody::Bytes(req.body()),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        instructions.apply_to_request_http1x(req);
        Ok(())
    }

    pub fn sign(&self, req: &mut http::Request<bytes::Bytes>) -> Result<(), String> {
        self.sign_at(req, SystemTime::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

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

    /// A DynamoDB request signs its target and content type too.
    #[test]
    fn dynamodb_request_signs_target_and_content_type() {
        let signer = Signer::new(
            "AKID",
            "secret",
            Some("tok".into()),
            "eu-west-1",
            "dynamodb",
        );
        let mut req = http::Request::builder()
            .method("POST")
            .uri("http://127.0.0.1:8000/")
            .header("host", "127.0.0.1:8000")
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .body(bytes::Bytes::from_static(b"{}"))
            .unwrap();
        signer.sign(&mut req).unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("/eu-west-1/dynamodb/aws4_request"), "{auth}");
        assert!(
            auth.contains(
                "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
            ),
            "{auth}"
        );
        assert_eq!(req.headers()["x-amz-security-token"], "tok");
    }
}
