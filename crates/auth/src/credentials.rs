//! Access keys: the secrets SigV4 signatures are checked against.
//!
//! Keys come from an AWS shared-credentials file (the `~/.aws/credentials` format, so a user
//! can point ferrodyn at the same file their SDKs read) and from the environment. The file
//! format follows the AWS SDKs' profile-file rules:
//!
//! ```text
//! # a comment            ; also a comment
//! [default]              # a comment after a section header
//! aws_access_key_id = AKIDEXAMPLE
//! aws_secret_access_key=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
//! aws_session_token = FQoGZXIvYXdzE...   # optional
//! region = us-east-1     # keys ferrodyn does not use are ignored
//! ```
//!
//! - Property names are case-insensitive, whitespace around `=` is ignored.
//! - In a property line a `#` or `;` starts a comment only after whitespace, as in the SDKs:
//!   secrets are base64 and may not contain spaces, so `key = abc;def` keeps its `;`.
//! - An indented line continues the property above it (the SDKs' sub-properties such as
//!   `s3 =` followed by `  max_concurrent_requests = 10`); ferrodyn's three properties are
//!   single-line, so continuation lines are skipped. An indented line under no property
//!   (say, an indented `[profile]` header) is an error rather than silently ignored.
//! - `[profile name]` is read as `[name]`: the credentials file has no `profile ` prefix, but
//!   a section copied from `~/.aws/config` should not silently become a profile nobody names.
//! - A profile that appears twice is merged, later properties winning.
//!
//! A profile with an access key id but no secret (or the reverse) is an error naming the
//! profile and the line of its header: a half-configured key is a mistake, not something to
//! skip. Profiles with neither (e.g. a `[default]` holding only `region`) are ignored.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The profile name given to the key read from `FERRODYN_*` environment variables.
pub const ENV_PROFILE: &str = "env";
/// Environment variable holding the access key id of [`KeyStore::from_env`].
pub const ENV_ACCESS_KEY_ID: &str = "FERRODYN_ACCESS_KEY_ID";
/// Environment variable holding the secret access key of [`KeyStore::from_env`].
pub const ENV_SECRET_ACCESS_KEY: &str = "FERRODYN_SECRET_ACCESS_KEY";
/// Environment variable holding the optional session token of [`KeyStore::from_env`].
pub const ENV_SESSION_TOKEN: &str = "FERRODYN_SESSION_TOKEN";

const ACCESS_KEY_ID: &str = "aws_access_key_id";
const SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
const SESSION_TOKEN: &str = "aws_session_token";

/// One access key and what a request signed with it must also carry.
#[derive(Clone, PartialEq, Eq)]
pub struct Key {
    /// The access key id a request names in its credential scope.
    pub access_key_id: String,
    /// The secret the signing key is derived from.
    pub secret_access_key: String,
    /// When set, requests signed with this key must carry this `X-Amz-Security-Token`, as
    /// requests signed with temporary AWS credentials do.
    pub session_token: Option<String>,
    /// Where the key came from: the credentials-file profile, or [`ENV_PROFILE`].
    pub profile: String,
}

/// Secrets stay out of logs: `{:?}` shows the key id and profile only.
impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("profile", &self.profile)
            .finish()
    }
}

/// Why keys could not be read. Each message says where to look (file and line, or variable).
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The credentials file could not be read.
    #[error("cannot read credentials file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A line is not a section header, a `name = value` property, a comment or blank.
    #[error("{origin}:{line}: {problem}")]
    Syntax {
        /// The file (or `credentials` for text parsed from memory).
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what was expected.
        problem: String,
    },
    /// A profile has one of the access key id and the secret but not the other.
    #[error("{origin}:{line}: profile [{profile}] sets {present} but not {missing}")]
    IncompleteProfile {
        /// The file.
        origin: String,
        /// The profile's section header line.
        line: usize,
        /// The profile.
        profile: String,
        /// The property that is there.
        present: &'static str,
        /// The property that is missing.
        missing: &'static str,
    },
    /// Two profiles name the same access key id with different secrets or tokens, so a
    /// request signed with it could not be checked unambiguously.
    #[error(
        "{origin}:{line}: profile [{profile}] uses access key id {access_key_id}, already \
         used with a different secret or session token by profile [{other_profile}]"
    )]
    ConflictingKey {
        /// The file.
        origin: String,
        /// The second profile's section header line.
        line: usize,
        /// The second profile.
        profile: String,
        /// The first profile.
        other_profile: String,
        /// The repeated access key id.
        access_key_id: String,
    },
    /// The `FERRODYN_*` variables are set inconsistently.
    #[error("{0}")]
    Environment(String),
}

