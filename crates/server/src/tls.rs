//! HTTPS for `ferrodyn serve`: the `--tls-*` options, the certificate and key they name (or a
//! self-signed one made for development), and the [`TlsAcceptor`] every TLS connection goes
//! through.
//!
//! rustls with the ring provider, chosen explicitly rather than as the process default: the
//! test binaries also link the AWS SDK's aws-lc-rs provider, and with two providers built in
//! rustls cannot pick one by itself. TLS 1.3 and 1.2 (older SDKs and the AWS CLI on old
//! OpenSSL still speak only 1.2); ALPN offers `h2` then `http/1.1`, and hyper's auto builder
//! serves whichever the client picked.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// `ferrodyn serve`'s TLS options, shown under their own heading in `--help`.
#[derive(clap::Args, Debug, Default, Clone)]
#[command(group(
    clap::ArgGroup::new("tls_on").args(["tls_cert", "tls_self_signed"])
))]
pub struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (the server's certificate first).
    #[arg(long, value_name = "FILE", requires = "tls_key", help_heading = "TLS")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert: PKCS#8, PKCS#1 (RSA) or SEC1 (EC).
    #[arg(long, value_name = "FILE", requires = "tls_cert", help_heading = "TLS")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a self-signed certificate for development (localhost, 127.0.0.1, ::1
    /// and --bind), kept in <data-dir>/tls/ and reused on restart (a temporary directory with
    /// --in-memory); clients trust its cert.pem (aws --ca-bundle).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"], help_heading = "TLS")]
    pub tls_self_signed: bool,
    /// With TLS on --port, also serve plain HTTP on this port (0 picks a free one).
    #[arg(long, value_name = "PORT", requires = "tls_on", help_heading = "TLS")]
    pub http_port: Option<u16>,
}

/// Why TLS could not be set up; each says which file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} {} is not PEM: {source}", path.display())]
    Pem {
        what: &'static str,
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("--tls-cert {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", .0.display())]
    NoCertificate(PathBuf),
    #[error(
        "--tls-key {} holds no PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)",
        .0.display()
    )]
    NoKey(PathBuf),
    #[error("the key {} does not match the certificate {}", key.display(), cert.display())]
    Mismatch { cert: PathBuf, key: PathBuf },
    #[error("cannot serve the certificate {} with the key {}: {source}", cert.display(), key.display())]
    Rejected {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// HTTPS as set up from [`TlsArgs`]: what accepts connections, and what the startup block says.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub summary: Summary,
    /// The temporary directory of an in-memory server's certificate, removed at exit.
    _temp_dir: Option<tempfile::TempDir>,
}

/// What the startup block says about HTTPS.
pub struct Summary {
    /// The `tls` line: where the certificate and key are.
    pub certificate: String,
    /// The certificate clients must trust (self-signed only), for the `try` line.
    pub ca_bundle: Option<PathBuf>,
}

/// HTTPS as `args` ask, or `None` for plain HTTP. `data_dir` is where a self-signed certificate
/// is kept (`None`: in memory, so in a temporary directory); `bind` is added to its names.
pub fn setup(
    args: &TlsArgs,
    data_dir: Option<&Path>,
    bind: IpAddr,
) -> Result<Option<Tls>, TlsError> {
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let config = server_config(cert, key)?;
        return Ok(Some(Tls {
            acceptor: TlsAcceptor::from(config),
            summary: Summary {
                certificate: format!("certificate {}, key {}", cert.display(), key.display()),
                ca_bundle: None,
            },
            _temp_dir: None,
        }));
    }
    if !args.tls_self_signed {
        return Ok(None);
    }
    let (dir, temp_dir) = match data_dir {
        Some(data_dir) => (data_dir.join("tls"), None),
        None => {
            let temp = tempfile::Builder::new()
                .prefix("ferrodyn-tls-")
                .tempdir()
                .map_err(|source| TlsError::Write {
                    path: std::env::temp_dir(),
                    source,
                })?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let (cert, key, made) = self_signed(&dir, bind)?;
    let config = server_config(&cert, &key)?;
    let how = if made { "made now" } else { "reused" };
    Ok(Some(Tls {
        acceptor: TlsAcceptor::from(config),
        summary: Summary {
            certificate: format!(
                "self-signed ({how}): certificate {}, key {}",
                cert.display(),
                key.display()
            ),
            ca_bundle: Some(cert),
        },
        _temp_dir: temp_dir,
    }))
}

/// The rustls configuration serving `cert_path` with `key_path`: both files read and parsed
/// here, so that a wrong file stops the server at start rather than failing every handshake.
pub fn server_config(cert_path: &Path, key_path: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let certs = read_certificates(cert_path)?;
    let key = read_key(key_path)?;
    let rejected = |source| TlsError::Rejected {
        cert: cert_path.to_path_buf(),
        key: key_path.to_path_buf(),
        source,
    };
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(rejected)?
            .with_no_client_auth()
            // Also checks that the key is the certificate's.
            .with_single_cert(certs, key)
            .map_err(|e| match e {
                rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                    TlsError::Mismatch {
                        cert: cert_path.to_path_buf(),
                        key: key_path.to_path_buf(),
                    }
                }
                other => rejected(other),
            })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Every certificate of a PEM file, in order; other sections (a key kept alongside) are
/// skipped.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read("--tls-cert", path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Pem {
            what: "--tls-cert",
            path: path.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    Ok(certs)
}

