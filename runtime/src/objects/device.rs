//! The LwM2M Device object (3): what the device is, and its reboot and reset functions.

use crate::error::Error;
use crate::execute::ExecuteArgs;
use crate::field::{Executable, Instances};
use crate::handler::Handler;
use crate::prelude::*;
use crate::value::{ObjLnk, Time};

/// LwM2M Device (object 3, version 1.2, `urn:oma:lwm2m:oma:3:1.2`): the device's identity, power,
/// memory, errors and clock, with Reboot and Factory Reset.
///
/// Build the demo device with [`Device::demo`]. The fields hold the values a server reads; live
/// values come from a [`Handler`]: [`DeviceHandler`] keeps Current Time running and implements
/// Reboot and Reset Error Code.
#[derive(Debug, Clone, PartialEq, Default, lwm2m_derive::Object)]
#[lwm2m(
    crate = "crate",
    id = 3,
    name = "Device",
    version = "1.2",
    lwm2m_version = "1.1",
    urn = "urn:oma:lwm2m:oma:3:1.2",
    mandatory
)]
pub struct Device {
    /// Manufacturer (0): the human-readable manufacturer name.
    #[lwm2m(id = 0, name = "Manufacturer", op = "R", kind = "String")]
    pub manufacturer: Option<String>,
    /// Model Number (1): the manufacturer's model identifier.
    #[lwm2m(id = 1, name = "Model Number", op = "R", kind = "String")]
    pub model_number: Option<String>,
    /// Serial Number (2): the device's serial number.
    #[lwm2m(id = 2, name = "Serial Number", op = "R", kind = "String")]
    pub serial_number: Option<String>,
    /// Firmware Version (3): the current firmware version.
    #[lwm2m(id = 3, name = "Firmware Version", op = "R", kind = "String")]
    pub firmware_version: Option<String>,
    /// Reboot (4): reboot the device.
    #[lwm2m(id = 4, name = "Reboot", op = "E", mandatory)]
    pub reboot: Executable,
    /// Factory Reset (5): reset the device to its initial deployment state.
    #[lwm2m(id = 5, name = "Factory Reset", op = "E")]
    pub factory_reset: Executable,
    /// Available Power Sources (6): 0 DC, 1 internal battery, 2 external battery, 3 fuel cell,
    /// 4 PoE, 5 USB, 6 AC mains, 7 solar; instance ids shared with resources 7 and 8.
    #[lwm2m(
        id = 6,
        name = "Available Power Sources",
        op = "R",
        kind = "Integer",
        multiple,
        range = "0..7",
        min = "0",
        max = "7"
    )]
    pub power_sources: Option<Instances<u8>>,
    /// Power Source Voltage (7): the voltage of each power source, in mV.
    #[lwm2m(
        id = 7,
        name = "Power Source Voltage",
        op = "R",
        kind = "Integer",
        multiple
    )]
    pub power_source_voltage: Option<Instances<i64>>,
    /// Power Source Current (8): the current of each power source, in mA.
    #[lwm2m(
        id = 8,
        name = "Power Source Current",
        op = "R",
        kind = "Integer",
        multiple
    )]
    pub power_source_current: Option<Instances<i64>>,
    /// Battery Level (9): the internal battery's charge, in percent.
    #[lwm2m(
        id = 9,
        name = "Battery Level",
        op = "R",
        kind = "Integer",
        units = "/100",
        range = "0..100",
        min = "0",
        max = "100"
    )]
    pub battery_level: Option<u8>,
    /// Memory Free (10): available storage, in kilobytes (1000 bytes).
    #[lwm2m(id = 10, name = "Memory Free", op = "R", kind = "Integer")]
    pub memory_free: Option<i64>,
    /// Error Code (11): the current errors: instance 0 is 0 when there is none; 1 low battery,
    /// 2 external power off, 3 GPS failure, 4 low signal, 5 out of memory, 6 SMS failure,
    /// 7 IP connectivity failure, 8 peripheral malfunction, 16..32 device specific.
    #[lwm2m(
        id = 11,
        name = "Error Code",
        op = "R",
        kind = "Integer",
        mandatory,
        multiple,
        range = "0..32",
        min = "0",
        max = "32"
    )]
    pub error_code: Instances<u8>,
    /// Reset Error Code (12): clear every error code, back to a single 0.
    #[lwm2m(id = 12, name = "Reset Error Code", op = "E")]
    pub reset_error_code: Executable,
    /// Current Time (13): the device's Unix time; a server may write it to synchronise the clock.
    #[lwm2m(id = 13, name = "Current Time", op = "RW", kind = "Time")]
    pub current_time: Option<Time>,
    /// UTC Offset (14): the UTC offset in effect, such as `"+02:00"` (ISO 8601).
    #[lwm2m(id = 14, name = "UTC Offset", op = "RW", kind = "String")]
    pub utc_offset: Option<String>,
    /// Timezone (15): the IANA time zone, such as `"Europe/Paris"`.
    #[lwm2m(id = 15, name = "Timezone", op = "RW", kind = "String")]
    pub timezone: Option<String>,
    /// Supported Binding and Modes (16): the bindings the client supports, such as `"U"`.
    #[lwm2m(
        id = 16,
        name = "Supported Binding and Modes",
        op = "R",
        kind = "String",
        mandatory
    )]
    pub supported_binding_and_modes: String,
    /// Device Type (17): the manufacturer's device type, such as `"smart meter"`.
    #[lwm2m(id = 17, name = "Device Type", op = "R", kind = "String")]
    pub device_type: Option<String>,
    /// Hardware Version (18): the current hardware version.
    #[lwm2m(id = 18, name = "Hardware Version", op = "R", kind = "String")]
    pub hardware_version: Option<String>,
    /// Software Version (19): the current software version.
    #[lwm2m(id = 19, name = "Software Version", op = "R", kind = "String")]
    pub software_version: Option<String>,
    /// Battery Status (20): 0 normal, 1 charging, 2 charge complete, 3 damaged, 4 low,
    /// 5 not installed, 6 unknown.
    #[lwm2m(
        id = 20,
        name = "Battery Status",
        op = "R",
        kind = "Integer",
        range = "0..6",
        min = "0",
        max = "6"
    )]
    pub battery_status: Option<u8>,
    /// Memory Total (21): total storage, in kilobytes (1000 bytes).
    #[lwm2m(id = 21, name = "Memory Total", op = "R", kind = "Integer")]
    pub memory_total: Option<i64>,
    /// ExtDevInfo (22): links to external Device instances, such as the host device.
    #[lwm2m(id = 22, name = "ExtDevInfo", op = "R", kind = "Objlnk", multiple)]
    pub ext_dev_info: Option<Instances<ObjLnk>>,
}

