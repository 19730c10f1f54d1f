//! The server accounts of a store and the registration state the client keeps with each.
//!
//! A server account is a non-bootstrap Security instance (`/0/y`, Bootstrap-Server `/0/y/1`
//! false) and the Server instance (`/1/x`) with the same Short Server ID (`/0/y/10` =
//! `/1/x/0`). The client registers with every account ([`accounts`], in Security instance
//! order): the first is reached at [`Config::server`](super::Config::server) (compatible with a
//! one-server configuration whose Security URI names a host or another address), every account
//! at the address [`Config::server_addresses`](super::Config::server_addresses) gives for its
//! Short Server ID, otherwise at the IP literal of its Security URI (`coap://127.0.0.1:5684`).
//! An account after the first needs its Server instance; one whose URI names a host and has no
//! configured address is skipped (logged), as is a second account at the same address.
//! A store without accounts gets one anonymous session at `Config::server`.

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;
use core::time::Duration;

use crate::field::ResourceValue;
use crate::objects::Server;
use crate::store::ObjectStore;
use crate::value::Value;

use super::notify::Observations;

/// Which server of the client: its place in the engine's list of servers (stable until a
/// bootstrap rebuilds the list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct ServerId(pub u16);

impl ServerId {
    /// The ids of `count` servers, in order.
    pub(super) fn all(count: usize) -> impl Iterator<Item = ServerId> {
        (0..u16::try_from(count).unwrap_or(u16::MAX)).map(ServerId)
    }

    /// Its place in the list.
    pub(super) fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Where the registration with one server is in its life (Core TS §6.2): each state carries
/// its own data and deadline, so that no flag outlives the state it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
    /// Not started, or over until a bootstrap rebuilds the servers.
    Idle,
    /// A Register is in flight, or waits to be sent again.
    Registering {
        /// When to send the Register again after a failure.
        retry_at: Option<Instant>,
        /// An Update was asked for meanwhile (at this time): it follows the registration.
        update_wanted: Option<Instant>,
        /// Shutdown came while the Register was in flight: deregister once it is answered.
        deregister_after: bool,
    },
    /// The server accepted the registration.
    Registered {
        /// The registration's location path.
        location: Vec<String>,
        /// When the next Update is due (`None` while one is in flight).
        update_at: Option<Instant>,
        /// An Update was asked for (at this time): it goes on the next timeout.
        update_wanted: Option<Instant>,
        /// Queue mode: an Update was sent to wake up; held notifications wait for its answer.
        waking: bool,
    },
    /// Deregister is in flight.
    Deregistering {
        /// Disable (`/1/x/4`): once deregistered, the server is ignored until then.
        disable_until: Option<Instant>,
    },
    /// Disabled by the server (`/1/x/4`): silent until the Disable Timeout ends, then the
    /// client registers again.
    Disabled {
        /// When the Disable Timeout ends.
        until: Instant,
    },
    /// Done.
    Deregistered,
}

impl State {
    /// Registering, not yet sent again.
    #[cfg_attr(not(feature = "bootstrap"), allow(dead_code))]
    pub(super) fn registering() -> State {
        State::Registering {
            retry_at: None,
            update_wanted: None,
            deregister_after: false,
        }
    }

    /// Whether the server accepted the registration and it has not been removed.
    pub(super) fn is_registered(&self) -> bool {
        matches!(self, State::Registered { .. })
    }

    /// When the registration needs the engine next (its observations aside).
    pub(super) fn deadline(&self) -> Option<Instant> {
        match self {
            State::Registering { retry_at, .. } => *retry_at,
            State::Registered {
                update_at,
                update_wanted,
                ..
            } => update_wanted.or(*update_at),
            State::Disabled { until } => Some(*until),
            State::Idle | State::Deregistering { .. } | State::Deregistered => None,
        }
    }

    /// An Update was asked for at `now` (kept until registered when registering; nothing in
    /// the other states, whose next Register carries everything anyway).
    pub(super) fn want_update(&mut self, now: Instant) {
        if let State::Registering { update_wanted, .. } | State::Registered { update_wanted, .. } =
            self
        {
            update_wanted.get_or_insert(now);
        }
    }
}

