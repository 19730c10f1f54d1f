//! [`DtlsConfig`]: the settings of a DTLS session with one server, and the OpenSSL client
//! context made from them.

use crate::prelude::*;
use std::time::Duration;

use openssl::ssl::{SslContext, SslMethod, SslOptions, SslVersion};

use super::endpoint::EndpointConfig;
use super::{Credentials, DtlsError};

/// The cipher suites offered, in OpenSSL's names: TLS_PSK_WITH_AES_128_CCM_8 (mandatory in
/// LwM2M, RFC 7925) and TLS_PSK_WITH_AES_128_CBC_SHA256.
pub const DEFAULT_CIPHERS: &str = "PSK-AES128-CCM8:PSK-AES128-CBC-SHA256";

/// The settings of a DTLS session with one server.
#[derive(Debug, Clone)]
pub struct DtlsConfig {
    /// The client's credentials.
    pub credentials: Credentials,
    /// How long a handshake may take, retransmissions included, before it fails.
    pub handshake_timeout: Duration,
    /// The path MTU (UDP payload bytes) handshake messages are fragmented to.
    pub mtu: usize,
    /// After this many datagrams that call for an answer sent in a row with nothing received,
    /// the next send starts a new handshake first (from a fresh local port: see
    /// [`EndpointEvent::MovePort`](super::EndpointEvent::MovePort)): a server that restarted has forgotten the session and drops its
    /// records silently, and after an outage the server may hold a stale association. 0
    /// disables it. The default, 4, lets the last CoAP retransmission of a confirmable message
    /// (`MAX_RETRANSMIT` = 4) reach a restarted server. CoAP messages that get no answer by
    /// design (non-confirmable ones such as most notifications, ACKs and RSTs) are not
    /// counted: a device that only sends non-confirmable notifications is not "unanswered".
    pub rehandshake_after_unanswered: u32,
    /// The OpenSSL cipher list offered ([`DEFAULT_CIPHERS`]).
    pub ciphers: String,
    /// Whether a new handshake offers the last session for resumption (an abbreviated
    /// handshake: one round trip, no key exchange), falling back to a full handshake when the
    /// server no longer knows it. On by default.
    pub resume_sessions: bool,
}

impl DtlsConfig {
    /// The default handshake timeout: OpenSSL's retransmissions at 1, 3, 7 and 15 s fit in it.
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
    /// The default MTU: the IPv6 minimum MTU (1280) less the IPv6 and UDP headers.
    pub const DEFAULT_MTU: usize = 1232;

    /// The defaults with these credentials.
    pub fn new(credentials: Credentials) -> DtlsConfig {
        DtlsConfig {
            credentials,
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
            mtu: Self::DEFAULT_MTU,
            rehandshake_after_unanswered: 4,
            ciphers: DEFAULT_CIPHERS.to_owned(),
            resume_sessions: true,
        }
    }
}

impl DtlsConfig {
    /// These settings with other credentials (a server found on demand takes the settings of
    /// the transport's template and its own key).
    pub fn with_credentials(&self, credentials: Credentials) -> DtlsConfig {
        DtlsConfig {
            credentials,
            ..self.clone()
        }
    }

    /// The settings of the [`Endpoint`](super::Endpoint) of one server.
    pub fn endpoint(&self) -> EndpointConfig {
        EndpointConfig {
            handshake_timeout: self.handshake_timeout,
            rehandshake_after_unanswered: self.rehandshake_after_unanswered,
            resume_sessions: self.resume_sessions,
            ..EndpointConfig::default()
        }
    }
}

/// The OpenSSL context of a DTLS 1.2 client with these credentials.
pub(super) fn context(config: &DtlsConfig) -> Result<SslContext, DtlsError> {
    let mut builder = SslContext::builder(SslMethod::dtls_client())?;
    builder.set_min_proto_version(Some(SslVersion::DTLS1_2))?;
    builder.set_max_proto_version(Some(SslVersion::DTLS1_2))?;
    builder.set_cipher_list(&config.ciphers)?;
    builder.set_options(SslOptions::NO_QUERY_MTU);
    // OpenSSL 3.2 moved the CCM_8 suites (8-byte tag) to security level 0; LwM2M mandates
    // TLS_PSK_WITH_AES_128_CCM_8 and the list above holds PSK suites only, so level 0 allows
    // nothing else.
    builder.set_security_level(0);
    match &config.credentials {
        Credentials::Psk { identity, key } => {
            let identity = identity.clone();
            let key = key.clone();
            builder.set_psk_client_callback(move |_ssl, _hint, identity_out, key_out| {
                // OpenSSL wants the identity as a NUL-terminated string.
                let id = identity_out
                    .get_mut(..=identity.len())
                    .ok_or_else(openssl::error::ErrorStack::get)?;
                let (text, nul) = id.split_at_mut(identity.len());
                text.copy_from_slice(&identity);
                nul.fill(0);
                key_out
                    .get_mut(..key.len())
                    .ok_or_else(openssl::error::ErrorStack::get)?
                    .copy_from_slice(&key);
                Ok(key.len())
            });
        }
    }
    Ok(builder.build())
}