// `Device::REBOOT` (4), `Device::RESET_ERROR_CODE` (12), `Device::CURRENT_TIME` (13) and the other
// resource ids are the derive's constants.
impl Device {
    /// The manufacturer of [`Device::demo`].
    pub const DEMO_MANUFACTURER: &'static str = "lwm2m-rs";
    /// The model number of [`Device::demo`].
    pub const DEMO_MODEL_NUMBER: &'static str = "lwm2m-rs-demo";
    /// The serial number of [`Device::demo`].
    pub const DEMO_SERIAL_NUMBER: &'static str = "0001";

    /// The demo device of ETS configuration C.1: manufacturer, model number, serial number,
    /// firmware version (this crate's version), error code `{0: 0}` (no error), supported binding
    /// `"U"`, and the current time (kept running by [`DeviceHandler`]).
    pub fn demo() -> Device {
        Device {
            manufacturer: Some(Self::DEMO_MANUFACTURER.to_owned()),
            model_number: Some(Self::DEMO_MODEL_NUMBER.to_owned()),
            serial_number: Some(Self::DEMO_SERIAL_NUMBER.to_owned()),
            firmware_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            error_code: no_error(),
            // The time at construction: live values come from a Handler (runtime/src/handler.rs);
            // `DeviceHandler` refreshes this one on each read.
            current_time: Some(system_time()),
            supported_binding_and_modes: "U".to_owned(),
            // One power source, USB (5) at 5 V and 125 mA: what the ETS's Device configuration
            // (C.4) reads and observes.
            power_sources: Some(single(5)),
            power_source_voltage: Some(single(5000)),
            power_source_current: Some(single(125)),
            ..Device::default()
        }
    }
}

