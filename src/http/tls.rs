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

/// Certificates of the operating system's trust store, added to the bundled roots of every
/// client (corporate CAs, TLS-inspecting proxies). Read once, lazily, when the first client is
/// built — not at start-up, where parsing `/etc/ssl/certs` delayed the web port by milliseconds.
///
/// The merged root store is built once and shared by every client (a detection and a provider
/// client are built for every run, and each used to parse the whole OS store again), and holds
/// only the OS certificates that are not bundled already (distribution stores are mostly
/// Mozilla's list, which is what is bundled).
#[derive(Clone, Default)]
pub struct OsRoots(Option<Arc<OnceLock<Arc<rustls::RootCertStore>>>>);

impl OsRoots {
    /// The OS trust store, to be read on first use; an absent or unreadable store gives an empty
    /// set, because the bundled roots still work (OpenWrt images often ship no CA bundle).
    pub fn load() -> OsRoots {
        OsRoots(Some(Arc::new(OnceLock::new())))
    }

    /// The bundled roots plus the OS store's extra certificates (read on the first call).
    fn store(&self) -> Arc<rustls::RootCertStore> {
        match &self.0 {
            None => Arc::new(bundled_roots()),
            Some(cell) => cell.get_or_init(|| Arc::new(merged_roots())).clone(),
        }
    }

    /// Number of OS certificates added to the bundled roots (reads the store if it was not
    /// read yet).
    pub fn len(&self) -> usize {
        self.store().roots.len() - webpki_roots::TLS_SERVER_ROOTS.len()
    }

    /// True when the OS store added no certificate.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The bundled Mozilla roots (borrowed from the binary, no copies).
fn bundled_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    roots
}

/// The bundled roots plus every OS certificate that is not one of them (same subject and key).
/// Unparsable OS certificates are skipped: one bad file must not break every request.
fn merged_roots() -> rustls::RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    for err in &found.errors {
        tracing::debug!("skipping part of the system certificate store: {err}");
    }
    let mut os = rustls::RootCertStore::empty();
    os.add_parsable_certificates(found.certs);
    let roots = with_unbundled(os.roots);
    drop(found.errors);
    release_freed_heap();
    roots
}

/// Hands the heap pages freed just now back to the OS. Reading the store allocates a few
/// hundred KB (every certificate file and its parsed form) that is all freed again, but glibc
/// keeps freed pages below the top of the heap resident until something reuses them. Measured
/// (docs/benchmarks.md): about 50 KB of idle heap returned; about 280 KB still stays.
fn release_freed_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory of the C allocator (which Rust's System
    // allocator uses) to the kernel; no live allocation is touched. It takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The bundled roots plus those of `anchors` that are not bundled.
fn with_unbundled(anchors: Vec<rustls::pki_types::TrustAnchor<'static>>) -> rustls::RootCertStore {
    let mut roots = bundled_roots();
    for anchor in anchors {
        let bundled = webpki_roots::TLS_SERVER_ROOTS.iter().any(|b| {
            b.subject == anchor.subject
                && b.subject_public_key_info == anchor.subject_public_key_info
        });
        if !bundled {
            roots.roots.push(anchor);
        }
    }
    roots
}

impl fmt::Debug for OsRoots {
    // Printing every certificate would flood any `{:?}` of the options; and Debug must not
    // trigger the read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_ref().and_then(|c| c.get()) {
            Some(store) => write!(
                f,
                "OsRoots({} certificates)",
                store.roots.len() - webpki_roots::TLS_SERVER_ROOTS.len()
            ),
            None if self.0.is_some() => write!(f, "OsRoots(not read yet)"),
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
            .with_root_certificates(os_roots.store())
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
    fn os_certificates_already_bundled_are_not_added_twice() {
        let bundled = webpki_roots::TLS_SERVER_ROOTS[0].to_owned();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let key = rcgen::KeyPair::generate().unwrap();
        let der = ca.self_signed(&key).unwrap().der().clone();
        let mut own = rustls::RootCertStore::empty();
        own.add(der).unwrap();
        let corporate = own.roots[0].clone();
        let store = with_unbundled(vec![bundled, corporate.clone()]);
        assert_eq!(store.roots.len(), webpki_roots::TLS_SERVER_ROOTS.len() + 1);
        assert_eq!(store.roots.last(), Some(&corporate));
    }

    #[test]
    fn os_roots_debug_is_short() {
        assert_eq!(
            format!("{:?}", OsRoots::default()),
            "OsRoots(0 certificates)"
        );
    }
}
