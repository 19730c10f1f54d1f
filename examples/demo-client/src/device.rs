//! The demo device's objects: Security (0), Server (1), Device (3), Temperature (3303) and
//! Light Control (3311), in one [`ObjectStore`].

use lwm2m::Instant;

use lwm2m::objects::{AccessControl, Device, DeviceHandler, Security, Server};
use lwm2m::{Error, Object, ObjectStore, Path};

use crate::cli::Psk;
use crate::light::{self, Lamp};
use crate::objects::{
    BinaryAppDataContainer, ConnectivityMonitoring, EventLog, LightControl, Location,
    Lwm2mCellularConnectivity, Portfolio, Temperature,
};
use crate::temperature::{self, Sensor, Thermometer};

/// The Short Server ID of the demo's LwM2M server account.
pub const SHORT_SERVER_ID: u16 = 1;
/// The Temperature instance.
pub const TEMPERATURE_INSTANCE: u16 = 0;
/// The Light Control instance.
pub const LIGHT_INSTANCE: u16 = 0;

/// The instance id of the demo's Binary App Data Container (19): a payload larger than one CoAP
/// message, so reading `/19/0/0` exercises block-wise transfer (RFC 7959).
pub const BLOB_INSTANCE: u16 = 0;

/// The size of the demo's binary payload `/19/0/0/0`, in bytes.
pub const BLOB_LEN: usize = 3000;

/// The demo's binary payload: byte `i` is `(7 i + 3) mod 256`, so a reader can check every byte.
pub fn blob() -> Vec<u8> {
    (0..BLOB_LEN).map(|i| ((i * 7 + 3) % 256) as u8).collect()
}

/// How the demo reaches its server.
#[derive(Debug, Clone)]
pub struct Account {
    /// The server URI, such as `coap://127.0.0.1:5683`.
    pub server_uri: String,
    /// More LwM2M servers (NoSec, not with `bootstrap`): Short Server IDs 2, 3, ...
    pub more_server_uris: Vec<String>,
    /// `true`: the URI is a Bootstrap-Server, which provisions the LwM2M server account.
    pub bootstrap: bool,
    /// The registration lifetime, in seconds.
    pub lifetime_s: u32,
    /// The binding, such as `"U"`.
    pub binding: String,
    /// The PSK identity and key (Security mode 0) of a `coaps://` server; `None`: NoSec.
    pub psk: Option<Psk>,
    /// The PSK identities and keys of the servers after the first, in the same order (empty:
    /// NoSec).
    pub more_psks: Vec<Psk>,
}