/// The behaviour of the [`Device`] object: a live Current Time, Reboot and Reset Error Code.
///
/// - A read of Current Time (13) refreshes it from the system clock, shifted by what a server
///   wrote: after a write of Current Time the clock runs on from the written value.
/// - Reboot (4) sets [`reboot_requested`](Self::reboot_requested): the device's main loop
///   reboots once the response has gone out (rebooting inside the handler would lose it).
/// - Reset Error Code (12) leaves the single error code instance `{0: 0}`.
/// - Factory Reset (5) is not implemented: [`Error::MethodNotAllowed`].
///
/// ```
/// use lwm2m::objects::{Device, DeviceHandler};
/// use lwm2m::{ExecuteArgs, Handler, Time};
///
/// let mut device = Device::demo();
/// let mut handler = DeviceHandler::default();
/// device.current_time = Some(Time(0));
/// handler.read(&mut device, 13)?;
/// assert!(device.current_time > Some(Time(0)));
/// handler.execute(&mut device, 4, &ExecuteArgs::new())?;
/// assert!(handler.reboot_requested);
/// # Ok::<(), lwm2m::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceHandler {
    /// Seconds added to the system clock: what a server's write of Current Time set.
    pub clock_offset: i64,
    /// Whether a server executed Reboot; the device's code clears it when it reboots.
    pub reboot_requested: bool,
    /// The device's wall clock (the system clock with `std`; without it, none: the epoch, so
    /// Current Time counts from what a server writes only if the device gives one, see
    /// [`DeviceHandler::with_clock`]).
    pub clock: WallClock,
}

/// A wall clock: the seconds since the Unix epoch it reads (a `fn`, so that the handler stays
/// `Clone` and comparable without `std`).
#[derive(Debug, Clone, Copy)]
pub struct WallClock(pub fn() -> Time);

impl PartialEq for WallClock {
    /// The same function (by address, which is what a `fn` pointer can say).
    fn eq(&self, other: &WallClock) -> bool {
        core::ptr::fn_addr_eq(self.0, other.0)
    }
}

impl Eq for WallClock {}

impl Default for DeviceHandler {
    fn default() -> DeviceHandler {
        DeviceHandler {
            clock_offset: 0,
            reboot_requested: false,
            clock: WallClock(system_time),
        }
    }
}

impl DeviceHandler {
    /// A handler reading the wall time from `clock` (a microcontroller's RTC, or its uptime:
    /// a server's write of Current Time then sets the offset from it).
    pub fn with_clock(clock: fn() -> Time) -> DeviceHandler {
        DeviceHandler {
            clock: WallClock(clock),
            ..DeviceHandler::default()
        }
    }

    /// The device's current time: its clock plus [`clock_offset`](Self::clock_offset).
    pub fn now(&self) -> Time {
        Time((self.clock.0)().0.saturating_add(self.clock_offset))
    }
}

/// The Error Code of a device without error: the one instance `{0: 0}`.
fn no_error() -> Instances<u8> {
    single(0)
}

/// `{0: value}`, built by an insert: `from_iter` would instantiate a stable sort per value type
/// (4 KiB of flash for the two here).
fn single<T>(value: T) -> Instances<T> {
    let mut instances = Instances::new();
    instances.insert(0, value);
    instances
}

/// The system's wall time with `std`; without it the epoch (a device without a clock).
fn system_time() -> Time {
    #[cfg(feature = "std")]
    {
        Time::now()
    }
    #[cfg(not(feature = "std"))]
    {
        Time(0)
    }
}

impl Handler<Device> for DeviceHandler {
    fn read(&mut self, obj: &mut Device, resource: u16) -> Result<(), Error> {
        if resource == Device::CURRENT_TIME {
            obj.current_time = Some(self.now());
        }
        Ok(())
    }

    fn written(&mut self, obj: &mut Device, resources: &[u16]) {
        if resources.contains(&Device::CURRENT_TIME)
            && let Some(time) = obj.current_time
        {
            self.clock_offset = time.0.saturating_sub((self.clock.0)().0);
        }
    }

    fn execute(
        &mut self,
        obj: &mut Device,
        resource: u16,
        args: &ExecuteArgs,
    ) -> Result<(), Error> {
        let _ = args;
        match resource {
            Device::REBOOT => {
                self.reboot_requested = true;
                Ok(())
            }
            Device::RESET_ERROR_CODE => {
                obj.error_code = no_error();
                Ok(())
            }
            _ => Err(Error::MethodNotAllowed { resource }),
        }
    }
}
