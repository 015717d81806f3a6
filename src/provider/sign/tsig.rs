//! TSIG (RFC 8945): signing DNS requests and verifying the signed answers with a shared HMAC
//! key, as BIND's `tsig-keygen` keys and `nsupdate -k` use them.
//!
//! Pure functions over wire bytes, no I/O: [`sign`] appends the TSIG RR to an encoded message
//! and returns the request MAC; [`verify_response`] checks an answer's TSIG RR against that
//! request MAC (RFC 8945 §4.3.1, §5.3). Message building and parsing are hickory-proto's; only
//! the MAC input and the checks live here.
//!
//! Not here: which messages to send or what the RCODEs mean to a provider (`rfc2136`).

use base64::Engine as _;
use hickory_proto::op::Header;
use hickory_proto::op::Query;
use hickory_proto::rr::rdata::tsig::{TSIG, TsigAlgorithm, make_tsig_record};
use hickory_proto::rr::{Name, RData, Record};
use hickory_proto::serialize::binary::{
    BinDecodable, BinDecoder, BinEncodable, BinEncoder, NameEncoding,
};
use hmac::{Hmac, Mac};

/// Seconds of clock difference either side accepted (RFC 8945 §10 recommends 300).
pub const FUDGE: u16 = 300;

/// The HMAC algorithms a key may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `hmac-md5` (`HMAC-MD5.SIG-ALG.REG.INT`), still found in old BIND configs.
    HmacMd5,
    /// `hmac-sha1`.
    HmacSha1,
    /// `hmac-sha256` (tsig-keygen's default).
    HmacSha256,
    /// `hmac-sha384`.
    HmacSha384,
    /// `hmac-sha512`.
    HmacSha512,
}

impl Algorithm {
    /// The algorithm named as in BIND's `algorithm` clause (case-insensitive).
    pub fn parse(s: &str) -> Option<Algorithm> {
        match s.trim().to_ascii_lowercase().trim_end_matches('.') {
            "hmac-md5" | "hmac-md5.sig-alg.reg.int" => Some(Algorithm::HmacMd5),
            "hmac-sha1" => Some(Algorithm::HmacSha1),
            "hmac-sha256" => Some(Algorithm::HmacSha256),
            "hmac-sha384" => Some(Algorithm::HmacSha384),
            "hmac-sha512" => Some(Algorithm::HmacSha512),
            _ => None,
        }
    }

    /// The algorithm as written in the TSIG RR.
    pub fn wire(self) -> TsigAlgorithm {
        match self {
            Algorithm::HmacMd5 => TsigAlgorithm::HmacMd5,
            Algorithm::HmacSha1 => TsigAlgorithm::HmacSha1,
            Algorithm::HmacSha256 => TsigAlgorithm::HmacSha256,
            Algorithm::HmacSha384 => TsigAlgorithm::HmacSha384,
            Algorithm::HmacSha512 => TsigAlgorithm::HmacSha512,
        }
    }

    /// The algorithm named in a received TSIG RR. By name, case-insensitively: BIND writes
    /// `hmac-md5.sig-alg.reg.int.` in lower case, which hickory's exact match does not know.
    fn of_wire(a: &TsigAlgorithm) -> Option<Algorithm> {
        Algorithm::parse(&a.to_name().to_ascii())
    }

    /// HMAC of `data` under `key`.
    pub fn mac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            // HMAC takes keys of any length, so new_from_slice cannot fail here.
            match <M as hmac::digest::KeyInit>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
        match self {
            Algorithm::HmacMd5 => run::<Hmac<md5::Md5>>(key, data),
            Algorithm::HmacSha1 => run::<Hmac<sha1::Sha1>>(key, data),
            Algorithm::HmacSha256 => run::<Hmac<sha2::Sha256>>(key, data),
            Algorithm::HmacSha384 => run::<Hmac<sha2::Sha384>>(key, data),
            Algorithm::HmacSha512 => run::<Hmac<sha2::Sha512>>(key, data),
        }
    }

    /// Constant-time comparison of `tag` with the HMAC of `data`.
    fn verify(self, key: &[u8], data: &[u8], tag: &[u8]) -> bool {
        let want = self.mac(key, data);
        !want.is_empty()
            && want.len() == tag.len()
            && want.iter().zip(tag).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// A TSIG key: its name, algorithm and secret.
#[derive(Clone)]
pub struct Key {
    /// Key name as the server knows it (`key "ddns-key" { … }`).
    pub name: Name,
    /// HMAC algorithm.
    pub algorithm: Algorithm,
    secret: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("Key")
            .field("name", &self.name)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// Why a key from the config cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key name is empty or not a domain name.
    #[error(
        "the TSIG key name \"{0}\" is not a valid DNS name; put the key's name in the ID field"
    )]
    BadName(String),
    /// The secret is not `algorithm:base64`.
    #[error(
        "the secret must be algorithm:base64-key, e.g. hmac-sha256:c2VjcmV0… (algorithms: \
         hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha1, hmac-md5)"
    )]
    BadSecret,
    /// The algorithm is unknown.
    #[error(
        "unknown TSIG algorithm \"{0}\"; use hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha1 \
         or hmac-md5"
    )]
    BadAlgorithm(String),
    /// The key is not valid base64.
    #[error("the TSIG key is not valid base64; copy the secret line of the key file exactly")]
    BadBase64,
}

