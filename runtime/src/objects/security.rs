//! The LwM2M Security object (0): how to reach and authenticate to one server.

use crate::field::Instances;
use crate::prelude::*;
use crate::value::ObjLnk;

/// LwM2M Security (object 0, version 1.2, `urn:oma:lwm2m:oma:0:1.2`): the keying material a
/// client uses to reach one LwM2M Server or Bootstrap-Server.
///
/// Only a Bootstrap-Server may touch these resources: none of them is readable or writable by a
/// regular server (their operations are empty). Build an instance with [`Security::no_sec`],
/// [`Security::psk`] or [`Security::bootstrap`].
#[derive(Debug, Clone, PartialEq, Default, lwm2m_derive::Object)]
#[lwm2m(
    crate = "crate",
    id = 0,
    name = "LWM2M Security",
    version = "1.2",
    lwm2m_version = "1.1",
    urn = "urn:oma:lwm2m:oma:0:1.2",
    multiple,
    mandatory
)]
pub struct Security {
    /// LWM2M Server URI (0): the server's CoAP URI, such as `coaps://example.org:5684`.
    #[lwm2m(
        id = 0,
        name = "LWM2M Server URI",
        op = "",
        kind = "String",
        mandatory,
        range = "0..255",
        length = "0..=255"
    )]
    pub server_uri: String,
    /// Bootstrap-Server (1): whether this instance is for a Bootstrap-Server.
    #[lwm2m(
        id = 1,
        name = "Bootstrap-Server",
        op = "",
        kind = "Boolean",
        mandatory
    )]
    pub bootstrap_server: bool,
    /// Security Mode (2): 0 PSK, 1 RPK, 2 certificate, 3 NoSec, 4 certificate with EST
    /// (the `MODE_*` constants).
    #[lwm2m(
        id = 2,
        name = "Security Mode",
        op = "",
        kind = "Integer",
        mandatory,
        range = "0..4",
        min = "0",
        max = "4"
    )]
    pub security_mode: u8,
    /// Public Key or Identity (3): the client's certificate, public key (RPK) or PSK identity.
    #[lwm2m(
        id = 3,
        name = "Public Key or Identity",
        op = "",
        kind = "Opaque",
        mandatory
    )]
    pub public_key_or_identity: Vec<u8>,
    /// Server Public Key (4): the server's certificate, public key (RPK) or trust anchor.
    #[lwm2m(
        id = 4,
        name = "Server Public Key",
        op = "",
        kind = "Opaque",
        mandatory
    )]
    pub server_public_key: Vec<u8>,
    /// Secret Key (5): the pre-shared key (PSK) or the client's private key.
    #[lwm2m(id = 5, name = "Secret Key", op = "", kind = "Opaque", mandatory)]
    pub secret_key: Vec<u8>,
    /// SMS Security Mode (6): 1 DTLS, 2 secure packet structure, 3 NoSec, 204..255 proprietary.
    #[lwm2m(
        id = 6,
        name = "SMS Security Mode",
        op = "",
        kind = "Integer",
        range = "0..255",
        min = "0",
        max = "255"
    )]
    pub sms_security_mode: Option<u8>,
    /// SMS Binding Key Parameters (7): KIc, KID, SPI and TAR (6 bytes).
    #[lwm2m(
        id = 7,
        name = "SMS Binding Key Parameters",
        op = "",
        kind = "Opaque",
        range = "6",
        lengths = "6"
    )]
    pub sms_binding_key_parameters: Option<Vec<u8>>,
    /// SMS Binding Secret Key(s) (8): the keys of the SMS binding (16, 32 or 48 bytes).
    #[lwm2m(
        id = 8,
        name = "SMS Binding Secret Key(s)",
        op = "",
        kind = "Opaque",
        range = "16,32,48",
        lengths = "16,32,48"
    )]
    pub sms_binding_secret_keys: Option<Vec<u8>>,
    /// LwM2M Server SMS Number (9): the MSISDN to reach the server over SMS.
    #[lwm2m(id = 9, name = "LwM2M Server SMS Number", op = "", kind = "String")]
    pub server_sms_number: Option<String>,
    /// Short Server ID (10): the server's short id; set whenever this is not a Bootstrap-Server.
    #[lwm2m(
        id = 10,
        name = "Short Server ID",
        op = "",
        kind = "Integer",
        range = "1..65534",
        min = "1",
        max = "65534"
    )]
    pub short_server_id: Option<u16>,
    /// Client Hold Off Time (11): seconds to wait before a client-initiated bootstrap.
    #[lwm2m(
        id = 11,
        name = "Client Hold Off Time",
        op = "",
        kind = "Integer",
        units = "s"
    )]
    pub client_hold_off_time: Option<u32>,
    /// Bootstrap-Server Account Timeout (12): seconds before the bootstrap account is purged;
    /// 0 or absent means never.
    #[lwm2m(
        id = 12,
        name = "Bootstrap-Server Account Timeout",
        op = "",
        kind = "Integer",
        units = "s"
    )]
    pub bootstrap_account_timeout: Option<u32>,
    /// Matching Type (13): how the Server Public Key is given: 0 exact, 1 SHA-256, 2 SHA-384,
    /// 3 SHA-512.
    #[lwm2m(
        id = 13,
        name = "Matching Type",
        op = "",
        kind = "Unsigned Integer",
        range = "0..3",
        min = "0",
        max = "3"
    )]
    pub matching_type: Option<u8>,
    /// SNI (14): the Server Name Indication for the (D)TLS handshake.
    #[lwm2m(id = 14, name = "SNI", op = "", kind = "String")]
    pub sni: Option<String>,
    /// Certificate Usage (15): 0 CA constraint, 1 service certificate constraint, 2 trust anchor
    /// assertion, 3 domain-issued certificate (the default).
    #[lwm2m(
        id = 15,
        name = "Certificate Usage",
        op = "",
        kind = "Unsigned Integer",
        range = "0..3",
        min = "0",
        max = "3"
    )]
    pub certificate_usage: Option<u8>,
    /// DTLS/TLS Ciphersuite (16): the IANA ciphersuites to propose, such as `0xC0A8`.
    #[lwm2m(
        id = 16,
        name = "DTLS/TLS Ciphersuite",
        op = "",
        kind = "Unsigned Integer",
        multiple
    )]
    pub ciphersuites: Option<Instances<u32>>,
    /// OSCORE Security Mode (17): the OSCORE object instance to use, if any.
    #[lwm2m(id = 17, name = "OSCORE Security Mode", op = "", kind = "Objlnk")]
    pub oscore_security_mode: Option<ObjLnk>,
    /// Groups To Use by Client (18): (D)TLS groups, most preferred first (RFC 8446 §4.2.7).
    #[lwm2m(
        id = 18,
        name = "Groups To Use by Client",
        op = "",
        kind = "Unsigned Integer",
        multiple,
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub groups_to_use: Option<Instances<u16>>,
    /// Signature Algorithms Supported by Server (19): RFC 8446 §4.2.3 values.
    #[lwm2m(
        id = 19,
        name = "Signature Algorithms Supported by Server",
        op = "",
        kind = "Unsigned Integer",
        multiple,
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub server_signature_algorithms: Option<Instances<u16>>,
    /// Signature Algorithms To Use by Client (20): RFC 8446 §4.2.3 values, most preferred first.
    #[lwm2m(
        id = 20,
        name = "Signature Algorithms To Use by Client",
        op = "",
        kind = "Unsigned Integer",
        multiple,
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub client_signature_algorithms: Option<Instances<u16>>,
    /// Signature Algorithm Certs Supported by Server (21): certificate signature algorithms.
    #[lwm2m(
        id = 21,
        name = "Signature Algorithm Certs Supported by Server",
        op = "",
        kind = "Unsigned Integer",
        multiple,
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub server_signature_algorithm_certs: Option<Instances<u16>>,
    /// TLS 1.3 Features To Use by Client (22): bitmask: PSK plain, 0-RTT, PSK with PFS,
    /// certificate-based authentication.
    #[lwm2m(
        id = 22,
        name = "TLS 1.3 Features To Use by Client",
        op = "",
        kind = "Unsigned Integer",
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub tls13_features: Option<u16>,
    /// TLS Extensions Supported by Server (23): bitmap of the extensions the server supports.
    #[lwm2m(
        id = 23,
        name = "TLS Extensions Supported by Server",
        op = "",
        kind = "Unsigned Integer",
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub server_tls_extensions: Option<u16>,
    /// TLS Extensions To Use by Client (24): bitmap of the extensions the client should use.
    #[lwm2m(
        id = 24,
        name = "TLS Extensions To Use by Client",
        op = "",
        kind = "Unsigned Integer",
        range = "0..65535",
        min = "0",
        max = "65535"
    )]
    pub client_tls_extensions: Option<u16>,
    /// Secondary LwM2M Server URI (25): other URIs of the same server.
    #[lwm2m(
        id = 25,
        name = "Secondary LwM2M Server URI",
        op = "",
        kind = "String",
        multiple,
        range = "0..255",
        length = "0..=255"
    )]
    pub secondary_server_uris: Option<Instances<String>>,
    /// MQTT Server (26): the MQTT Server object instance, for the MQTT transport.
    #[lwm2m(id = 26, name = "MQTT Server", op = "", kind = "Objlnk")]
    pub mqtt_server: Option<ObjLnk>,
    /// LwM2M COSE Security (27): the COSE object instances for this server.
    #[lwm2m(
        id = 27,
        name = "LwM2M COSE Security",
        op = "",
        kind = "Objlnk",
        multiple
    )]
    pub cose_security: Option<Instances<ObjLnk>>,
    /// RDS Destination Port (28): the Reliable Data Service destination port (NIDD).
    #[lwm2m(
        id = 28,
        name = "RDS Destination Port",
        op = "",
        kind = "Integer",
        range = "0..15",
        min = "0",
        max = "15"
    )]
    pub rds_destination_port: Option<u8>,
    /// RDS Source Port (29): the Reliable Data Service source port (NIDD).
    #[lwm2m(
        id = 29,
        name = "RDS Source Port",
        op = "",
        kind = "Integer",
        range = "0..15",
        min = "0",
        max = "15"
    )]
    pub rds_source_port: Option<u8>,
    /// RDS Application ID (30): the Reliable Data Service application id (NIDD).
    #[lwm2m(id = 30, name = "RDS Application ID", op = "", kind = "String")]
    pub rds_application_id: Option<String>,
}