/// The store of the demo device, measuring from `now`.
///
/// With a plain account: Security `/0/0` (NoSec to the server, or PSK when the account has a
/// key), Server `/1/0` (SSID
/// [`SHORT_SERVER_ID`]). With a bootstrap account: only the Bootstrap-Server's Security `/0/0`;
/// Security and Server instances are creatable, for the Bootstrap-Server's writes. With more
/// servers: a Security and a Server instance each, and Access Control instances (owned by the
/// first server) that give every server every right on every instance and the right to create
/// instances of every object.
pub fn store(account: &Account, now: Instant) -> Result<ObjectStore, Error> {
    let mut store = ObjectStore::new();
    if account.bootstrap {
        let mut security = Security::bootstrap(&account.server_uri);
        if let Some((identity, key)) = &account.psk {
            security.security_mode = Security::MODE_PSK;
            security.public_key_or_identity.clone_from(identity);
            security.secret_key.clone_from(key);
        }
        store.insert(0, security, ())?;
        store.creatable(|| (Security::default(), ()));
        store.creatable(|| (Server::default(), ()));
    } else {
        let security = match &account.psk {
            Some((identity, key)) => {
                Security::psk(&account.server_uri, SHORT_SERVER_ID, identity, key)
            }
            None => Security::no_sec(&account.server_uri, SHORT_SERVER_ID),
        };
        store.insert(0, security, ())?;
        store.insert(
            0,
            Server::new(SHORT_SERVER_ID, account.lifetime_s, &account.binding),
            (),
        )?;
    }
    store.insert(0, Device::demo(), DeviceHandler::default())?;
    let sensor = Sensor::new(now);
    store.insert(
        TEMPERATURE_INSTANCE,
        temperature::initial(&sensor, now),
        Thermometer::new(sensor),
    )?;
    // A server may create more temperature sensors (POST /3303); each reads the same simulated
    // sensor, so an observation of any of them shows something.
    store.creatable(move || (temperature::initial(&sensor, now), Thermometer::new(sensor)));
    store.insert(LIGHT_INSTANCE, light::initial(), Lamp::new())?;
    store.insert(
        BLOB_INSTANCE,
        BinaryAppDataContainer {
            data: [(0, blob())].into_iter().collect(),
            data_description: Some("demo payload".to_owned()),
            ..BinaryAppDataContainer::default()
        },
        (),
    )?;
    // An empty Event Log (ETS int-2001 reads it, int-2000 starts and stops it).
    store.insert(
        0,
        EventLog {
            log_class: Some(0),
            log_status: Some(0),
            log_data: Vec::new(),
            log_data_format: Some(0),
            ..EventLog::default()
        },
        crate::event_log::Logger,
    )?;
    // A second, small container for servers to write (ETS int-1901).
    let mut small = lwm2m::Instances::new();
    small.insert(0, vec![0]);
    store.insert(
        BLOB_INSTANCE + 1,
        BinaryAppDataContainer {
            data: small,
            ..BinaryAppDataContainer::default()
        },
        (),
    )?;
    // Objects the ETS configurations read (C.7 Connectivity Monitoring, C.8 Location, C.12
    // Portfolio): fixed demo values; a server may create and delete Portfolio instances.
    store.insert(0, connectivity(), ())?;
    store.insert(
        crate::statistics::STATISTICS_INSTANCE,
        crate::statistics::initial(),
        crate::statistics::Collector::default(),
    )?;
    let mut profiles = lwm2m::Instances::new();
    profiles.insert(0, lwm2m::ObjLnk::new(11, 0));
    store.insert(
        0,
        Lwm2mCellularConnectivity {
            psm_timer: Some(3600),
            active_timer: Some(60),
            // Octet 3 of 3GPP TS 24.008 §10.5.5.32: paging time window 2.56 s, eDRX 20.48 s.
            edrx_parameters_for_wb_s1_mode: Some(vec![0x02]),
            edrx_parameters_for_nb_s1_mode: Some(vec![0x02]),
            activated_profile_names: profiles,
            supported_power_saving_modes: Some(3),
            active_power_saving_modes: Some(1),
            release_assistance_indication_usage: Some(0),
            ..Lwm2mCellularConnectivity::default()
        },
        (),
    )?;
    store.insert(
        0,
        Location {
            latitude: 52.5163,
            longitude: 13.3777,
            timestamp: lwm2m::Time(1_700_000_000),
            ..Location::default()
        },
        (),
    )?;
    let mut identity = lwm2m::Instances::new();
    for (i, part) in (0..).zip([
        "Host Device ID #1",
        "Host Device Manufacturer #1",
        "Host Device Model #1",
        "Host Device Software Version #1",
    ]) {
        identity.insert(i, part.to_owned());
    }
    store.insert(
        0,
        Portfolio {
            identity,
            ..Portfolio::default()
        },
        (),
    )?;
    store.creatable(|| (Portfolio::default(), ()));
    crate::modem::install(&mut store)?;
    if !account.bootstrap && !account.more_server_uris.is_empty() {
        add_servers(&mut store, account)?;
    }
    Ok(store)
}

/// The Connectivity Monitoring instance: one Ethernet bearer (41) on loopback.
fn connectivity() -> ConnectivityMonitoring {
    let mut bearers = lwm2m::Instances::new();
    bearers.insert(0, 41);
    let mut addresses = lwm2m::Instances::new();
    addresses.insert(0, "127.0.0.1".to_owned());
    ConnectivityMonitoring {
        network_bearer: 41,
        available_network_bearer: bearers,
        radio_signal_strength: 0,
        link_quality: Some(100),
        ip_addresses: addresses,
        ..ConnectivityMonitoring::default()
    }
}