impl Key {
    /// A key named `name` from a `algorithm:base64` secret.
    pub fn parse(name: &str, secret: &str) -> Result<Key, KeyError> {
        let name_s = name.trim();
        let parsed = Name::from_ascii(name_s)
            .ok()
            .filter(|n| !name_s.is_empty() && !n.is_root());
        let Some(mut key_name) = parsed else {
            return Err(KeyError::BadName(name_s.to_string()));
        };
        key_name.set_fqdn(true);
        let (alg, b64) = secret.trim().split_once(':').ok_or(KeyError::BadSecret)?;
        let algorithm =
            Algorithm::parse(alg).ok_or_else(|| KeyError::BadAlgorithm(alg.trim().to_string()))?;
        let secret = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| KeyError::BadBase64)?;
        if secret.is_empty() {
            return Err(KeyError::BadBase64);
        }
        Ok(Key {
            name: key_name,
            algorithm,
            secret,
        })
    }
}

/// Why an answer was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The answer carries no TSIG RR.
    #[error("the answer is not signed")]
    Unsigned,
    /// The answer cannot be parsed.
    #[error("the answer is malformed ({0})")]
    Malformed(String),
    /// The server reported a TSIG error (BADSIG, BADKEY, BADTIME, …) for our request.
    #[error("the server rejected the request's signature ({})", tsig_error_name(*.0))]
    Server(u16),
    /// The answer is signed with another key or algorithm.
    #[error("the answer is signed with another key")]
    OtherKey,
    /// The MAC does not match.
    #[error("the answer's signature is wrong")]
    BadMac,
    /// The signature time is outside the fudge window.
    #[error("the answer's signature time is {0}s away from this machine's clock")]
    Time(i64),
}

/// The mnemonic of a TSIG error code.
pub fn tsig_error_name(code: u16) -> String {
    match code {
        16 => "BADSIG".into(),
        17 => "BADKEY".into(),
        18 => "BADTIME".into(),
        22 => "BADTRUNC".into(),
        c => format!("TSIG error {c}"),
    }
}

/// The TSIG variables and message prefix in MAC order (RFC 8945 §4.3.3).
fn mac_input(prefix: &[u8], message: &[u8], tsig: &TSIG, key_name: &Name) -> Option<Vec<u8>> {
    let mut vars = Vec::with_capacity(64);
    let mut enc = BinEncoder::new(&mut vars);
    tsig.emit_tsig_for_mac(&mut enc, key_name).ok()?;
    let mut out = Vec::with_capacity(prefix.len() + message.len() + vars.len());
    out.extend_from_slice(prefix);
    out.extend_from_slice(message);
    out.extend_from_slice(&vars);
    Some(out)
}

/// The TSIG RR (with `tsig` as RDATA) in wire format, names uncompressed so it can be appended.
fn encode_rr(key_name: &Name, tsig: TSIG) -> Option<Vec<u8>> {
    let record = make_tsig_record(key_name.clone(), tsig);
    let mut out = Vec::with_capacity(128);
    let mut enc = BinEncoder::new(&mut out);
    enc.set_name_encoding(NameEncoding::Uncompressed);
    record.emit(&mut enc).ok()?;
    Some(out)
}