/// Access keys by access key id.
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    keys: HashMap<String, Key>,
}

impl KeyStore {
    /// An empty store: every signed request is then refused as an unknown key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a shared-credentials file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| CredentialsError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        parse_profiles(&text, &path.display().to_string())
    }

    /// Parses shared-credentials text; errors name the origin `credentials`.
    pub fn parse(text: &str) -> Result<Self, CredentialsError> {
        parse_profiles(text, "credentials")
    }

    /// The key named by `FERRODYN_ACCESS_KEY_ID` / `FERRODYN_SECRET_ACCESS_KEY` (and
    /// optionally `FERRODYN_SESSION_TOKEN`), with profile [`ENV_PROFILE`]; an empty store when
    /// neither is set.
    pub fn from_env() -> Result<Self, CredentialsError> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`KeyStore::from_env`] reading variables through `lookup`, so that tests need not touch
    /// the process environment. Empty values count as unset.
    pub fn from_env_with(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, CredentialsError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let id = get(ENV_ACCESS_KEY_ID);
        let secret = get(ENV_SECRET_ACCESS_KEY);
        let token = get(ENV_SESSION_TOKEN);
        let mut store = Self::new();
        match (id, secret) {
            (Some(id), Some(secret)) => {
                store.add(Key {
                    access_key_id: id.trim().to_owned(),
                    secret_access_key: secret.trim().to_owned(),
                    session_token: token.map(|t| t.trim().to_owned()),
                    profile: ENV_PROFILE.to_owned(),
                });
            }
            (Some(_), None) => {
                return Err(env_pair_error(ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY))
            }
            (None, Some(_)) => {
                return Err(env_pair_error(ENV_SECRET_ACCESS_KEY, ENV_ACCESS_KEY_ID))
            }
            (None, None) if token.is_some() => {
                return Err(CredentialsError::Environment(format!(
                    "{ENV_SESSION_TOKEN} is set but {ENV_ACCESS_KEY_ID} and \
                     {ENV_SECRET_ACCESS_KEY} are not: set all three, or unset it"
                )))
            }
            (None, None) => {}
        }
        Ok(store)
    }

    /// Adds a key, replacing (and returning) any key with the same access key id.
    pub fn add(&mut self, key: Key) -> Option<Key> {
        self.keys.insert(key.access_key_id.clone(), key)
    }

    /// Adds every key of `other`, its keys replacing ours on equal access key ids.
    pub fn extend(&mut self, other: KeyStore) {
        self.keys.extend(other.keys);
    }

    /// The key with this access key id.
    pub fn get(&self, access_key_id: &str) -> Option<&Key> {
        self.keys.get(access_key_id)
    }

    /// How many keys there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Key> {
        self.keys.values()
    }
}

fn env_pair_error(set: &str, unset: &str) -> CredentialsError {
    CredentialsError::Environment(format!(
        "{set} is set but {unset} is not: set both (or neither)"
    ))
}

/// One `[profile]` section as read so far.
#[derive(Default)]
struct Section {
    /// Line of the section's first header.
    line: usize,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
}

