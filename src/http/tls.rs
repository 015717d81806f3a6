//! TLS client configuration: rustls with the ring provider, the bundled Mozilla roots (plus the
//! OS store when one was loaded), HTTP/1.1 only, and the `-skipVerify` verifier.
//!
//! Not here: anything about sockets or proxies.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::HttpError;

/// The roots every verifying client trusts: the bundled Mozilla roots plus, when loaded, the
/// operating system's trust store (corporate CAs, TLS-inspecting proxies). Built once, lazily,
/// when the first client is built — not at start-up, where parsing `/etc/ssl/certs` delayed the
/// web port by milliseconds — and then shared by every client (clones share it): each client
/// holding its own parsed copy cost ~0.1 MiB per entry in a large config.
#[derive(Clone, Default)]
pub struct OsRoots {
    /// Whether the OS store is read (false: bundled roots only).
    read_os: bool,
    /// The root store, and how many OS certificates went into it.
    store: Arc<OnceLock<(Arc<rustls::RootCertStore>, usize)>>,
}

impl OsRoots {
    /// The OS trust store, to be read on first use; an absent or unreadable store gives an empty
    /// set, because the bundled roots still work (OpenWrt images often ship no CA bundle).
    pub fn load() -> OsRoots {
        OsRoots {
            read_os: true,
            store: Arc::default(),
        }
    }

    fn store(&self) -> &(Arc<rustls::RootCertStore>, usize) {
        self.store.get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let mut added = 0;
            if self.read_os {
                let found = rustls_native_certs::load_native_certs();
                for err in &found.errors {
                    tracing::debug!("skipping part of the system certificate store: {err}");
                }
                // Unparsable OS certificates are skipped: one bad file must not break every
                // request.
                (added, _) = roots.add_parsable_certificates(found.certs);
            }
            (Arc::new(roots), added)
        })
    }

    /// Number of OS certificates held (reads the store if it was not read yet).
    pub fn len(&self) -> usize {
        self.store().1
    }

    /// True when no OS certificate was loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for OsRoots {
    // Printing every certificate would flood any `{:?}` of the options; and Debug must not
    // trigger the read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.store.get() {
            Some((_, n)) => write!(f, "OsRoots({n} certificates)"),
            None if self.read_os => write!(f, "OsRoots(not read yet)"),
            None => write!(f, "OsRoots(0 certificates)"),
        }
    }
}

/// Builds the rustls configuration shared by every client.
pub(super) fn client_config(
    skip_verify: bool,
    os_roots: &OsRoots,
) -> Result<rustls::ClientConfig, HttpError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| HttpError(format!("TLS setup failed: {e}")))?;
    let mut config = if skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert {
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth()
    } else {
        builder
            .with_root_certificates(Arc::clone(&os_roots.store().0))
            .with_no_client_auth()
    };
    // HTTP/2 is compiled out of reqwest; offering only http/1.1 keeps servers from choosing h2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// `-skipVerify`: accepts any certificate chain and name, but still checks that the server
/// holds the key of the certificate it sent (handshake signatures), so the connection is at
/// cannot be replayed from a recorded handshake.
#[derive(Debug)]
struct AcceptAnyCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AcceptAnyCert {
    #[cfg(test)]
    fn new(provider: &rustls::crypto::CryptoProvider) -> Self {
        AcceptAnyCert {
            algorithms: provider.signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
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

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_config_offers_only_http1_and_has_roots() {
        let config = client_config(false, &OsRoots::default()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn skip_verify_accepts_any_chain_and_offers_ring_schemes() {
        let provider = rustls::crypto::ring::default_provider();
        let verifier = AcceptAnyCert::new(&provider);
        let cert = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let name = ServerName::try_from("example.test").unwrap();
        assert!(
            verifier
                .verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
                .is_ok()
        );
        // The schemes offered are exactly ring's, so handshake signatures are still checked.
        assert_eq!(
            verifier.supported_verify_schemes(),
            provider
                .signature_verification_algorithms
                .supported_schemes()
        );
    }

    #[test]
    fn clients_share_one_root_store() {
        let roots = OsRoots::default();
        let clone = roots.clone();
        client_config(false, &roots).unwrap();
        client_config(false, &clone).unwrap();
        let (a, b) = (roots.store(), clone.store());
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a.0.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        assert_eq!(roots.len(), 0, "the OS store is read only by load()");
    }

    #[test]
    fn os_roots_debug_is_short() {
        assert_eq!(
            format!("{:?}", OsRoots::default()),
            "OsRoots(0 certificates)"
        );
    }
}
