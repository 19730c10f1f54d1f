//! The Client Registration interface (LwM2M Core TS §6.2, Transport TS §6.4): what Register,
//! Update and Deregister carry, and when Update is due.
//!
//! - Register is `POST /rd?ep=NAME&lt=SECS&lwm2m=VER&b=BINDING` (each as its own Uri-Query
//!   option), Content-Format 40, with the object links of the store: Security (0) and OSCORE (21)
//!   are never listed (Core TS §6.2.1), an object without instances is `</o>`, an object whose
//!   version is not 1.0 gets `</o>;ver=x.y` before its instances, unless that version needs a
//!   newer LwM2M enabler than the one announced ([`announced_object_version`]: under LwM2M 1.0
//!   the Server 1.2 and Device 1.2 objects are announced as `</1/0>`, `</3/0>`, i.e. the 1.0
//!   versions a 1.0 server knows). No `</>;ct=` link is sent: no
//!   `ct` means TLV, which the client serves, and some servers refuse `ct` values they do not know
//!   (PEERS.md); the format is negotiated per request from the Accept option instead.
//! - A Register (or Update) whose links do not fit one message (`Config::max_message_size`) is
//!   sent block-wise (Block1, RFC 7959: the same options and token in every block, 2.31
//!   Continue after each); the final response (2.01 with the location, or 2.04) answers the last
//!   block. Links above 64 KiB are not sent: the registration fails.
//! - Queue mode: LwM2M 1.0 announces it in the binding (`b=UQ`), 1.1 and later with a separate
//!   `Q` query parameter and `b=U` (Core TS 1.1 §6.2.1.1).
//! - Update is `POST /rd/<location>` with only what changed: `lt=` / `b=` when they changed, the
//!   object links when objects or instances changed, otherwise an empty payload.
//! - Timing ([`update_margin`]): the Update is sent `margin` before the lifetime ends, where
//!   margin = max(lifetime / 10, `MAX_TRANSMIT_WAIT`) but at most half the lifetime, so that all
//!   retransmissions of the Update fit before the server drops the registration.
//! - Failures (no answer after all retransmissions, or an error code) are retried after
//!   [`retry_delay`]: 10 s doubling up to 10 min.

use crate::prelude::*;
use core::time::Duration;

use crate::codec::link::{self, Link};
use crate::meta::ObjectMeta;
use crate::path::Path;
use crate::store::ObjectStore;

use super::{Binding, Config, LwM2mVersion};

/// Objects never listed in a registration: Security (0) and OSCORE (21).
const UNLISTED: [u16; 2] = [0, 21];

/// The link-format payload of a Register (or of an Update after objects changed) of a client
/// announcing `version`.
pub fn object_links(store: &ObjectStore, version: LwM2mVersion) -> String {
    let mut links = Vec::new();
    for meta in store.objects().filter(|m| !UNLISTED.contains(&m.id)) {
        let instances: Vec<u16> = store.instances(meta.id).collect();
        if let Some(ver) = announced_object_version(meta, version) {
            links.push(Link::to_path(&Path::object(meta.id)).with("ver", ver));
        } else if instances.is_empty() {
            links.push(Link::to_path(&Path::object(meta.id)));
        }
        links.extend(
            instances
                .into_iter()
                .map(|i| Link::to_path(&Path::instance(meta.id, i))),
        );
    }
    link::write(&links)
}

/// The `ver=` of an object's link (in a Register and a Discover) for a client announcing
/// `version`: the object's version when it is not 1.0 (Core TS 1.0 §5.3.1 and 1.1 §7.2.3 object
/// versioning), except for a version that needs a newer enabler than `version` (its
/// `LWM2MVersion`, as Server 1.2 needs LwM2M 1.2): a server of `version` knows only the objects
/// of its own enabler, so such an object is announced without `ver`, which stands for the
/// version that comes with the announced enabler (for the core objects 0-7 under LwM2M 1.0,
/// their 1.0 versions).
pub fn announced_object_version(meta: &ObjectMeta, version: LwM2mVersion) -> Option<&'static str> {
    if meta.version == "1.0" || meta.version.is_empty() {
        return None;
    }
    let needs = parse_version(meta.lwm2m_version).unwrap_or((1, 0));
    let announced = match version {
        LwM2mVersion::V1_0 => (1, 0),
        LwM2mVersion::V1_1 => (1, 1),
        LwM2mVersion::V1_2 => (1, 2),
    };
    (needs <= announced).then_some(meta.version)
}

