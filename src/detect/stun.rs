//! STUN (RFC 8489) Binding requests: a server echoes the address our packet came from in the
//! XOR-MAPPED-ADDRESS attribute of its response. One UDP round trip, no TLS, a different
//! operator and protocol from the HTTPS echo pages — a useful independent vote in `agree`.
//!
//! The codec ([`binding_request`], [`parse_binding_response`]) is pure and never panics on any
//! input; [`query`] does the I/O. No authentication: STUN over UDP can be spoofed off-path,
//! which is why a STUN answer alone never decides (see `agree`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

/// The magic cookie every RFC 5389/8489 message carries.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const BINDING_ERROR: u16 = 0x0111;
const ATTR_MAPPED_ADDRESS: u16 = 0x0001;
const ATTR_XOR_MAPPED_ADDRESS: u16 = 0x0020;
const ATTR_ERROR_CODE: u16 = 0x0009;
const HEADER: usize = 20;
/// A response is never this large in practice; anything longer is cut off by the read.
const MAX_MESSAGE: usize = 1500;

/// Why a STUN exchange gave no address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StunError {
    /// The bytes are not a STUN message.
    #[error("not a STUN message: {0}")]
    Malformed(&'static str),
    /// A message, but not the answer to our request.
    #[error("a STUN message that does not answer our request ({0})")]
    Unexpected(&'static str),
    /// The server answered with an error response.
    #[error("the STUN server answered error {0}")]
    ErrorResponse(u16),
    /// A success response without a (XOR-)MAPPED-ADDRESS.
    #[error("the STUN response carries no mapped address")]
    NoAddress,
    /// Socket trouble or no answer in time.
    #[error("{0}")]
    Io(String),
}

/// A Binding request with transaction id `txid` and no attributes.
pub fn binding_request(txid: [u8; 12]) -> [u8; HEADER] {
    let mut out = [0u8; HEADER];
    out[0..2].copy_from_slice(&BINDING_REQUEST.to_be_bytes());
    // Length 0: no attributes.
    out[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    out[8..20].copy_from_slice(&txid);
    out
}

/// The mapped address in a Binding success response to the request with `txid`.
/// XOR-MAPPED-ADDRESS is preferred; MAPPED-ADDRESS (RFC 3489 servers) is the fallback.
/// Other attributes (SOFTWARE, MESSAGE-INTEGRITY, FINGERPRINT, …) are skipped.
pub fn parse_binding_response(msg: &[u8], txid: [u8; 12]) -> Result<SocketAddr, StunError> {
    let header = msg.get(..HEADER).ok_or(StunError::Malformed("too short"))?;
    let kind = u16::from_be_bytes([header[0], header[1]]);
    if kind & 0xC000 != 0 {
        return Err(StunError::Malformed("the two top bits are set"));
    }
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if len % 4 != 0 || msg.len() < HEADER + len {
        return Err(StunError::Malformed("bad length"));
    }
    if header[4..8] != MAGIC_COOKIE.to_be_bytes() {
        return Err(StunError::Malformed("no magic cookie"));
    }
    if header[8..20] != txid {
        return Err(StunError::Unexpected("another transaction id"));
    }
    let attrs = &msg[HEADER..HEADER + len];
    match kind {
        BINDING_SUCCESS => {}
        BINDING_ERROR => {
            let code = find(attrs, ATTR_ERROR_CODE)
                .and_then(|v| v.get(2..4))
                .map_or(0, |c| u16::from(c[0] & 0x07) * 100 + u16::from(c[1]));
            return Err(StunError::ErrorResponse(code));
        }
        _ => return Err(StunError::Unexpected("not a Binding success response")),
    }
    if let Some(v) = find(attrs, ATTR_XOR_MAPPED_ADDRESS) {
        return address(v, Some(&header[4..20]));
    }
    match find(attrs, ATTR_MAPPED_ADDRESS) {
        Some(v) => address(v, None),
        None => Err(StunError::NoAddress),
    }
}

/// The value of the first attribute of type `want`.
fn find(mut attrs: &[u8], want: u16) -> Option<&[u8]> {
    while attrs.len() >= 4 {
        let kind = u16::from_be_bytes([attrs[0], attrs[1]]);
        let len = usize::from(u16::from_be_bytes([attrs[2], attrs[3]]));
        let value = attrs.get(4..4 + len)?;
        if kind == want {
            return Some(value);
        }
        // Values are padded to a multiple of 4 bytes.
        attrs = attrs.get((4 + len).next_multiple_of(4)..)?;
    }
    None
}

/// Decodes a (XOR-)MAPPED-ADDRESS value; `xor` is cookie + transaction id for the XOR form.
fn address(v: &[u8], xor: Option<&[u8]>) -> Result<SocketAddr, StunError> {
    let bad = StunError::Malformed("bad mapped-address attribute");
    let head = v.get(..4).ok_or(bad.clone())?;
    let mask = |i: usize| xor.and_then(|x| x.get(i).copied()).unwrap_or(0);
    let port = u16::from_be_bytes([head[2] ^ mask(0), head[3] ^ mask(1)]);
    let ip = match (head[1], v.len()) {
        (0x01, 8) => {
            let b: [u8; 4] = std::array::from_fn(|i| v[4 + i] ^ mask(i));
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (0x02, 20) => {
            let b: [u8; 16] = std::array::from_fn(|i| v[4 + i] ^ mask(i));
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return Err(bad),
    };
    Ok(SocketAddr::new(ip, port))
}

/// Sends a Binding request to `server` and returns the address it saw. Datagrams that are not
/// the answer (wrong transaction id, from another host) are ignored until `timeout`.
pub async fn query(server: SocketAddr, timeout: Duration) -> Result<IpAddr, StunError> {
    let io = |e: std::io::Error| StunError::Io(format!("STUN {server}: {e}"));
    let bind: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(bind).await.map_err(io)?;
    let mut txid = [0u8; 12];
    getrandom::fill(&mut txid).map_err(|e| StunError::Io(e.to_string()))?;
    socket
        .send_to(&binding_request(txid), server)
        .await
        .map_err(io)?;
    let exchange = async {
        let mut buf = vec![0u8; MAX_MESSAGE];
        loop {
            let (n, from) = socket.recv_from(&mut buf).await.map_err(io)?;
            if from != server {
                continue;
            }
            match parse_binding_response(&buf[..n], txid) {
                Err(StunError::Unexpected(_)) | Err(StunError::Malformed(_)) => continue,
                other => return other.map(|a| a.ip()),
            }
        }
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| StunError::Io(format!("STUN {server}: no answer in {timeout:?}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 5769 §2.2/§2.3 transaction id.
    const TXID: [u8; 12] = [
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    ];

    fn response(attrs: &[u8]) -> Vec<u8> {
        let mut m = BINDING_SUCCESS.to_be_bytes().to_vec();
        m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        m.extend_from_slice(&TXID);
        m.extend_from_slice(attrs);
        m
    }

    /// SOFTWARE "test vector " (11 bytes + 1 pad), as in the RFC 5769 samples.
    const SOFTWARE: [u8; 16] = [
        0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72,
        0x20,
    ];

    #[test]
    fn rfc5769_ipv4_response() {
        // XOR-MAPPED-ADDRESS of RFC 5769 §2.2: 192.0.2.1 port 32853.
        let mut attrs = SOFTWARE.to_vec();
        attrs.extend([
            0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        ]);
        let got = parse_binding_response(&response(&attrs), TXID).unwrap();
        assert_eq!(got, "192.0.2.1:32853".parse().unwrap());
    }

    #[test]
    fn rfc5769_ipv6_response() {
        // XOR-MAPPED-ADDRESS of RFC 5769 §2.3: 2001:db8:1234:5678:11:2233:4455:6677 port 32853.
        let mut attrs = SOFTWARE.to_vec();
        attrs.extend([
            0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa, 0xa5, 0xd3,
            0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9,
        ]);
        let got = parse_binding_response(&response(&attrs), TXID).unwrap();
        assert_eq!(
            got,
            "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
                .parse()
                .unwrap()
        );
    }

    #[test]
    fn plain_mapped_address_is_the_fallback() {
        let attrs = [
            0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x00, 0x50, 198, 51, 100, 7,
        ];
        let got = parse_binding_response(&response(&attrs), TXID).unwrap();
        assert_eq!(got, "198.51.100.7:80".parse().unwrap());
    }

    #[test]
    fn request_layout() {
        let r = binding_request(TXID);
        assert_eq!(&r[..8], &[0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]);
        assert_eq!(&r[8..], &TXID);
    }

    #[test]
    fn wrong_or_broken_messages_are_errors() {
        let ok = response(&[0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0, 80, 1, 2, 3, 4]);
        let mut other = TXID;
        other[0] ^= 1;
        assert!(matches!(
            parse_binding_response(&ok, other),
            Err(StunError::Unexpected(_))
        ));
        assert_eq!(
            parse_binding_response(&response(&[]), TXID),
            Err(StunError::NoAddress)
        );
        let mut err = response(&[0x00, 0x09, 0x00, 0x04, 0, 0, 4, 20]);
        err[..2].copy_from_slice(&BINDING_ERROR.to_be_bytes());
        assert_eq!(
            parse_binding_response(&err, TXID),
            Err(StunError::ErrorResponse(420))
        );
        // Truncations of a valid message never panic and never succeed.
        for cut in 0..ok.len() {
            assert!(parse_binding_response(&ok[..cut], TXID).is_err(), "{cut}");
        }
        // An attribute whose length runs past the message; a bad family; a short value.
        for attrs in [
            vec![0x00, 0x20, 0x00, 0x40, 0, 1, 0, 0],
            vec![0x00, 0x20, 0x00, 0x08, 0x00, 0x03, 0, 0, 1, 2, 3, 4],
            vec![0x00, 0x20, 0x00, 0x04, 0x00, 0x01, 0, 0],
        ] {
            assert!(parse_binding_response(&response(&attrs), TXID).is_err());
        }
    }

    #[test]
    fn every_byte_flip_is_handled_without_panic() {
        let ok = response(&[
            0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
        ]);
        for i in 0..ok.len() {
            for bit in 0..8 {
                let mut m = ok.clone();
                m[i] ^= 1 << bit;
                let _ = parse_binding_response(&m, TXID);
            }
        }
    }
}