impl Security {
    /// Security Mode 0: pre-shared key.
    pub const MODE_PSK: u8 = 0;
    /// Security Mode 1: raw public key.
    pub const MODE_RPK: u8 = 1;
    /// Security Mode 2: certificate.
    pub const MODE_CERTIFICATE: u8 = 2;
    /// Security Mode 3: no security.
    pub const MODE_NO_SEC: u8 = 3;
    /// Security Mode 4: certificate with EST.
    pub const MODE_CERTIFICATE_EST: u8 = 4;

    /// A regular server reached without security (mode 3, NoSec).
    pub fn no_sec(server_uri: &str, short_server_id: u16) -> Security {
        Security {
            server_uri: server_uri.to_owned(),
            bootstrap_server: false,
            security_mode: Self::MODE_NO_SEC,
            short_server_id: Some(short_server_id),
            ..Security::default()
        }
    }

    /// A regular server reached over DTLS with a pre-shared key (mode 0, PSK).
    pub fn psk(server_uri: &str, short_server_id: u16, identity: &[u8], key: &[u8]) -> Security {
        Security {
            security_mode: Self::MODE_PSK,
            public_key_or_identity: identity.to_vec(),
            secret_key: key.to_vec(),
            ..Security::no_sec(server_uri, short_server_id)
        }
    }

    /// A Bootstrap-Server reached without security (mode 3), with no hold-off time.
    pub fn bootstrap(server_uri: &str) -> Security {
        Security {
            server_uri: server_uri.to_owned(),
            bootstrap_server: true,
            security_mode: Self::MODE_NO_SEC,
            client_hold_off_time: Some(0),
            ..Security::default()
        }
    }
}