/// Signs `message` (a complete wire message without TSIG) at unix time `now`: returns the
/// message with the TSIG RR appended and ARCOUNT incremented, and the request MAC that the
/// answer's MAC covers.
pub fn sign(message: &[u8], key: &Key, now: u64) -> Result<(Vec<u8>, Vec<u8>), String> {
    if message.len() < 12 {
        return Err("message shorter than a DNS header".into());
    }
    let id = u16::from_be_bytes([message[0], message[1]]);
    let stub = TSIG::new(
        key.algorithm.wire(),
        now,
        FUDGE,
        Vec::new(),
        id,
        None,
        Vec::new(),
    );
    let input = mac_input(&[], message, &stub, &key.name).ok_or("cannot encode TSIG")?;
    let mac = key.algorithm.mac(&key.secret, &input);
    let rr = encode_rr(&key.name, stub.set_mac(mac.clone())).ok_or("cannot encode TSIG")?;
    let arcount = u16::from_be_bytes([message[10], message[11]])
        .checked_add(1)
        .ok_or("too many additional records")?;
    let mut out = Vec::with_capacity(message.len() + rr.len());
    out.extend_from_slice(message);
    out[10..12].copy_from_slice(&arcount.to_be_bytes());
    out.extend_from_slice(&rr);
    Ok((out, mac))
}

