//! DTLS alerts (RFC 5246 §7.2, RFC 4279 §2) and the record content types, as seen on the wire.

use std::fmt;

/// The DTLS record content type of a ChangeCipherSpec record.
pub const CHANGE_CIPHER_SPEC: u8 = 20;
/// The DTLS record content type of an alert record.
pub const ALERT: u8 = 21;
/// The DTLS record content type of a handshake record.
pub const HANDSHAKE: u8 = 22;
/// The DTLS record content type of an application-data record (encrypted CoAP).
pub const APPLICATION_DATA: u8 = 23;

/// The length of a DTLS record header: type, version (2), epoch (2), sequence (6), length (2).
pub const RECORD_HEADER_LEN: usize = 13;

/// A DTLS alert: its level (1 warning, 2 fatal) and description code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// The description code, such as 51 (`decrypt_error`).
    pub description: u8,
}

impl Alert {
    /// The alert carried in the clear (epoch 0) by the first record of `datagram`, if any.
    /// Alerts sent after the peer's ChangeCipherSpec are encrypted and cannot be read here.
    pub fn in_plaintext_record(datagram: &[u8]) -> Option<Alert> {
        let header = datagram.get(..RECORD_HEADER_LEN)?;
        let epoch = header.get(3..5)?;
        if header.first() != Some(&ALERT) || epoch != [0, 0] {
            return None;
        }
        let body = datagram.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + 2)?;
        Some(Alert {
            level: *body.first()?,
            description: *body.get(1)?,
        })
    }

    /// The registered name of the description, such as `decrypt_error`.
    pub fn name(&self) -> &'static str {
        match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            110 => "unsupported_extension",
            115 => "unknown_psk_identity",
            _ => "unknown alert",
        }
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.level {
            1 => "warning",
            2 => "fatal",
            _ => "unknown-level",
        };
        write!(f, "{level} alert {} ({})", self.name(), self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn reads_a_plaintext_alert_and_ignores_the_rest() {
        let mut record = vec![ALERT, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 3, 0, 2, 2, 51];
        let alert = Alert::in_plaintext_record(&record).unwrap();
        assert_eq!(alert.to_string(), "fatal alert decrypt_error (51)");
        record[4] = 1; // epoch 1: encrypted
        assert_eq!(Alert::in_plaintext_record(&record), None);
        assert_eq!(Alert::in_plaintext_record(&[ALERT, 0xfe]), None);
        record[0] = HANDSHAKE;
        record[4] = 0;
        assert_eq!(Alert::in_plaintext_record(&record), None);
    }
}
