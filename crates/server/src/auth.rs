//! Who may call: the HTTP front's use of `ferrodyn_auth`.
//!
//! Two modes. **Open** (no keys configured, or `--no-auth`): as DynamoDB Local does, any
//! access key is accepted and signatures are not checked, but a request must still look
//! signed (DynamoDB answers MissingAuthenticationTokenException to one without an
//! `Authorization` header). **Verified**: every request but the health check must carry a
//! valid SigV4 signature by one of the configured keys ([`Access::authenticate`]); with
//! `--policies`, the signer's IAM-style identity policies and the resource-based policies of
//! the tables and streams it touches must then allow it ([`Access::authorize`]).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use ferrodyn_api::{ApiError, ErrorKind};
use ferrodyn_auth::credentials::KeyStore;
use ferrodyn_auth::policy::{self, Policy, PolicyKind, PolicyStore};
use ferrodyn_auth::requests::{self, ArnBase, KeySchemas};
use ferrodyn_auth::sigv4::{self, AuthError, AuthErrorKind, Principal, Verifier};
use ferrodyn_engine::Engine;
use hyper::header::AUTHORIZATION;
use hyper::http::request::Parts;
use parking_lot::RwLock;

/// `ferrodyn serve`'s authentication options.
#[derive(clap::Args)]
pub struct AuthArgs {
    /// AWS shared-credentials file of the access keys requests must be signed with
    /// (`[profile]` sections of aws_access_key_id, aws_secret_access_key and optionally
    /// aws_session_token). FERRODYN_ACCESS_KEY_ID and FERRODYN_SECRET_ACCESS_KEY (and
    /// FERRODYN_SESSION_TOKEN) add one more key. With no key at all, requests are not
    /// authenticated.
    #[arg(long, value_name = "FILE", help_heading = "Security")]
    pub credentials: Option<PathBuf>,
    /// Accept any access key and check no signature, even with keys configured.
    #[arg(long, help_heading = "Security")]
    pub no_auth: bool,
    /// JSON file of IAM-style identity policies: an object from access key id or profile name
    /// to a list of policy documents (README, "Security"). With it, a request must be allowed
    /// by its signer's policies or the resource-based policy of what it touches; without it,
    /// every valid signature may do everything.
    #[arg(long, value_name = "FILE", help_heading = "Security")]
    pub policies: Option<PathBuf>,
}

/// The keys of `--credentials` and the environment; `None` when requests stay open (no key
/// anywhere, or `--no-auth`). A file that cannot be read or parsed is an error.
pub fn setup(args: &AuthArgs, engine: &Engine) -> Result<Option<Access>, String> {
    if args.no_auth {
        return Ok(None);
    }
    let mut keys = match &args.credentials {
        Some(path) => KeyStore::load(path).map_err(|e| e.to_string())?,
        None => KeyStore::new(),
    };
    keys.extend(KeyStore::from_env().map_err(|e| e.to_string())?);
    if keys.is_empty() {
        if let Some(path) = &args.credentials {
            return Err(format!("{}: no access keys in it", path.display()));
        }
        if args.policies.is_some() {
            return Err(
                "--policies needs access keys to apply to: give --credentials FILE or \
                        FERRODYN_ACCESS_KEY_ID/FERRODYN_SECRET_ACCESS_KEY"
                    .to_owned(),
            );
        }
        return Ok(None);
    }
    let mut access = Access::new(keys);
    if let Some(path) = &args.policies {
        let config = engine.config();
        access.policies = Some(Policies {
            store: PolicyStore::load(path).map_err(|e| e.to_string())?,
            parsed: RwLock::new(HashMap::new()),
            arns: ArnBase::new(&config.region, &config.account_id),
        });
    }
    Ok(Some(access))
}

/// The startup block's `auth` line.
pub fn summary(access: Option<&Access>) -> String {
    match access {
        Some(access) => {
            let n = access.key_count();
            let keys = if n == 1 { "key" } else { "keys" };
            let policies = match &access.policies {
                Some(p) => format!(", IAM-style policies for {} of them", p.store.len()),
                None => String::new(),
            };
            format!("on: requests must be SigV4-signed by one of {n} access {keys}{policies}")
        }
        None => "off: any access key is accepted, signatures are not checked".to_owned(),
    }
}

/// The keys requests are verified against, and the policies they are held to.
pub struct Access {
    verifier: Verifier,
    policies: Option<Policies>,
}

/// Identity policies by key or profile, and the resource-based policies of tables and
/// streams parsed once per document. The engine hands out the same `Arc` of a document until
/// the policy changes, so the cache is keyed by that allocation (held here, so its address
/// is not reused) rather than by hashing a document of up to 20 KB on every request.
struct Policies {
    store: PolicyStore,
    parsed: RwLock<HashMap<usize, (Arc<str>, Arc<Policy>)>>,
    /// This server's region and account, as its ARNs name them.
    arns: ArnBase,
}

/// Parsed resource-based policies kept before the cache is emptied (one per distinct
/// document in use; PutResourcePolicy makes new ones).
const PARSED_POLICY_CACHE_LIMIT: usize = 4096;