/// Checks the TSIG RR of `answer` against the key and the request MAC at unix time `now`.
pub fn verify_response(
    answer: &[u8],
    key: &Key,
    request_mac: &[u8],
    now: u64,
) -> Result<(), VerifyError> {
    let bad = |e: &dyn std::fmt::Display| VerifyError::Malformed(e.to_string());
    let mut dec = BinDecoder::new(answer);
    let mut header = Header::read(&mut dec).map_err(|e| bad(&e))?;
    if header.counts.additionals == 0 {
        return Err(VerifyError::Unsigned);
    }
    for _ in 0..header.counts.queries {
        Query::read(&mut dec).map_err(|e| bad(&e))?;
    }
    let before_tsig = u32::from(header.counts.answers)
        + u32::from(header.counts.authorities)
        + u32::from(header.counts.additionals)
        - 1;
    for _ in 0..before_tsig {
        let r = Record::<RData>::read(&mut dec).map_err(|e| bad(&e))?;
        if matches!(r.data, RData::TSIG(_)) {
            return Err(bad(&"TSIG record is not the last one"));
        }
    }
    let body_end = answer.len() - dec.len();
    let last = Record::<RData>::read(&mut dec).map_err(|e| bad(&e))?;
    let RData::TSIG(tsig) = last.data else {
        return Err(VerifyError::Unsigned);
    };
    if !dec.is_empty() {
        return Err(bad(&"data after the TSIG record"));
    }
    if let Some(err) = tsig.error {
        let code = u16::from(err);
        if code != 0 {
            return Err(VerifyError::Server(code));
        }
    }
    if last.name.to_lowercase() != key.name.to_lowercase() {
        return Err(VerifyError::OtherKey);
    }
    if Algorithm::of_wire(&tsig.algorithm) != Some(key.algorithm) {
        return Err(VerifyError::OtherKey);
    }
    // The MAC covers the message as it was before the TSIG RR was added: original id, one
    // additional record fewer.
    header.metadata.id = tsig.oid;
    header.counts.additionals -= 1;
    let mut head = Vec::with_capacity(12);
    header
        .emit(&mut BinEncoder::new(&mut head))
        .map_err(|e| bad(&e))?;
    let mut prefix = Vec::with_capacity(2 + request_mac.len());
    let mac_len = u16::try_from(request_mac.len()).map_err(|e| bad(&e))?;
    prefix.extend_from_slice(&mac_len.to_be_bytes());
    prefix.extend_from_slice(request_mac);
    prefix.extend_from_slice(&head);
    let input = mac_input(&prefix, &answer[12..body_end], &tsig, &last.name)
        .ok_or_else(|| bad(&"cannot encode TSIG"))?;
    if !key.algorithm.verify(&key.secret, &input, &tsig.mac) {
        return Err(VerifyError::BadMac);
    }
    let skew = now as i64 - tsig.time as i64;
    if skew.unsigned_abs() > u64::from(tsig.fudge) {
        return Err(VerifyError::Time(skew));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from dnspython 2.7.0 (`pip install dnspython==2.7.0`), independent of this code:
    //
    //   SECRET = base64.b64encode(b"ddns-rs test key 0123456789abcdef").decode(); T = 1700000000
    //   key = dns.tsig.Key("ddns-key.", SECRET, alg)        # alg: HMAC_MD5 / hmac-sha256 / -512
    //   q = dns.message.make_query("www.example.com.", "A"); q.id = 0x1234; q.flags = 0
    //   rd = TSIG(ANY, TSIG, alg, 0, 300, b"", 0x1234, 0, b"")
    //   tsig, _ = dns.tsig.sign(q.to_wire(), key, rd, T)             # → REQUEST_MAC
    //   r = dns.message.make_response(q); r.flags |= AA
    //   r.answer.append(dns.rrset.from_text("www.example.com.", 300, "IN", "A", "192.0.2.1"))
    //   r.use_tsig({name("ddns-key."): key}, "ddns-key.", algorithm=alg)
    //   r.request_mac = tsig.mac; time.time = lambda: T + 5; r.to_wire()   # → RESPONSE
    const SECRET: &str = "ZGRucy1ycyB0ZXN0IGtleSAwMTIzNDU2Nzg5YWJjZGVm";
    const T: u64 = 1_700_000_000;
    const UNSIGNED: &str = "12340000000100000000000003777777076578616d706c6503636f6d0000010001";
    const VECTORS: &[(&str, &str, &str)] = &[
        (
            "hmac-md5",
            "5646115fbcdea77f53a96e59cc9b8f1e",
            "12348400000100010000000103777777076578616d706c6503636f6d0000010001c00c000100010000012c0004c00002010864646e732d6b65790000fa00ff00000000003a08484d41432d4d4435075349472d414c470352454703494e540000006553f105012c0010821954c056fc9d7cde5064910a5fec56123400000000",
        ),
        (
            "hmac-sha256",
            "ebce10b56cfc7e1951fcb005c96339f53a11e17d722219f10641766c6e1a4864",
            "12348400000100010000000103777777076578616d706c6503636f6d0000010001c00c000100010000012c0004c00002010864646e732d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006553f105012c0020268ace934ac90820ddfef0b2d35cee24204de0996fe713c5fc13cd1b766f23c9123400000000",
        ),
        (
            "hmac-sha512",
            "f333011534869fdd15f160aeb9df6b8a91cc4b26e40b212f8058f21dca1fef79ce27d15a02488618a868fbfc231f4985a72cb215e707918ee378a6baff7ab2ec",
            "12348400000100010000000103777777076578616d706c6503636f6d0000010001c00c000100010000012c0004c00002010864646e732d6b65790000fa00ff00000000005d0b686d61632d7368613531320000006553f105012c00404c20940fceb639ef3a5f1a237edaa358d71020ba893881698da40534e674502faa351ba5fcd250742e534fc936b5726f65e6c9dd8dd2d828c1938311b2420b15123400000000",
        ),
    ];

    fn key(alg: &str) -> Key {
        Key::parse("ddns-key", &format!("{alg}:{SECRET}")).unwrap()
    }

    #[test]
    fn request_mac_matches_dnspython_and_the_rr_is_appended() {
        let unsigned = hex::decode(UNSIGNED).unwrap();
        for (alg, mac, _) in VECTORS {
            let (signed, got) = sign(&unsigned, &key(alg), T).unwrap();
            assert_eq!(hex::encode(&got), *mac, "{alg}");
            assert_eq!(&signed[..10], &unsigned[..10]);
            assert_eq!(&signed[10..12], &[0, 1], "ARCOUNT counts the TSIG RR");
            let m = hickory_proto::op::Message::from_vec(&signed).unwrap();
            // Without hickory's dnssec feature the TSIG RR stays the last additional record.
            let rr = m.additionals.last().unwrap();
            assert_eq!(rr.name.to_ascii(), "ddns-key.");
            assert_eq!(rr.dns_class, hickory_proto::rr::DNSClass::ANY);
            let RData::TSIG(t) = &rr.data else {
                panic!("last record is {rr:?}")
            };
            assert_eq!(t.mac, got);
            assert_eq!((t.time, t.fudge, t.oid), (T, FUDGE, 0x1234));
            assert_eq!(Algorithm::of_wire(&t.algorithm), Algorithm::parse(alg));
        }
    }

    #[test]
    fn verifies_dnspython_answers_and_rejects_tampering() {
        for (alg, mac, resp) in VECTORS {
            let k = key(alg);
            let mac = hex::decode(mac).unwrap();
            let resp = hex::decode(resp).unwrap();
            assert_eq!(verify_response(&resp, &k, &mac, T + 5), Ok(()), "{alg}");
            assert_eq!(verify_response(&resp, &k, &mac, T + 300), Ok(()), "{alg}");
            assert_eq!(
                verify_response(&resp, &k, &mac, T + 306),
                Err(VerifyError::Time(301))
            );
            // The A record's last byte (192.0.2.1 → .2).
            let mut bad = resp.clone();
            bad[48] ^= 3;
            assert_eq!(bad[43..47], [0x00, 0x04, 0xc0, 0x00]);
            assert_eq!(verify_response(&bad, &k, &mac, T), Err(VerifyError::BadMac));
            let mut other_req = mac.clone();
            other_req[0] ^= 1;
            assert_eq!(
                verify_response(&resp, &k, &other_req, T),
                Err(VerifyError::BadMac)
            );
            let wrong_secret = Key::parse("ddns-key", &format!("{alg}:c2VjcmV0")).unwrap();
            assert_eq!(
                verify_response(&resp, &wrong_secret, &mac, T),
                Err(VerifyError::BadMac)
            );
            let other_name = Key::parse("other", &format!("{alg}:{SECRET}")).unwrap();
            assert_eq!(
                verify_response(&resp, &other_name, &mac, T),
                Err(VerifyError::OtherKey)
            );
        }
        let k = key("hmac-sha256");
        assert_eq!(
            verify_response(&hex::decode(UNSIGNED).unwrap(), &k, &[], T),
            Err(VerifyError::Unsigned)
        );
        assert!(matches!(
            verify_response(&[0, 1, 2], &k, &[], T),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn server_tsig_errors_are_reported_before_the_mac() {
        // A BADKEY answer: NOTAUTH, TSIG with error 17 and no MAC (RFC 8945 §5.3.2).
        let k = key("hmac-sha256");
        let mut m = hickory_proto::op::Message::from_vec(&hex::decode(UNSIGNED).unwrap()).unwrap();
        m.metadata.message_type = hickory_proto::op::MessageType::Response;
        m.metadata.response_code = hickory_proto::op::ResponseCode::NotAuth;
        let stub = TSIG::new(
            Algorithm::HmacSha256.wire(),
            T,
            FUDGE,
            Vec::new(),
            0x1234,
            Some(hickory_proto::rr::rdata::tsig::TsigError::BadKey),
            Vec::new(),
        );
        let mut wire = m.to_vec().unwrap();
        wire[11] = 1;
        wire.extend(encode_rr(&k.name, stub).unwrap());
        assert_eq!(
            verify_response(&wire, &k, &[1, 2], T),
            Err(VerifyError::Server(17))
        );
        assert!(VerifyError::Server(17).to_string().contains("BADKEY"));
    }

    #[test]
    fn keys_parse_from_the_config_fields() {
        let k = Key::parse(" ddns-key. ", "HMAC-SHA512:c2VjcmV0").unwrap();
        assert_eq!(
            (k.algorithm, k.name.to_ascii()),
            (Algorithm::HmacSha512, "ddns-key.".into())
        );
        assert!(!format!("{k:?}").contains("c2VjcmV0") && !format!("{k:?}").contains("secret"));
        assert_eq!(
            Key::parse("k", "c2VjcmV0").unwrap_err(),
            KeyError::BadSecret
        );
        assert_eq!(
            Key::parse("k", "hmac-sha3:c2VjcmV0").unwrap_err(),
            KeyError::BadAlgorithm("hmac-sha3".into())
        );
        assert_eq!(
            Key::parse("k", "hmac-md5:!!").unwrap_err(),
            KeyError::BadBase64
        );
        assert!(matches!(
            Key::parse("", "hmac-md5:c2VjcmV0"),
            Err(KeyError::BadName(_))
        ));
        assert_eq!(
            Algorithm::parse("HMAC-MD5.SIG-ALG.REG.INT."),
            Some(Algorithm::HmacMd5)
        );
        assert_eq!(Algorithm::parse("hmac-sha1"), Some(Algorithm::HmacSha1));
        assert_eq!(Algorithm::parse("hmac-sha384"), Some(Algorithm::HmacSha384));
    }
}