/// `"x.y"` as numbers.
fn parse_version(text: &str) -> Option<(u16, u16)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The lifetime in whole seconds, at least 1.
pub fn lifetime_secs(lifetime: Duration) -> u64 {
    lifetime.as_secs().max(1)
}

/// The `b=` value announced for this configuration.
pub fn binding_param(config: &Config) -> &'static str {
    match (config.binding, config.lwm2m_version) {
        (Binding::UQ, LwM2mVersion::V1_0) => "UQ",
        _ => "U",
    }
}

/// The Uri-Query options of a Register, in order.
pub fn register_query(config: &Config) -> Vec<String> {
    register_query_with(config, config.lifetime)
}

/// [`register_query`] announcing `lifetime` instead of the configured one (a server account's
/// own lifetime), without a copy of the whole `Config`.
pub(crate) fn register_query_with(config: &Config, lifetime: Duration) -> Vec<String> {
    let mut query = vec![
        format!("ep={}", config.endpoint),
        format!("lt={}", lifetime_secs(lifetime)),
        format!("lwm2m={}", config.lwm2m_version),
        format!("b={}", binding_param(config)),
    ];
    if config.binding == Binding::UQ && config.lwm2m_version != LwM2mVersion::V1_0 {
        query.push("Q".to_owned());
    }
    query
}

/// How long before the end of the lifetime the Update is sent: see the module documentation.
pub fn update_margin(lifetime: Duration, max_transmit_wait: Duration) -> Duration {
    (lifetime / 10).max(max_transmit_wait).min(lifetime / 2)
}

/// The wait before retrying a failed registration, after `failures` consecutive failures (1 for
/// the first): 10 s, 20 s, 40 s... up to 10 min.
pub fn retry_delay(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(6);
    Duration::from_secs(10 << exponent).min(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::{Device, DeviceHandler, Security, Server};

    #[test]
    fn links_skip_security_and_version_objects() {
        let mut store = ObjectStore::new();
        store
            .insert(0, Security::no_sec("coap://x", 1), ())
            .unwrap_or_default();
        store.insert(0, Server::new(1, 60, "U"), ()).unwrap();
        store
            .insert(0, Device::demo(), DeviceHandler::default())
            .unwrap();
        let links = object_links(&store, LwM2mVersion::V1_1);
        assert!(!links.contains("</0"), "{links}");
        assert!(links.contains("</1/0>"), "{links}");
        assert!(links.contains("</3/0>"), "{links}");
    }

    #[test]
    fn margins_and_retries() {
        let wait = Duration::from_secs(93);
        assert_eq!(
            update_margin(Duration::from_secs(86400), wait),
            Duration::from_secs(8640)
        );
        assert_eq!(update_margin(Duration::from_secs(300), wait), wait);
        assert_eq!(
            update_margin(Duration::from_secs(60), wait),
            Duration::from_secs(30)
        );
        assert_eq!(retry_delay(1), Duration::from_secs(10));
        assert_eq!(retry_delay(2), Duration::from_secs(20));
        assert_eq!(retry_delay(30), Duration::from_secs(600));
    }

    #[test]
    fn queue_mode_per_version() {
        let server = "127.0.0.1:5683".parse().unwrap();
        let mut config = Config::new("ep", server);
        config.binding = Binding::UQ;
        config.lwm2m_version = LwM2mVersion::V1_0;
        assert_eq!(
            register_query(&config),
            ["ep=ep", "lt=86400", "lwm2m=1.0", "b=UQ"]
        );
        config.lwm2m_version = LwM2mVersion::V1_1;
        assert_eq!(
            register_query(&config),
            ["ep=ep", "lt=86400", "lwm2m=1.1", "b=U", "Q"]
        );
    }
}
