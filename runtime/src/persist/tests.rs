//! Snapshots written and restored, and every way a damaged one is refused with the store left
//! as it was.

use super::*;
use crate::objects::{Device, DeviceHandler};

/// A store as a bootstrap leaves it: the Bootstrap-Server account, a server account with a
/// PSK, its Server instance, and the Device.
fn provisioned() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::bootstrap("coap://127.0.0.1:5693"), ())
        .unwrap();
    let account = Security::psk("coaps://127.0.0.1:5684", 7, b"dev-1", &[1, 2, 3, 4]);
    store.insert(3, account, ()).unwrap();
    store.insert(2, Server::new(7, 300, "U"), ()).unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

/// The same device freshly started: only what the device itself configures.
fn fresh() -> ObjectStore {
    let mut store = ObjectStore::new();
    store
        .insert(0, Security::bootstrap("coap://127.0.0.1:5693"), ())
        .unwrap();
    store
        .insert(0, Device::demo(), DeviceHandler::default())
        .unwrap();
    store
}

#[test]
fn a_snapshot_restores_the_accounts_keys_included() {
    let mut source = provisioned();
    let bytes = snapshot(&mut source, &PROVISIONING).unwrap();
    assert_eq!(&bytes[..4], b"LwM2");
    let mut target = fresh();
    let restored = restore(&mut target, &bytes).unwrap();
    assert_eq!(restored.instances, [(0, 0), (0, 3), (1, 2)]);
    let account = target.get::<Security>(3).unwrap();
    assert_eq!(account.server_uri, "coaps://127.0.0.1:5684");
    assert_eq!(account.secret_key, [1, 2, 3, 4]);
    assert_eq!(account.short_server_id, Some(7));
    let server = target.get::<Server>(2).unwrap();
    assert_eq!((server.short_server_id, server.lifetime), (7, 300));
    // What the snapshot did not cover stays.
    assert!(target.instance(3, 0).is_some());
    // The same again from the restored store: byte for byte.
    assert_eq!(snapshot(&mut target, &PROVISIONING).unwrap(), bytes);
}

#[test]
fn damaged_foreign_and_truncated_snapshots_are_refused_and_change_nothing() {
    let mut source = provisioned();
    let bytes = snapshot(&mut source, &PROVISIONING).unwrap();
    let mut target = fresh();
    let untouched = snapshot(&mut target, &PROVISIONING).unwrap();

    let mut flipped = bytes.clone();
    flipped[20] ^= 0x40;
    assert_eq!(restore(&mut target, &flipped), Err(PersistError::Corrupted));
    assert_eq!(
        restore(&mut target, b"{\"not\": \"a snapshot\"}"),
        Err(PersistError::NotASnapshot)
    );
    let mut newer = bytes.clone();
    newer[4] = 2;
    assert_eq!(
        restore(&mut target, &newer),
        Err(PersistError::UnsupportedVersion(2))
    );
    for cut in [0, 3, 5, 8, 12, bytes.len() - 1] {
        assert!(restore(&mut target, &bytes[..cut]).is_err(), "cut at {cut}");
    }
    // A length that runs past the end, with a valid CRC: truncated, not a panic.
    let mut long = bytes[..bytes.len() - 4].to_vec();
    long[9..13].copy_from_slice(&u32::MAX.to_be_bytes());
    let crc = crc32fast::hash(&long);
    long.extend_from_slice(&crc.to_be_bytes());
    assert!(matches!(
        restore(&mut target, &long),
        Err(PersistError::Truncated(_))
    ));
    assert_eq!(snapshot(&mut target, &PROVISIONING).unwrap(), untouched);
}

#[test]
fn a_value_the_store_refuses_undoes_the_whole_restore() {
    let mut source = provisioned();
    // A second Server instance whose Short Server ID is out of its range 1..65534.
    let mut bad = Server::new(9, 60, "U");
    bad.short_server_id = 65535;
    source.insert(5, bad, ()).unwrap_or_default();
    let bytes = snapshot(&mut source, &PROVISIONING).unwrap();
    let mut target = fresh();
    let untouched = snapshot(&mut target, &PROVISIONING).unwrap();
    let refused = restore(&mut target, &bytes);
    assert!(
        matches!(
            refused,
            Err(PersistError::Refused { object: 1, .. })
                | Err(PersistError::Decode { object: 1, .. })
        ),
        "{refused:?}"
    );
    assert_eq!(snapshot(&mut target, &PROVISIONING).unwrap(), untouched);
    assert!(
        target.instance(0, 3).is_none(),
        "the account created first is gone again"
    );
}