/// The first private key of a PEM file, whichever of the three encodings it is in.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read("--tls-key", path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|source| match source {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey(path.to_path_buf()),
        source => TlsError::Pem {
            what: "--tls-key",
            path: path.to_path_buf(),
            source,
        },
    })
}

/// `cert.pem` and `key.pem` in `dir`: the ones already there (so that clients which trust the
/// certificate keep trusting it across restarts), or a new pair. The bool is true when new.
fn self_signed(dir: &Path, bind: IpAddr) -> Result<(PathBuf, PathBuf, bool), TlsError> {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.is_file() && key.is_file() {
        return Ok((cert, key, false));
    }
    let (cert_pem, key_pem) = generate(bind)?;
    create_private_dir(dir)?;
    // The key first: a crash in between leaves no certificate, so the next start makes both.
    // The certificate is public (clients on this machine read it as their CA bundle), the key
    // is this user's alone.
    write_file(&key, key_pem.as_bytes(), 0o600)?;
    write_file(&cert, cert_pem.as_bytes(), 0o644)?;
    Ok((cert, key, true))
}

/// The names a development certificate is valid for: the loopback names every local client
/// uses, and the bound address when it is a specific one.
fn subject_alt_names(bind: IpAddr) -> Vec<String> {
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).into();
    let bound = bind.to_string();
    if !bind.is_unspecified() && !names.contains(&bound) {
        names.push(bound);
    }
    names
}

/// A new self-signed certificate and its key (ECDSA P-256), as PEM.
fn generate(bind: IpAddr) -> Result<(String, String), TlsError> {
    let mut params = rcgen::CertificateParams::new(subject_alt_names(bind))?;
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "ferrodyn development certificate",
    );
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| TlsError::Write {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` with permissions `mode` (on Unix), through a temporary file renamed
/// into place, so that `path` is never half written, nor a key ever readable by others.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    use std::io::Write as _;
    let failed = |source| TlsError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = path.with_extension("pem.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp).map_err(failed)?;
    file.write_all(bytes).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    std::fs::rename(&tmp, path).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn development_certificate_names_loopback_and_a_specific_bind_address() {
        let any = subject_alt_names("0.0.0.0".parse().unwrap());
        assert_eq!(any, ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(subject_alt_names("127.0.0.1".parse().unwrap()), any);
        let lan = subject_alt_names("10.1.2.3".parse().unwrap());
        assert_eq!(lan.last().map(String::as_str), Some("10.1.2.3"));
    }

    #[test]
    fn self_signed_pair_is_made_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let tls = dir.path().join("tls");
        let (cert, key, made) = self_signed(&tls, "127.0.0.1".parse().unwrap()).unwrap();
        assert!(made);
        server_config(&cert, &key).expect("the pair made serves");
        let first = std::fs::read(&cert).unwrap();
        let (_, _, made_again) = self_signed(&tls, "127.0.0.1".parse().unwrap()).unwrap();
        assert!(!made_again);
        assert_eq!(std::fs::read(&cert).unwrap(), first, "the same certificate");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is private: {mode:o}");
        }
    }

    #[test]
    fn wrong_files_are_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let (cert_a, _, _) = self_signed(&dir.path().join("a"), "::1".parse().unwrap()).unwrap();
        let (_, key_b, _) = self_signed(&dir.path().join("b"), "::1".parse().unwrap()).unwrap();
        let mismatch = server_config(&cert_a, &key_b).unwrap_err();
        assert!(matches!(mismatch, TlsError::Mismatch { .. }), "{mismatch}");

        let missing = server_config(&dir.path().join("none.pem"), &key_b).unwrap_err();
        assert!(missing.to_string().contains("none.pem"), "{missing}");

        // A key file given as the certificate, and a certificate given as the key.
        let swapped = server_config(&key_b, &cert_a).unwrap_err();
        assert!(matches!(swapped, TlsError::NoCertificate(_)), "{swapped}");
        let no_key = server_config(&cert_a, &cert_a).unwrap_err();
        assert!(matches!(no_key, TlsError::NoKey(_)), "{no_key}");

        let garbled = dir.path().join("garbled.pem");
        std::fs::write(
            &garbled,
            "-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = server_config(&garbled, &key_b).unwrap_err();
        assert!(matches!(err, TlsError::Pem { .. }), "{err}");
    }
}