/// Reads every section, then turns the complete ones into keys (in file order, so that
/// errors about conflicting keys name the later profile).
fn parse_profiles(text: &str, origin: &str) -> Result<KeyStore, CredentialsError> {
    let mut order: Vec<String> = Vec::new();
    let mut sections: HashMap<String, Section> = HashMap::new();
    let mut current: Option<String> = None;
    // Whether the line above was a property, which an indented line may continue.
    let mut in_property = false;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let syntax = |problem: String| CredentialsError::Syntax {
            origin: origin.to_owned(),
            line,
            problem,
        };
        match classify(raw).map_err(syntax)? {
            Line::Blank => {}
            Line::Continuation if in_property => {}
            Line::Continuation => {
                return Err(syntax(
                    "indented line that continues no property: section headers and \
                     properties start at the beginning of the line"
                        .to_owned(),
                ))
            }
            Line::Header(name) => {
                in_property = false;
                if !sections.contains_key(name) {
                    order.push(name.to_owned());
                    sections.insert(
                        name.to_owned(),
                        Section {
                            line,
                            ..Section::default()
                        },
                    );
                }
                current = Some(name.to_owned());
            }
            Line::Property(name, value) => {
                let Some(section) = current.as_ref().and_then(|p| sections.get_mut(p)) else {
                    return Err(syntax(format!(
                        "property '{name}' before any [profile] header"
                    )));
                };
                set_property(section, &name, value);
                in_property = true;
            }
        }
    }
    let mut store = KeyStore::new();
    for profile in order {
        if let Some(section) = sections.remove(&profile) {
            let line = section.line;
            if let Some(key) = section_key(origin, &profile, section)? {
                add_checked(&mut store, origin, key, line)?;
            }
        }
    }
    Ok(store)
}

/// Adds `key`, refusing a second profile that reuses an access key id with other secrets.
fn add_checked(
    store: &mut KeyStore,
    origin: &str,
    key: Key,
    line: usize,
) -> Result<(), CredentialsError> {
    if let Some(existing) = store.get(&key.access_key_id) {
        let same = existing.secret_access_key == key.secret_access_key
            && existing.session_token == key.session_token;
        if same {
            return Ok(());
        }
        return Err(CredentialsError::ConflictingKey {
            origin: origin.to_owned(),
            line,
            profile: key.profile,
            other_profile: existing.profile.clone(),
            access_key_id: key.access_key_id,
        });
    }
    store.add(key);
    Ok(())
}

fn set_property(section: &mut Section, name: &str, value: &str) {
    let slot = match name {
        ACCESS_KEY_ID => &mut section.access_key_id,
        SECRET_ACCESS_KEY => &mut section.secret_access_key,
        SESSION_TOKEN => &mut section.session_token,
        _ => return,
    };
    *slot = Some(value.to_owned()).filter(|v| !v.is_empty());
}

/// The key a finished section defines, if any.
fn section_key(
    origin: &str,
    profile: &str,
    section: Section,
) -> Result<Option<Key>, CredentialsError> {
    let incomplete = |present, missing| CredentialsError::IncompleteProfile {
        origin: origin.to_owned(),
        line: section.line,
        profile: profile.to_owned(),
        present,
        missing,
    };
    match (section.access_key_id, section.secret_access_key) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Key {
            access_key_id,
            secret_access_key,
            session_token: section.session_token,
            profile: profile.to_owned(),
        })),
        (Some(_), None) => Err(incomplete(ACCESS_KEY_ID, SECRET_ACCESS_KEY)),
        (None, Some(_)) => Err(incomplete(SECRET_ACCESS_KEY, ACCESS_KEY_ID)),
        (None, None) if section.session_token.is_some() => {
            Err(incomplete(SESSION_TOKEN, ACCESS_KEY_ID))
        }
        (None, None) => Ok(None),
    }
}

/// What one line of the file is.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Blank,
    Continuation,
    Header(&'a str),
    /// A lower-cased property name and its value.
    Property(String, &'a str),
}

/// Classifies a line; the error says what is wrong with it.
fn classify(raw: &str) -> Result<Line<'_>, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
        return Ok(Line::Blank);
    }
    if raw.starts_with([' ', '\t']) {
        return Ok(Line::Continuation);
    }
    if trimmed.starts_with('[') {
        return header(trimmed).map(Line::Header);
    }
    property(trimmed).map(|(name, value)| Line::Property(name, value))
}

/// `[name]`, `[ name ]` or `[profile name]`, with an optional comment after `]`.
fn header(line: &str) -> Result<&str, String> {
    let inner = line
        .strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .filter(|(_, after)| {
            let after = after.trim();
            after.is_empty() || after.starts_with(['#', ';'])
        })
        .map(|(inner, _)| inner.trim())
        .ok_or_else(|| format!("expected a section header like [default], found '{line}'"))?;
    let name = match inner.strip_prefix("profile") {
        Some(rest) if rest.starts_with([' ', '\t']) => rest.trim(),
        _ => inner,
    };
    if name.is_empty() {
        return Err("empty profile name in section header".to_owned());
    }
    Ok(name)
}

