//! A simulated cellular modem for the ETS connectivity cases (int-1250): APN Connection
//! Profiles (object 11), creatable by a server, and Cellular Connectivity's Activated Profile
//! Names (`/10/0/11`) kept to the profiles whose Enable Status (`/11/x/3`) is true, as a
//! modem would report the profiles it activated.

use lwm2m::{Instances, ObjLnk, ObjectStore, Path};

use crate::objects::{Lwm2mApnConnectionProfile, Lwm2mCellularConnectivity};

/// Authentication Type (`/11/x/4`) PAP.
const PAP: i64 = 0;

/// Serves the default profile `/11/0` ("internet", enabled) and lets servers create more.
pub fn install(store: &mut ObjectStore) -> Result<(), lwm2m::Error> {
    store.insert(
        0,
        Lwm2mApnConnectionProfile {
            profile_name: "internet".to_owned(),
            apn: Some("internet".to_owned()),
            enable_status: Some(true),
            authentication_type: PAP,
            ..Lwm2mApnConnectionProfile::default()
        },
        (),
    )?;
    store.creatable(|| (Lwm2mApnConnectionProfile::default(), ()));
    Ok(())
}

/// Brings `/10/0/11` up to date with the enabled profiles: the path, when it changed.
pub fn sync(store: &mut ObjectStore) -> Option<Path> {
    let ids: Vec<u16> = store.instances(Lwm2mApnConnectionProfile::ID).collect();
    let mut active = Instances::new();
    let mut k = 0u16;
    for id in ids {
        let enabled = store
            .get::<Lwm2mApnConnectionProfile>(id)
            .is_some_and(|p| p.enable_status == Some(true));
        if enabled {
            active.insert(k, ObjLnk::new(Lwm2mApnConnectionProfile::ID, id));
            k += 1;
        }
    }
    let cellular = store.get_mut::<Lwm2mCellularConnectivity>(0)?;
    if cellular.activated_profile_names == active {
        return None;
    }
    cellular.activated_profile_names = active;
    Some(Path::resource(
        Lwm2mCellularConnectivity::ID,
        0,
        Lwm2mCellularConnectivity::ACTIVATED_PROFILE_NAMES,
    ))
}
