//! [`Credentials`]: what the client proves itself with, taken from the Security object (0).

use crate::prelude::*;
use std::fmt;

use crate::objects::Security;

use super::DtlsError;

/// The longest PSK identity accepted (RFC 4279 §5.3 allows 2^16 - 1; OpenSSL 3 takes 128 bytes
/// plus the NUL it needs).
pub const MAX_PSK_IDENTITY_LEN: usize = 128;
/// The longest pre-shared key accepted (OpenSSL's `PSK_MAX_PSK_LEN` is 256 bytes on 1.1).
pub const MAX_PSK_KEY_LEN: usize = 256;

/// How the client authenticates its DTLS session, by Security Mode (`/0/x/2`).
///
/// Only PSK (mode 0) is implemented; Raw Public Key (mode 1) and X.509 certificates (mode 2)
/// will be further variants: the transport builds its OpenSSL context from this enum alone.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A pre-shared key (Security Mode 0): the PSK identity (`/0/x/3`) and key (`/0/x/5`).
    Psk {
        /// The PSK identity, sent in the clear in the ClientKeyExchange.
        identity: Vec<u8>,
        /// The secret key.
        key: Vec<u8>,
    },
}

impl Credentials {
    /// PSK credentials: the identity must be 1 to [`MAX_PSK_IDENTITY_LEN`] bytes without a NUL
    /// (OpenSSL passes it as a C string), the key 1 to [`MAX_PSK_KEY_LEN`] bytes.
    pub fn psk(
        identity: impl Into<Vec<u8>>,
        key: impl Into<Vec<u8>>,
    ) -> Result<Credentials, DtlsError> {
        let identity = identity.into();
        let key = key.into();
        if identity.is_empty() || identity.len() > MAX_PSK_IDENTITY_LEN || identity.contains(&0) {
            return Err(DtlsError::Credentials(format!(
                "the PSK identity must be 1 to {MAX_PSK_IDENTITY_LEN} bytes without a NUL byte \
                 (got {} bytes)",
                identity.len()
            )));
        }
        if key.is_empty() || key.len() > MAX_PSK_KEY_LEN {
            return Err(DtlsError::Credentials(format!(
                "the pre-shared key must be 1 to {MAX_PSK_KEY_LEN} bytes (got {})",
                key.len()
            )));
        }
        Ok(Credentials::Psk { identity, key })
    }

    /// The credentials of a Security object instance: mode 0 (PSK) takes the identity from
    /// `/0/x/3` and the key from `/0/x/5`. NoSec (mode 3) needs no DTLS, and RPK, certificates
    /// and EST (modes 1, 2 and 4) are not supported yet: each is a clear error.
    pub fn from_security(security: &Security) -> Result<Credentials, DtlsError> {
        match security.security_mode {
            Security::MODE_PSK => Credentials::psk(
                security.public_key_or_identity.clone(),
                security.secret_key.clone(),
            ),
            Security::MODE_NO_SEC => Err(DtlsError::Credentials(format!(
                "security mode 3 (NoSec) of `{}` needs no DTLS",
                security.server_uri
            ))),
            mode => Err(DtlsError::Credentials(format!(
                "security mode {mode} ({}) of `{}` is not supported yet: only 0 (PSK)",
                match mode {
                    Security::MODE_RPK => "Raw Public Key",
                    Security::MODE_CERTIFICATE => "Certificate",
                    Security::MODE_CERTIFICATE_EST => "Certificate with EST",
                    _ => "unknown",
                },
                security.server_uri
            ))),
        }
    }
}

/// Never prints the key.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Psk { identity, key } => f
                .debug_struct("Psk")
                .field("identity", &String::from_utf8_lossy(identity))
                .field("key", &format_args!("<{} bytes>", key.len()))
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psk_from_the_security_object() {
        let security = Security::psk("coaps://h", 1, b"dev-1", &[1, 2, 3]);
        let credentials = Credentials::from_security(&security).unwrap();
        assert_eq!(credentials, Credentials::psk(*b"dev-1", [1, 2, 3]).unwrap());
        let debug = format!("{credentials:?}");
        assert!(
            debug.contains("dev-1") && debug.contains("<3 bytes>"),
            "{debug}"
        );
        assert!(!debug.contains("[1, 2, 3]"), "{debug}");
    }

    #[test]
    fn refuses_other_modes_and_bad_psk() {
        let no_sec = Credentials::from_security(&Security::no_sec("coap://h", 1)).unwrap_err();
        assert!(no_sec.to_string().contains("NoSec"), "{no_sec}");
        let mut rpk = Security::psk("coaps://h", 1, b"id", b"k");
        rpk.security_mode = Security::MODE_RPK;
        let err = Credentials::from_security(&rpk).unwrap_err();
        assert!(err.to_string().contains("Raw Public Key"), "{err}");
        assert!(Credentials::psk(*b"", *b"k").is_err());
        assert!(Credentials::psk(*b"a\0b", *b"k").is_err());
        assert!(Credentials::psk(vec![b'a'; MAX_PSK_IDENTITY_LEN + 1], *b"k").is_err());
        assert!(Credentials::psk(*b"id", *b"").is_err());
        assert!(Credentials::psk(*b"id", vec![0; MAX_PSK_KEY_LEN + 1]).is_err());
        assert!(
            Credentials::psk(vec![b'a'; MAX_PSK_IDENTITY_LEN], vec![0; MAX_PSK_KEY_LEN]).is_ok()
        );
    }
}