/// `name = value`, without a trailing comment (`#` or `;` after whitespace).
fn property(line: &str) -> Result<(String, &str), String> {
    let line = strip_trailing_comment(line);
    let (name, value) = line.split_once('=').ok_or_else(|| {
        format!("expected 'name = value' (or a [profile] header), found '{line}'")
    })?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("property without a name: '{line}'"));
    }
    Ok((name.to_ascii_lowercase(), value.trim()))
}

fn strip_trailing_comment(line: &str) -> &str {
    let mut previous_was_space = false;
    for (index, c) in line.char_indices() {
        if previous_was_space && (c == '#' || c == ';') {
            return line[..index].trim_end();
        }
        previous_was_space = c.is_whitespace();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(store: &'a KeyStore, id: &str) -> &'a Key {
        store
            .get(id)
            .unwrap_or_else(|| panic!("no key {id} in {store:?}"))
    }

    #[test]
    fn reads_profiles_with_comments_whitespace_and_unknown_keys() {
        let text = "\
# leading comment
; another

[default] # the default profile
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
region = us-east-1
s3 =
  max_concurrent_requests = 10

[ci]
AWS_Access_Key_ID   =   AKIDCI   ; inline comment
aws_secret_access_key\t=\tsecret;with;semicolons
aws_session_token = token#not-a-comment # a comment
";
        let store = KeyStore::parse(text).unwrap();
        assert_eq!(store.len(), 2);
        let default = key(&store, "AKIDEXAMPLE");
        assert_eq!(
            default.secret_access_key,
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        );
        assert_eq!(default.session_token, None);
        assert_eq!(default.profile, "default");
        let ci = key(&store, "AKIDCI");
        assert_eq!(ci.secret_access_key, "secret;with;semicolons");
        assert_eq!(ci.session_token.as_deref(), Some("token#not-a-comment"));
        assert_eq!(ci.profile, "ci");
    }

    #[test]
    fn profile_prefix_and_repeated_sections_merge() {
        let text = "\
[profile dev]
aws_access_key_id = AKIDDEV
[other]
region = eu-west-1
[dev]
aws_secret_access_key = s3cret
";
        let store = KeyStore::parse(text).unwrap();
        assert_eq!(store.len(), 1);
        assert_eq!(key(&store, "AKIDDEV").secret_access_key, "s3cret");
        assert_eq!(key(&store, "AKIDDEV").profile, "dev");
    }

    #[test]
    fn profile_without_secret_is_an_error_naming_profile_and_line() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = s\n\n[broken]\naws_access_key_id = B\n";
        let err = KeyStore::parse(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:5: profile [broken] sets aws_access_key_id but not aws_secret_access_key"
        );
    }

    #[test]
    fn profile_without_key_id_is_an_error() {
        let err = KeyStore::parse("[x]\naws_secret_access_key = s\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:1: profile [x] sets aws_secret_access_key but not aws_access_key_id"
        );
        let err = KeyStore::parse("[x]\naws_session_token = t\n").unwrap_err();
        assert!(err
            .to_string()
            .contains("sets aws_session_token but not aws_access_key_id"));
    }

    #[test]
    fn empty_values_count_as_missing() {
        let err =
            KeyStore::parse("[x]\naws_access_key_id = A\naws_secret_access_key =\n").unwrap_err();
        assert!(
            matches!(err, CredentialsError::IncompleteProfile { .. }),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let err = KeyStore::parse("[a]\naws_access_key_id A\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:2: expected 'name = value' (or a [profile] header), found 'aws_access_key_id A'"
        );
        let err = KeyStore::parse("aws_access_key_id = A\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:1: property 'aws_access_key_id' before any [profile] header"
        );
        let err = KeyStore::parse("[a\n").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("credentials:1: expected a section header"));
        let err = KeyStore::parse("[a] junk\n").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("credentials:1: expected a section header"));
        let err = KeyStore::parse("[ ]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:1: empty profile name in section header"
        );
        let err = KeyStore::parse("[a]\n= x\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:2: property without a name: '= x'"
        );
    }

    #[test]
    fn indented_lines_must_continue_a_property() {
        let err = KeyStore::parse("[a]\n  [b]\naws_access_key_id = A\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:2: indented line that continues no property: section headers and \
             properties start at the beginning of the line"
        );
        let err = KeyStore::parse("  aws_access_key_id = A\n").unwrap_err();
        assert!(
            matches!(err, CredentialsError::Syntax { line: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn byte_order_mark_and_crlf_line_ends_are_accepted() {
        let text = "\u{feff}[default]\r\naws_access_key_id = A\r\naws_secret_access_key = s\r\n";
        let store = KeyStore::parse(text).unwrap();
        assert_eq!(key(&store, "A").secret_access_key, "s");
    }

    #[test]
    fn conflicting_profiles_for_one_key_id_are_refused() {
        let text = "[a]\naws_access_key_id = K\naws_secret_access_key = one\n[b]\naws_access_key_id = K\naws_secret_access_key = two\n";
        let err = KeyStore::parse(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "credentials:4: profile [b] uses access key id K, already used with a different \
             secret or session token by profile [a]"
        );
        let same = "[a]\naws_access_key_id = K\naws_secret_access_key = one\n[b]\naws_access_key_id = K\naws_secret_access_key = one\n";
        let store = KeyStore::parse(same).unwrap();
        assert_eq!(key(&store, "K").profile, "a");
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_errors() {
        let dir = std::env::temp_dir().join(format!("ferrodyn-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(
            &path,
            "[default]\naws_access_key_id = A\naws_secret_access_key = s\n",
        )
        .unwrap();
        let store = KeyStore::load(&path).unwrap();
        assert_eq!(key(&store, "A").secret_access_key, "s");

        std::fs::write(&path, "[default]\naws_access_key_id = A\n").unwrap();
        let err = KeyStore::load(&path).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}:1: profile [default]", path.display())),
            "{err}"
        );

        let missing = dir.join("nope");
        let err = KeyStore::load(&missing).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "cannot read credentials file {}",
                missing.display()
            )),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn env_key_has_the_env_profile() {
        let store = KeyStore::from_env_with(env(&[
            (ENV_ACCESS_KEY_ID, "AKIDENV"),
            (ENV_SECRET_ACCESS_KEY, "secret"),
            (ENV_SESSION_TOKEN, "tok"),
        ]))
        .unwrap();
        let k = key(&store, "AKIDENV");
        assert_eq!(k.secret_access_key, "secret");
        assert_eq!(k.session_token.as_deref(), Some("tok"));
        assert_eq!(k.profile, ENV_PROFILE);
    }

    #[test]
    fn env_without_variables_is_empty_and_half_set_is_an_error() {
        assert!(KeyStore::from_env_with(env(&[])).unwrap().is_empty());
        assert!(KeyStore::from_env_with(env(&[(ENV_ACCESS_KEY_ID, "")]))
            .unwrap()
            .is_empty());
        let err = KeyStore::from_env_with(env(&[(ENV_ACCESS_KEY_ID, "A")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "FERRODYN_ACCESS_KEY_ID is set but FERRODYN_SECRET_ACCESS_KEY is not: set both (or neither)"
        );
        let err = KeyStore::from_env_with(env(&[(ENV_SECRET_ACCESS_KEY, "s")])).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("FERRODYN_SECRET_ACCESS_KEY is set"));
        let err = KeyStore::from_env_with(env(&[(ENV_SESSION_TOKEN, "t")])).unwrap_err();
        assert!(err.to_string().starts_with("FERRODYN_SESSION_TOKEN is set"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let k = Key {
            access_key_id: "A".into(),
            secret_access_key: "very-secret".into(),
            session_token: Some("tok-secret".into()),
            profile: "p".into(),
        };
        let shown = format!("{k:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("tok-secret"),
            "{shown}"
        );
        assert!(shown.contains("\"A\""));
    }

    #[test]
    fn add_replaces_and_extend_merges() {
        let mut store = KeyStore::new();
        let k = |secret: &str| Key {
            access_key_id: "A".into(),
            secret_access_key: secret.into(),
            session_token: None,
            profile: "p".into(),
        };
        assert!(store.add(k("one")).is_none());
        assert_eq!(
            store.add(k("two")).map(|old| old.secret_access_key),
            Some("one".into())
        );
        let mut other = KeyStore::new();
        other.add(Key {
            access_key_id: "B".into(),
            ..k("three")
        });
        store.extend(other);
        assert_eq!(store.len(), 2);
        assert_eq!(store.iter().count(), 2);
    }
}