/// A server account found in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Account {
    /// The Security instance (`/0/y`).
    pub security_instance: u16,
    /// The LwM2M Server URI (`/0/y/0`).
    pub uri: String,
    /// The Short Server ID (`/0/y/10`), if set.
    pub short_server_id: Option<u16>,
    /// The Server instance with the same Short Server ID (`/1/x`), if any.
    pub server_instance: Option<u16>,
}

/// A resource as an integer, signed or not.
fn integer(store: &mut ObjectStore, object: u16, instance: u16, resource: u16) -> Option<i64> {
    match store.read_internal(object, instance, resource) {
        Ok(ResourceValue::Single(Value::Integer(n))) => Some(n),
        Ok(ResourceValue::Single(Value::UnsignedInteger(n))) => i64::try_from(n).ok(),
        _ => None,
    }
}

/// Whether Security instance `instance` is the Bootstrap-Server account (`/0/x/1`).
pub(super) fn is_bootstrap_account(store: &mut ObjectStore, instance: u16) -> bool {
    matches!(
        store.read_internal(0, instance, 1),
        Ok(ResourceValue::Single(Value::Boolean(true)))
    )
}

/// The Security instances that are (`bootstrap`) or are not the Bootstrap-Server account, with
/// their URI, Short Server ID and matching Server instance, by Security instance id. An
/// instance without a URI is left out.
pub(super) fn security_accounts(store: &mut ObjectStore, bootstrap: bool) -> Vec<Account> {
    let security: Vec<u16> = store.instances(0).collect();
    let servers: Vec<u16> = store.instances(1).collect();
    let server_ids: Vec<(u16, Option<i64>)> = servers
        .into_iter()
        .map(|x| (x, integer(store, 1, x, 0)))
        .collect();
    let mut found = Vec::new();
    for y in security {
        if is_bootstrap_account(store, y) != bootstrap {
            continue;
        }
        let Ok(ResourceValue::Single(Value::String(uri))) = store.read_internal(0, y, 0) else {
            continue;
        };
        let ssid = integer(store, 0, y, 10);
        let server_instance = ssid.and_then(|ssid| {
            server_ids
                .iter()
                .find(|(_, id)| *id == Some(ssid))
                .map(|(x, _)| *x)
        });
        found.push(Account {
            security_instance: y,
            uri,
            short_server_id: ssid.and_then(|n| u16::try_from(n).ok()),
            server_instance,
        });
    }
    found
}

/// The server accounts: non-bootstrap Security instances (see the module documentation).
pub(super) fn accounts(store: &mut ObjectStore) -> Vec<Account> {
    security_accounts(store, false)
}

/// How many complete server accounts (Security and Server instance) the store holds: Access
/// Control is enforced above one.
pub(super) fn complete_accounts(store: &mut ObjectStore) -> usize {
    accounts(store)
        .iter()
        .filter(|a| a.server_instance.is_some())
        .count()
}

/// What the client reads of a Server instance (`/1/x`, Core TS Appendix E.2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ServerSettings {
    /// Lifetime (`/1/x/1`), seconds, when positive.
    pub lifetime: Option<u64>,
    /// Default Minimum Period (`/1/x/2`), seconds.
    pub default_min_period: Option<u32>,
    /// Default Maximum Period (`/1/x/3`), seconds.
    pub default_max_period: Option<u32>,
    /// Disable Timeout (`/1/x/5`), seconds.
    pub disable_timeout: Option<u64>,
    /// Mute Send (`/1/x/23`).
    pub mute_send: bool,
}

