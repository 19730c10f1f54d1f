//! The simulated thermometer behind Temperature (3303) instance 0.
//!
//! The value is a pure function of the uptime, in hundredths of a degree and in integers only
//! (a triangle wave of period [`PERIOD_S`] around 21 °C, plus a small per-second noise), so the
//! firmware needs no floating-point maths library: an observer sees it move every second.
//! [`Thermometer`] keeps Min/Max Measured Value (5601/5602) and resets them on Execute of 5605.

use alloc::borrow::ToOwned;

use lwm2m::{Error, ExecuteArgs, Handler, Path};

use crate::objects::Temperature;

/// The Temperature object's id.
pub const OBJECT: u16 = 3303;
/// Sensor Value.
pub const SENSOR_VALUE: u16 = 5700;
/// Min Measured Value.
pub const MIN_MEASURED: u16 = 5601;
/// Max Measured Value.
pub const MAX_MEASURED: u16 = 5602;
/// Reset Min and Max Measured Values.
pub const RESET_MIN_MAX: u16 = 5605;

/// The mean temperature, in hundredths of °C.
const MEAN: i64 = 2100;
/// The amplitude of the triangle wave, in hundredths of °C.
const AMPLITUDE: i64 = 300;
/// The amplitude of the noise, in hundredths of °C.
const NOISE: i64 = 25;
/// The period of the triangle wave, in seconds.
pub const PERIOD_S: u64 = 120;

/// The temperature `uptime_ms` after boot, in °C (a whole number of hundredths).
pub fn value_at(uptime_ms: u64) -> f64 {
    let seconds = uptime_ms / 1000;
    let phase = (seconds % PERIOD_S) as i64; // 0..PERIOD
    let half = (PERIOD_S / 2) as i64;
    // Up from -AMPLITUDE to +AMPLITUDE over the first half, back down over the second.
    let ramp = if phase < half {
        phase
    } else {
        2 * half - phase
    };
    let wave = -AMPLITUDE + 2 * AMPLITUDE * ramp / half;
    let noise = (splitmix(seconds) % (2 * NOISE as u64 + 1)) as i64 - NOISE;
    (MEAN + wave + noise) as f64 / 100.0
}

/// A pseudo-random number for the second `n` (splitmix64): the same every run.
fn splitmix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The instance the device starts with: units, range, application type, a first measurement.
pub fn initial(uptime_ms: u64) -> Temperature {
    let mut temperature = Temperature {
        sensor_units: Some("Cel".to_owned()),
        min_range_value: Some((MEAN - AMPLITUDE - NOISE) as f64 / 100.0),
        max_range_value: Some((MEAN + AMPLITUDE + NOISE) as f64 / 100.0),
        application_type: Some("room".to_owned()),
        ..Temperature::default()
    };
    record(&mut temperature, value_at(uptime_ms), |_| {});
    temperature
}

/// Stores a new measurement, and Min/Max Measured Value when it passes them; `changed` gets the
/// path of every resource that changed.
pub fn record(temperature: &mut Temperature, value: f64, mut changed: impl FnMut(Path)) {
    if temperature.sensor_value != value {
        temperature.sensor_value = value;
        changed(Path::resource(OBJECT, 0, SENSOR_VALUE));
    }
    if temperature.min_measured_value.is_none_or(|min| value < min) {
        temperature.min_measured_value = Some(value);
        changed(Path::resource(OBJECT, 0, MIN_MEASURED));
    }
    if temperature.max_measured_value.is_none_or(|max| value > max) {
        temperature.max_measured_value = Some(value);
        changed(Path::resource(OBJECT, 0, MAX_MEASURED));
    }
}

/// The behaviour of Temperature: Reset Min and Max Measured Values (5605) sets both to the
/// current value.
#[derive(Debug, Default)]
pub struct Thermometer;

impl Handler<Temperature> for Thermometer {
    fn execute(
        &mut self,
        obj: &mut Temperature,
        resource: u16,
        _args: &ExecuteArgs,
    ) -> Result<(), Error> {
        if resource != RESET_MIN_MAX {
            return Err(Error::MethodNotAllowed { resource });
        }
        obj.min_measured_value = Some(obj.sensor_value);
        obj.max_measured_value = Some(obj.sensor_value);
        Ok(())
    }
}
