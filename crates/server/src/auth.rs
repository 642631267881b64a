//! Reading the caller's identity from a SigV4 `Authorization` header.
//!
//! `AWS4-HMAC-SHA256 Credential=<access key>/<date>/<region>/<service>/aws4_request,
//! SignedHeaders=..., Signature=...`. Signature verification comes with IAM-style auth; for now
//! the header must be present (DynamoDB answers MissingAuthenticationTokenException without it)
//! and its access key and region are read for logging and for later use.

/// What the Authorization header says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The access key id.
    pub access_key: String,
    /// The region the request was signed for.
    pub region: String,
}

/// Parses a SigV4 Authorization header; `None` when it is not one.
pub fn parse_authorization(header: &str) -> Option<Credential> {
    let rest = header.trim_start().strip_prefix("AWS4-HMAC-SHA256")?;
    let credential = rest
        .split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let access_key = scope.next().filter(|s| !s.is_empty())?;
    let _date = scope.next()?;
    let region = scope.next()?;
    Some(Credential {
        access_key: access_key.to_string(),
        region: region.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_access_key_and_region() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        assert_eq!(
            parse_authorization(h),
            Some(Credential {
                access_key: "AKIDEXAMPLE".into(),
                region: "us-east-1".into()
            })
        );
    }

    #[test]
    fn rejects_other_schemes_and_garbage() {
        assert_eq!(parse_authorization("Basic dXNlcjpwYXNz"), None);
        assert_eq!(parse_authorization("AWS4-HMAC-SHA256 Signature=abc"), None);
        assert_eq!(
            parse_authorization("AWS4-HMAC-SHA256 Credential=/x/y"),
            None
        );
        assert_eq!(parse_authorization(""), None);
    }
}