impl ServerSettings {
    /// The settings of Server instance `instance`: through the typed built-in [`Server`] when
    /// the store holds it (what the client and a bootstrap create), otherwise resource by
    /// resource, so that a Server type generated from the registry or written by the user
    /// works the same. `None` without such an instance.
    pub(super) fn of(store: &mut ObjectStore, instance: u16) -> Option<ServerSettings> {
        if let Some(server) = store.get::<Server>(instance) {
            return Some(ServerSettings {
                lifetime: Some(u64::from(server.lifetime)).filter(|s| *s > 0),
                default_min_period: server.default_min_period,
                default_max_period: server.default_max_period,
                disable_timeout: server.disable_timeout.map(u64::from),
                mute_send: server.mute_send.unwrap_or(false),
            });
        }
        store.instance(Server::ID, instance)?;
        let mut number = |resource| integer(store, Server::ID, instance, resource);
        let lifetime = number(Server::LIFETIME);
        let default_min_period = number(Server::DEFAULT_MIN_PERIOD);
        let default_max_period = number(Server::DEFAULT_MAX_PERIOD);
        let disable_timeout = number(Server::DISABLE_TIMEOUT);
        Some(ServerSettings {
            lifetime: lifetime
                .and_then(|s| u64::try_from(s).ok())
                .filter(|s| *s > 0),
            default_min_period: default_min_period.and_then(|s| u32::try_from(s).ok()),
            default_max_period: default_max_period.and_then(|s| u32::try_from(s).ok()),
            disable_timeout: disable_timeout.and_then(|s| u64::try_from(s).ok()),
            mute_send: matches!(
                store.read_internal(Server::ID, instance, Server::MUTE_SEND),
                Ok(ResourceValue::Single(Value::Boolean(true)))
            ),
        })
    }
}

/// The Lifetime (`/1/x/1`) of Server instance `x`, when positive.
pub(super) fn lifetime_of(store: &mut ObjectStore, server_instance: u16) -> Option<Duration> {
    ServerSettings::of(store, server_instance)?
        .lifetime
        .map(Duration::from_secs)
}

/// The address of a secondary account: its configured address, else its URI's IP literal.
pub(super) fn address_of(
    account: &Account,
    configured: &alloc::collections::BTreeMap<u16, SocketAddr>,
) -> Option<SocketAddr> {
    if let Some(address) = account
        .short_server_id
        .and_then(|ssid| configured.get(&ssid))
    {
        return Some(*address);
    }
    account_uri(&account.uri).ok()?.socket_addr()
}

/// The registration with one server.
#[derive(Debug)]
pub(super) struct Session {
    /// The server's Short Server ID (`None`: a store without server accounts).
    pub short_server_id: Option<u16>,
    /// Its Server instance (`/1/x`), if any.
    pub server_instance: Option<u16>,
    /// Where it is.
    pub address: SocketAddr,
    /// The registration lifetime to announce.
    pub lifetime: Duration,
    /// Where its registration is.
    pub state: State,
    /// Consecutive failures of Register and Update (the back-off of retries).
    pub failures: u32,
    /// The object links the server was last sent.
    pub links_sent: String,
    /// The lifetime the server was last sent, seconds.
    pub lifetime_sent: u64,
    /// This server's observations and Write-Attributes values.
    pub observations: Observations,
}

impl Session {
    /// A session not started yet.
    pub(super) fn new(
        short_server_id: Option<u16>,
        server_instance: Option<u16>,
        address: SocketAddr,
        lifetime: Duration,
    ) -> Session {
        Session {
            short_server_id,
            server_instance,
            address,
            lifetime,
            state: State::Idle,
            failures: 0,
            links_sent: String::new(),
            lifetime_sent: 0,
            observations: Observations::default(),
        }
    }
}

