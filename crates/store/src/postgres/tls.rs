//! TLS to the server with rustls, as libpq's `sslmode` and `sslrootcert` ask: `disable` (plain
//! TCP), `prefer` (TLS when the server offers it, the default), `require` (TLS or nothing),
//! `verify-ca` (TLS with a certificate issued by a trusted authority) and `verify-full` (that,
//! and issued for the host name of the URL). `prefer` and `require` check no certificate, as
//! libpq, unless `sslrootcert` is given with `require` (libpq then checks the authority too).

use super::connect::ConnectError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The `sslmode` of a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl std::str::FromStr for SslMode {
    type Err = String;

    fn from_str(s: &str) -> Result<SslMode, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!("sslmode={other}: expected disable, prefer, require, verify-ca or verify-full"))
            }
        })
    }
}

impl SslMode {
    /// What the driver is told: whether TLS is tried, and whether it is a must.
    pub(super) fn driver_mode(self) -> postgres::config::SslMode {
        match self {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => postgres::config::SslMode::Require,
        }
    }
}

/// The TLS connector for a mode and the `sslrootcert` of the URL (a PEM file of authorities'
/// certificates, or `system` for the public authorities built into meter).
pub(super) fn connector(mode: SslMode, root_cert: Option<&str>) -> Result<MakeRustlsConnect, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Tls(e.to_string()))?;
    let checks_authority = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => true,
        SslMode::Require => root_cert.is_some(),
        SslMode::Disable | SslMode::Prefer => false,
    };
    let algorithms = provider.signature_verification_algorithms;
    let config = if !checks_authority {
        let verifier = Lenient { authority: None, algorithms };
        builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
    } else if mode == SslMode::VerifyFull {
        builder.with_root_certificates(roots(mode, root_cert)?).with_no_client_auth()
    } else {
        let authority = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(mode, root_cert)?), provider)
            .build()
            .map_err(|e| ConnectError::Tls(e.to_string()))?;
        let verifier = Lenient { authority: Some(authority), algorithms };
        builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth()
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The trusted authorities named by `sslrootcert`.
fn roots(mode: SslMode, root_cert: Option<&str>) -> Result<RootCertStore, ConnectError> {
    let mut store = RootCertStore::empty();
    match root_cert {
        None => {
            return Err(ConnectError::Url(format!(
                "sslmode={} needs sslrootcert=FILE (the certificates of the authorities to trust, PEM) or \
                 sslrootcert=system",
                if mode == SslMode::VerifyFull { "verify-full" } else { "verify-ca" }
            )))
        }
        Some("system") => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Some(file) => {
            let unreadable = |e: &dyn std::fmt::Display| ConnectError::Tls(format!("sslrootcert {file}: {e}"));
            for cert in CertificateDer::pem_file_iter(file).map_err(|e| unreadable(&e))? {
                store.add(cert.map_err(|e| unreadable(&e))?).map_err(|e| unreadable(&e))?;
            }
            if store.is_empty() {
                return Err(unreadable(&"no certificate in the file"));
            }
        }
    }
    Ok(store)
}

/// The TLS failure among an error's causes, in words.
pub(super) fn error_in(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let tls = e
        .downcast_ref::<rustls::Error>()
        .or_else(|| e.downcast_ref::<std::io::Error>()?.get_ref()?.downcast_ref::<rustls::Error>())?;
    Some(match tls {
        rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate was not issued by an authority of sslrootcert".to_owned()
        }
        other => other.to_string(),
    })
}

/// The certificate checks of `prefer` and `require` (none: encryption without authentication,
/// as libpq) and of `verify-ca` (the authority, not the name the certificate was issued for);
/// either way the server must hold the key of the certificate it sent.
#[derive(Debug)]
struct Lenient {
    /// `verify-ca`'s full check, whose verdict on the name is ignored.
    authority: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(authority) = &self.authority else { return Ok(ServerCertVerified::assertion()) };
        // The name is checked last, once the chain up to a trusted authority holds.
        match authority.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