impl Policies {
    /// The resource-based policy attached to `arn`'s table or stream, parsed.
    fn resource_policy(&self, engine: &Engine, arn: &str) -> Option<Arc<Policy>> {
        let document = engine.resource_policy(arn)?.document;
        let id = Arc::as_ptr(&document).cast::<u8>() as usize;
        if let Some((_, p)) = self.parsed.read().get(&id) {
            return Some(Arc::clone(p));
        }
        // PutResourcePolicy validated it; one that no longer parses (a stricter parser after
        // an upgrade) allows nothing, and its Deny statements are lost: say so.
        let policy = match Policy::parse(&document, PolicyKind::Resource) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                tracing::warn!(%arn, error = %e.detail(), "resource-based policy ignored");
                return None;
            }
        };
        let mut parsed = self.parsed.write();
        if parsed.len() >= PARSED_POLICY_CACHE_LIMIT {
            parsed.clear();
        }
        parsed.insert(id, (document, Arc::clone(&policy)));
        Some(policy)
    }
}

/// The engine's catalog as the request mapping needs it: partition key names.
struct CatalogKeys<'a>(&'a Engine);

impl KeySchemas for CatalogKeys<'_> {
    fn partition_keys(&self, table: &str, index: Option<&str>) -> Option<Vec<String>> {
        let meta = self.0.table(table).ok()?;
        let schema = match index {
            Some(name) => &meta.index(name)?.key_schema,
            None => &meta.key_schema,
        };
        Some(
            std::iter::once(&schema.hash)
                .chain(&schema.more_hash)
                .map(|k| k.name.clone())
                .collect(),
        )
    }
}

impl Access {
    /// Verifies requests against `keys` (service `dynamodb`, any region).
    pub fn new(keys: KeyStore) -> Self {
        Access {
            verifier: Verifier::new(keys),
            policies: None,
        }
    }

    /// Checks that `principal` may make the request `target` names with this (decoded) body:
    /// every table, index and stream it touches, with the keys and attributes it names, must
    /// be allowed by the principal's identity policies or the resource's own policy, and
    /// denied by neither. A body that is not JSON passes: the API refuses it right after.
    pub fn authorize(
        &self,
        engine: &Engine,
        principal: &Principal,
        target: &str,
        body: &[u8],
    ) -> Result<(), ApiError> {
        let Some(policies) = &self.policies else {
            return Ok(());
        };
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Ok(());
        };
        let operation = target.rsplit_once('.').map_or(target, |(_, op)| op);
        let checks = requests::authorization_requests(
            operation,
            &body,
            &CatalogKeys(engine),
            &policies.arns,
        );
        let caller = policy::Principal::iam_user(
            &policies.arns.account,
            &principal.profile,
            &principal.access_key_id,
        );
        let identity = policies
            .store
            .policies_for(&principal.access_key_id, Some(&principal.profile));
        requests::authorize(
            &checks,
            &caller,
            identity,
            |arn| policies.resource_policy(engine, arn),
            None,
        )
        .map_err(|denied| ApiError::of_kind(ErrorKind::AccessDenied, denied.message()))
    }

    /// How many access keys are configured.
    pub fn key_count(&self) -> usize {
        self.verifier.keys().len()
    }

    /// Whether the request carries any signature at all (an `Authorization` header or a
    /// presigned query): checked before the body is read, so an unsigned request is refused
    /// without reading it.
    pub fn looks_signed(parts: &Parts) -> bool {
        parts.headers.contains_key(AUTHORIZATION)
            || parts
                .uri
                .query()
                .is_some_and(|q| q.contains("X-Amz-Algorithm="))
    }

    /// Checks the signature of a request whose body (as received, still compressed if it was
    /// sent so) has been read.
    pub fn authenticate(&self, parts: &Parts, body: &[u8]) -> Result<Principal, ApiError> {
        let request = sigv4::Request {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            authority: parts.uri.authority().map(|a| a.as_str()),
            body,
        };
        self.verifier
            .verify(&request, SystemTime::now())
            .map_err(refusal)
    }
}

/// DynamoDB's answer to a failed signature check.
fn refusal(e: AuthError) -> ApiError {
    let kind = match e.kind {
        AuthErrorKind::MissingAuthenticationToken => ErrorKind::MissingAuthenticationToken,
        AuthErrorKind::IncompleteSignature => ErrorKind::IncompleteSignature,
        AuthErrorKind::InvalidSignature => ErrorKind::InvalidSignature,
        AuthErrorKind::UnrecognizedClient => ErrorKind::UnrecognizedClient,
    };
    ApiError::of_kind(kind, e.message)
}

/// In open mode: whether the `Authorization` header at least names an access key in a SigV4
/// credential (`AWS4-HMAC-SHA256 Credential=<key>/...`), as every SDK sends it.
pub fn claims_signature(header: &str) -> bool {
    let Some(rest) = header.trim_start().strip_prefix("AWS4-HMAC-SHA256") else {
        return false;
    };
    rest.split(',')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("Credential="))
        .is_some_and(|credential| {
            let mut scope = credential.split('/');
            scope.next().is_some_and(|key| !key.is_empty()) && scope.nth(1).is_some()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_mode_wants_a_sigv4_credential() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";
        assert!(claims_signature(h));
        assert!(!claims_signature("Basic dXNlcjpwYXNz"));
        assert!(!claims_signature("AWS4-HMAC-SHA256 Signature=abc"));
        assert!(!claims_signature("AWS4-HMAC-SHA256 Credential=/x/y"));
        assert!(!claims_signature("AWS4-HMAC-SHA256 Credential=AKID"));
        assert!(!claims_signature(""));
    }

    #[test]
    fn signature_failures_keep_their_kind_and_message() {
        let e = refusal(AuthError {
            kind: AuthErrorKind::UnrecognizedClient,
            message: "The security token included in the request is invalid.".into(),
        });
        assert_eq!(e.kind, ErrorKind::UnrecognizedClient);
        assert_eq!(
            e.message,
            "The security token included in the request is invalid."
        );
    }
}