/// The URI of a server account: [`parse_uri`](crate::uri::parse_uri), and with the `dtls`
/// feature `coaps://` too (port 5684 when none is given), which the driver's DTLS transport
/// secures with the account's Security instance (`lwm2m::net::dtls::SecureTransport`).
pub(super) fn account_uri(uri: &str) -> Result<crate::uri::ServerUri, crate::uri::UriError> {
    #[cfg(feature = "dtls")]
    if let Some((scheme, rest)) = uri.split_once("://")
        && scheme.eq_ignore_ascii_case("coaps")
    {
        let mut parsed = crate::uri::parse_uri(&format!("coap://{rest}"))?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if !authority.ends_with(&format!(":{}", parsed.port)) {
            parsed.port = 5684;
        }
        return Ok(parsed);
    }
    crate::uri::parse_uri(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Server object of the user's own (as generated from the registry): only its id and the
    /// resources the client reads.
    #[derive(Debug, Clone, Default, lwm2m_derive::Object)]
    #[lwm2m(crate = "crate", id = 1, name = "LwM2M Server", multiple, mandatory)]
    struct OwnServer {
        #[lwm2m(id = 1, name = "Lifetime", op = "RW", kind = "Integer", mandatory)]
        lifetime: i64,
        #[lwm2m(id = 3, name = "Default Maximum Period", op = "RW", kind = "Integer")]
        default_maximum_period: Option<i64>,
        #[lwm2m(id = 23, name = "Mute Send", op = "RW", kind = "Boolean")]
        mute_send: Option<bool>,
    }

    #[test]
    fn server_settings_come_from_the_typed_server_or_resource_by_resource() {
        let mut store = ObjectStore::new();
        let mut server = Server::new(1, 300, "U");
        server.default_max_period = Some(60);
        server.disable_timeout = Some(30);
        store.insert(0, server, ()).expect("a Server instance");
        let typed = ServerSettings::of(&mut store, 0).expect("instance 0");
        assert_eq!(typed.lifetime, Some(300));
        assert_eq!(typed.default_max_period, Some(60));
        assert_eq!(typed.disable_timeout, Some(30));
        assert!(!typed.mute_send);
        assert_eq!(ServerSettings::of(&mut store, 1), None);

        let mut own = ObjectStore::new();
        let server = OwnServer {
            lifetime: 120,
            default_maximum_period: Some(15),
            mute_send: Some(true),
        };
        own.insert(4, server, ()).expect("a Server instance");
        let settings = ServerSettings::of(&mut own, 4).expect("instance 4");
        assert_eq!(settings.lifetime, Some(120));
        assert_eq!(settings.default_max_period, Some(15));
        assert_eq!(settings.default_min_period, None);
        assert!(settings.mute_send);
        let zero = OwnServer::default();
        own.insert(5, zero, ()).expect("a second instance");
        assert_eq!(
            ServerSettings::of(&mut own, 5).map(|s| s.lifetime),
            Some(None)
        );
    }

    #[test]
    fn each_state_carries_its_own_deadline() {
        let at = Instant::from_millis(5_000);
        let later = Instant::from_millis(9_000);
        assert_eq!(State::Idle.deadline(), None);
        assert_eq!(State::registering().deadline(), None);
        let retrying = State::Registering {
            retry_at: Some(at),
            update_wanted: None,
            deregister_after: false,
        };
        assert_eq!(retrying.deadline(), Some(at));
        let registered = State::Registered {
            location: vec!["rd".to_owned(), "1".to_owned()],
            update_at: Some(later),
            update_wanted: None,
            waking: false,
        };
        assert!(registered.is_registered());
        assert_eq!(registered.deadline(), Some(later));
        assert_eq!(State::Disabled { until: at }.deadline(), Some(at));
        assert_eq!(
            State::Deregistering {
                disable_until: Some(at)
            }
            .deadline(),
            None
        );
    }

    #[test]
    fn a_wanted_update_survives_registering_and_goes_first_once_registered() {
        let at = Instant::from_millis(1_000);
        let mut state = State::registering();
        state.want_update(at);
        state.want_update(Instant::from_millis(2_000));
        assert!(matches!(
            state,
            State::Registering {
                update_wanted: Some(t),
                ..
            } if t == at
        ));
        let mut registered = State::Registered {
            location: Vec::new(),
            update_at: Some(Instant::from_millis(60_000)),
            update_wanted: None,
            waking: false,
        };
        registered.want_update(at);
        assert_eq!(registered.deadline(), Some(at));
        let mut disabled = State::Disabled { until: at };
        disabled.want_update(at);
        assert_eq!(disabled, State::Disabled { until: at });
    }
}
