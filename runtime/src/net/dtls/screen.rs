//! [`screen`]: drops received datagrams that cannot be genuine DTLS before OpenSSL sees them.
//!
//! RFC 6347 §4.1.2.7 asks that invalid records be silently discarded, so that a forged datagram
//! cannot end an association. OpenSSL 3.0 does discard most, but not all: a protected record too
//! short to hold an explicit nonce and a tag is a fatal error of the session, and application
//! data in the clear (epoch 0) during a handshake fails the handshake ("unexpected record").
//! Both take one spoofed datagram from the server's address. Neither can be genuine, so the
//! transport drops them here; anything that passes still goes through OpenSSL's own checks.

use super::alert::{ALERT, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE, RECORD_HEADER_LEN};

/// The shortest fragment of a protected record (epoch 1 or later) with any cipher suite
/// offered: TLS_PSK_WITH_AES_128_CCM_8 adds an 8-byte explicit nonce and an 8-byte tag to the
/// plaintext (RFC 6655 §3); the CBC suites add an IV, a MAC and padding (64 bytes and more).
pub const MIN_PROTECTED_FRAGMENT: usize = 16;

/// The record versions a DTLS 1.2 client accepts: 1.2 (254.253), and 1.0 (254.255), which a
/// server may use for its HelloVerifyRequest (RFC 6347 §4.2.1).
const VERSIONS: [[u8; 2]; 2] = [[0xfe, 0xfd], [0xfe, 0xff]];

/// `Ok` if `datagram` is one or more whole DTLS records, each one that a genuine peer could
/// have sent; otherwise why it is dropped.
pub fn screen(datagram: &[u8]) -> Result<(), &'static str> {
    let mut rest = datagram;
    if rest.is_empty() {
        return Err("empty datagram");
    }
    while !rest.is_empty() {
        let (header, after) = rest
            .split_at_checked(RECORD_HEADER_LEN)
            .ok_or("truncated DTLS record header")?;
        let &[kind, v1, v2, e1, e2, _, _, _, _, _, _, l1, l2] = header else {
            return Err("truncated DTLS record header");
        };
        if !VERSIONS.contains(&[v1, v2]) {
            return Err("not a DTLS 1.2 record");
        }
        if ![CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA].contains(&kind) {
            return Err("unknown DTLS content type");
        }
        let epoch = u16::from_be_bytes([e1, e2]);
        let len = usize::from(u16::from_be_bytes([l1, l2]));
        let (_fragment, next) = after
            .split_at_checked(len)
            .ok_or("DTLS record longer than the datagram")?;
        if epoch == 0 && kind == APPLICATION_DATA {
            return Err("application data without protection");
        }
        if epoch > 0 && len < MIN_PROTECTED_FRAGMENT {
            return Err("protected DTLS record too short to be genuine");
        }
        rest = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn record(kind: u8, epoch: u16, fragment: &[u8]) -> Vec<u8> {
        let mut r = vec![kind, 0xfe, 0xfd];
        r.extend(epoch.to_be_bytes());
        r.extend([0, 0, 0, 0, 0, 7]);
        r.extend(u16::try_from(fragment.len()).unwrap().to_be_bytes());
        r.extend(fragment);
        r
    }

    #[test]
    fn keeps_handshake_flights_and_protected_records() {
        // A HelloVerifyRequest in a DTLS 1.0 record, as OpenSSL's servers send it.
        let mut hvr = record(
            HANDSHAKE,
            0,
            &[3, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 0xfe, 0xff, 0],
        );
        hvr[2] = 0xff;
        assert_eq!(screen(&hvr), Ok(()));
        // ServerHello, then ChangeCipherSpec and an encrypted Finished in one datagram.
        let mut flight = record(HANDSHAKE, 0, &[2; 50]);
        flight.extend(record(CHANGE_CIPHER_SPEC, 0, &[1]));
        flight.extend(record(HANDSHAKE, 1, &[0; 40]));
        assert_eq!(screen(&flight), Ok(()));
        assert_eq!(screen(&record(APPLICATION_DATA, 1, &[0; 16])), Ok(()));
        assert_eq!(screen(&record(ALERT, 0, &[2, 40])), Ok(()));
    }

    #[test]
    fn drops_what_cannot_be_genuine() {
        let coap_get = [0x40, 0x01, 0x77, 0x01, 0xb1, b'3'];
        assert!(screen(&coap_get).is_err());
        assert!(screen(&[]).is_err());
        assert!(screen(&record(APPLICATION_DATA, 0, &coap_get)).is_err());
        assert!(screen(&record(APPLICATION_DATA, 1, &[0; 15])).is_err());
        assert!(screen(&record(ALERT, 1, &[2, 20])).is_err());
        assert!(
            screen(&record(24, 0, &[1])).is_err(),
            "heartbeat or unknown type"
        );
        let mut truncated = record(APPLICATION_DATA, 1, &[0; 32]);
        truncated.pop();
        assert!(screen(&truncated).is_err());
        // One bad record spoils the datagram: OpenSSL would read the records before it.
        let mut mixed = record(APPLICATION_DATA, 1, &[0; 32]);
        mixed.extend(record(APPLICATION_DATA, 0, &coap_get));
        assert!(screen(&mixed).is_err());
    }
}