/// The accounts of the servers after the first, and Access Control instances open to all.
fn add_servers(store: &mut ObjectStore, account: &Account) -> Result<(), Error> {
    for (instance, uri) in (1..).zip(&account.more_server_uris) {
        let ssid = SHORT_SERVER_ID + instance;
        let security = match account.more_psks.get(usize::from(instance - 1)) {
            Some((identity, key)) => Security::psk(uri, ssid, identity, key),
            None => Security::no_sec(uri, ssid),
        };
        store.insert(instance, security, ())?;
        store.insert(
            instance,
            Server::new(ssid, account.lifetime_s, &account.binding),
            (),
        )?;
    }
    let targets: Vec<(u16, u16)> = store
        .objects()
        .filter(|m| m.id != 0 && m.id != 2)
        .flat_map(|m| {
            let instances: Vec<u16> = store.instances(m.id).collect();
            instances
                .into_iter()
                .chain([u16::MAX])
                .map(move |i| (m.id, i))
        })
        .collect();
    for (aco, (object, instance)) in (0..).zip(targets) {
        let rights = if instance == u16::MAX {
            AccessControl::new(object, instance, AccessControl::BOOTSTRAP_OWNER)
                .with_acl(0, AccessControl::CREATE)
        } else {
            AccessControl::new(object, instance, SHORT_SERVER_ID).with_acl(0, AccessControl::ALL)
        };
        store.insert(aco, rights, ())?;
    }
    Ok(())
}

/// Takes a new temperature measurement into the store: the paths whose value changed, for
/// `Client::resource_changed`.
pub fn measure(store: &mut ObjectStore, sensor: &Sensor, now: Instant) -> Vec<Path> {
    let Some(temperature) = store.get_mut::<Temperature>(TEMPERATURE_INSTANCE) else {
        return Vec::new();
    };
    temperature::record(temperature, sensor.value_at(now))
        .resources()
        .map(|r| Temperature::resource_path(TEMPERATURE_INSTANCE, r))
        .collect()
}

/// Whether the light is on (for the logs).
pub fn light_is_on(store: &ObjectStore) -> bool {
    store
        .get::<LightControl>(LIGHT_INSTANCE)
        .is_some_and(|l| l.on_off)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lwm2m::{ExecuteArgs, ResourceValue, Value, WriteMode};

    use super::*;

    fn account(bootstrap: bool) -> Account {
        Account {
            more_server_uris: Vec::new(),
            server_uri: "coap://127.0.0.1:5683".to_owned(),
            bootstrap,
            lifetime_s: 300,
            binding: "U".to_owned(),
            psk: None,
            more_psks: Vec::new(),
        }
    }

    #[test]
    fn a_psk_account_puts_its_key_in_the_security_object() {
        let mut account = account(false);
        account.psk = Some((b"dev-1".to_vec(), vec![1, 2, 3]));
        let store = store(&account, Instant::now()).unwrap();
        let security = store.get::<Security>(0).unwrap();
        assert_eq!(security.security_mode, Security::MODE_PSK);
        assert_eq!(security.public_key_or_identity, b"dev-1");
        assert_eq!(security.secret_key, [1, 2, 3]);
    }

    #[test]
    fn a_second_server_gets_an_account_and_open_access_control() {
        let mut account = account(false);
        account.more_server_uris = vec!["coap://127.0.0.1:5783".to_owned()];
        let store = store(&account, Instant::now()).unwrap();
        assert_eq!(store.get::<Security>(1).unwrap().short_server_id, Some(2));
        assert_eq!(store.get::<Server>(1).unwrap().short_server_id, 2);
        let acos: Vec<&AccessControl> = store
            .instances(2)
            .filter_map(|i| store.get::<AccessControl>(i))
            .collect();
        let device = acos
            .iter()
            .find(|a| a.object_id == 3 && a.object_instance_id == 0)
            .unwrap();
        assert_eq!(device.rights(2), AccessControl::ALL);
        let create = acos
            .iter()
            .find(|a| a.object_id == Temperature::ID && a.object_instance_id == u16::MAX)
            .unwrap();
        assert_eq!(create.rights(2), AccessControl::CREATE);
        assert!(!acos.iter().any(|a| a.object_id == 0));
    }

    #[test]
    fn more_coaps_servers_get_their_own_keys() {
        let mut account = account(false);
        account.server_uri = "coaps://127.0.0.1:5684".to_owned();
        account.psk = Some((b"dev-a".to_vec(), vec![0xa]));
        account.more_server_uris = vec!["coaps://127.0.0.1:5784".to_owned()];
        account.more_psks = vec![(b"dev-b".to_vec(), vec![0xb])];
        let store = store(&account, Instant::now()).unwrap();
        for (instance, identity, key) in [(0, b"dev-a", 0xa), (1, b"dev-b", 0xb)] {
            let security = store.get::<Security>(instance).unwrap();
            assert_eq!(security.security_mode, Security::MODE_PSK);
            assert_eq!(security.short_server_id, Some(instance + 1));
            assert_eq!(security.public_key_or_identity, identity);
            assert_eq!(security.secret_key, [key]);
        }
    }

    #[test]
    fn plain_store_has_the_thirteen_objects() {
        let mut store = store(&account(false), Instant::now()).unwrap();
        let ids: Vec<u16> = store.objects().map(|m| m.id).collect();
        assert_eq!(ids, [0, 1, 3, 4, 6, 7, 10, 11, 16, 19, 20, 3303, 3311]);
        assert_eq!(
            store.read(19, BLOB_INSTANCE, 0).unwrap(),
            ResourceValue::Multiple([(0, Value::Opaque(blob()))].into_iter().collect())
        );
        assert_eq!(
            store.read(1, 0, 1).unwrap(),
            ResourceValue::Single(Value::Integer(300))
        );
        let security = store.get::<Security>(0).unwrap();
        assert_eq!(security.server_uri, "coap://127.0.0.1:5683");
        assert_eq!(security.security_mode, Security::MODE_NO_SEC);
        assert!(!security.bootstrap_server);
        assert!(matches!(
            store
                .read(Temperature::ID, 0, Temperature::SENSOR_VALUE)
                .unwrap(),
            ResourceValue::Single(Value::Float(_))
        ));
    }

    #[test]
    fn bootstrap_store_lets_the_bootstrap_server_provision() {
        let mut store = store(&account(true), Instant::now()).unwrap();
        assert_eq!(store.instances(1).count(), 0);
        assert!(store.get::<Security>(0).unwrap().bootstrap_server);
        let id = store
            .create(
                1,
                Some(0),
                vec![
                    (1, ResourceValue::Single(Value::Integer(60))),
                    (6, ResourceValue::Single(Value::Boolean(false))),
                    (7, ResourceValue::Single(Value::String("U".to_owned()))),
                ],
            )
            .unwrap();
        assert_eq!(id, 0);
    }

    #[test]
    fn light_is_writable_and_range_checked() {
        let mut store = store(&account(false), Instant::now()).unwrap();
        store
            .write(
                LightControl::ID,
                0,
                vec![
                    (
                        LightControl::ON_OFF,
                        ResourceValue::Single(Value::Boolean(true)),
                    ),
                    (
                        LightControl::DIMMER,
                        ResourceValue::Single(Value::Integer(40)),
                    ),
                ],
                WriteMode::Update,
            )
            .unwrap();
        assert!(light_is_on(&store));
        let refused = store.write(
            LightControl::ID,
            0,
            vec![(
                LightControl::DIMMER,
                ResourceValue::Single(Value::Integer(101)),
            )],
            WriteMode::Update,
        );
        assert_eq!(refused.map_err(|e| e.coap_code()), Err((4, 0)));
        assert_eq!(
            store
                .read(LightControl::ID, 0, LightControl::DIMMER)
                .unwrap(),
            ResourceValue::Single(Value::Integer(40))
        );
    }

    #[test]
    fn measuring_changes_the_value_and_reset_works_through_the_store() {
        let start = Instant::now();
        let sensor = Sensor::new(start);
        let mut store = store(&account(false), start).unwrap();
        let changed: Vec<Path> = (1..=30)
            .flat_map(|s| measure(&mut store, &sensor, start + Duration::from_secs(s)))
            .collect();
        assert!(changed.contains(&Temperature::resource_path(0, Temperature::SENSOR_VALUE)));
        assert!(changed.contains(&Temperature::resource_path(
            0,
            Temperature::MAX_MEASURED_VALUE
        )));
        let t = store.get::<Temperature>(0).unwrap();
        assert!(t.min_measured_value < t.max_measured_value);
        store
            .execute(
                Temperature::ID,
                0,
                Temperature::RESET_MIN_AND_MAX_MEASURED_VALUES,
                &ExecuteArgs::new(),
            )
            .unwrap();
        let t = store.get::<Temperature>(0).unwrap();
        assert_eq!(t.min_measured_value, Some(t.sensor_value));
        assert_eq!(t.max_measured_value, Some(t.sensor_value));
    }
}
