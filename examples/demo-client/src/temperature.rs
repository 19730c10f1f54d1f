//! The simulated thermometer behind Temperature (3303) instance 0.
//!
//! The temperature is a function of the time since start: a slow sine (period
//! [`Sensor::PERIOD`]) around [`Sensor::MEAN`] plus a small noise that changes every second, so
//! an observer sees the value move. The [`Thermometer`] handler refreshes the value on every
//! server read, keeps Min/Max Measured Value (5601/5602) and resets them on Execute of 5605.

use lwm2m::Instant;
use std::time::Duration;

use lwm2m::{Error, ExecuteArgs, Handler, Time};

use crate::objects::Temperature;

/// A simulated temperature sensor: a pure function of the time elapsed since `start`.
#[derive(Debug, Clone, Copy)]
pub struct Sensor {
    start: Instant,
}

impl Sensor {
    /// The mean temperature, in °C.
    pub const MEAN: f64 = 21.0;
    /// The amplitude of the slow sine, in °C.
    pub const AMPLITUDE: f64 = 3.0;
    /// The amplitude of the per-second noise, in °C (the noise is within ±`NOISE`).
    pub const NOISE: f64 = 0.25;
    /// The period of the sine.
    pub const PERIOD: Duration = Duration::from_secs(300);
    /// The lowest value the sensor can give (Min Range Value, 5603).
    pub const MIN_RANGE: f64 = Self::MEAN - Self::AMPLITUDE - Self::NOISE;
    /// The highest value the sensor can give (Max Range Value, 5604).
    pub const MAX_RANGE: f64 = Self::MEAN + Self::AMPLITUDE + Self::NOISE;

    /// A sensor whose time starts at `start`.
    pub fn new(start: Instant) -> Sensor {
        Sensor { start }
    }

    /// The temperature at `now` (a `now` before the start counts as the start), rounded to
    /// hundredths of a degree.
    pub fn value_at(&self, now: Instant) -> f64 {
        Self::value_after(now.saturating_duration_since(self.start))
    }

    /// The temperature `elapsed` after the start.
    pub fn value_after(elapsed: Duration) -> f64 {
        // The phase within the current period, reduced exactly in integer nanoseconds.
        let period = Self::PERIOD.as_nanos();
        let within = (elapsed.as_nanos() % period) as f64 / period as f64;
        let noise = (unit_noise(elapsed.as_secs()) * 2.0 - 1.0) * Self::NOISE;
        let value = Self::MEAN + Self::AMPLITUDE * sin_turns(within) + noise;
        (value * 100.0).round() / 100.0
    }
}

/// `sin(2π t)`, by the `libm` crate (a Rust port of musl's libm, linked statically).
///
/// `f64::sin` was the only function of the system's libm the demo called: calling it linked
/// `libm.so.6`, whose pages mapped into the process were 0.4-0.5 MiB of its peak RSS
/// (BENCHMARKS.md, "demo-client footprint and CPU per request").
fn sin_turns(t: f64) -> f64 {
    libm::sin(t * std::f64::consts::TAU)
}

/// A pseudo-random number in `[0, 1)` for the second `n` (splitmix64): the same every run, so the
/// tests can rely on it.
fn unit_noise(n: u64) -> f64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    // The top 53 bits, exactly representable in an f64.
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The instance the demo starts with: units, ranges, application type, a first measurement.
pub fn initial(sensor: &Sensor, now: Instant) -> Temperature {
    let mut temperature = Temperature {
        sensor_units: Some("Cel".to_owned()),
        min_range_value: Some(Sensor::MIN_RANGE),
        max_range_value: Some(Sensor::MAX_RANGE),
        application_type: Some("room".to_owned()),
        ..Temperature::default()
    };
    record(&mut temperature, sensor.value_at(now));
    temperature
}

/// What [`record`] changed, for the notifications the device must report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    /// Sensor Value changed.
    pub value: bool,
    /// Min Measured Value changed.
    pub min: bool,
    /// Max Measured Value changed.
    pub max: bool,
}

impl Changed {
    /// The resource ids that changed.
    pub fn resources(self) -> impl Iterator<Item = u16> {
        [
            (self.value, Temperature::SENSOR_VALUE),
            (self.min, Temperature::MIN_MEASURED_VALUE),
            (self.max, Temperature::MAX_MEASURED_VALUE),
        ]
        .into_iter()
        .filter_map(|(changed, id)| changed.then_some(id))
    }
}

/// Stores a new measurement: Sensor Value, Timestamp, and Min/Max Measured Value if exceeded.
pub fn record(temperature: &mut Temperature, value: f64) -> Changed {
    let changed = Changed {
        value: temperature.sensor_value != value,
        min: temperature.min_measured_value.is_none_or(|min| value < min),
        max: temperature.max_measured_value.is_none_or(|max| value > max),
    };
    temperature.sensor_value = value;
    temperature.timestamp = Some(Time::now());
    if changed.min {
        temperature.min_measured_value = Some(value);
    }
    if changed.max {
        temperature.max_measured_value = Some(value);
    }
    changed
}

/// The handler of the Temperature instance: live value on read, reset of min/max on execute.
#[derive(Debug, Clone)]
pub struct Thermometer {
    sensor: Sensor,
}

impl Thermometer {
    /// A handler reading `sensor`.
    pub fn new(sensor: Sensor) -> Thermometer {
        Thermometer { sensor }
    }
}

impl Handler<Temperature> for Thermometer {
    fn read(&mut self, obj: &mut Temperature, resource: u16) -> Result<(), Error> {
        if resource == Temperature::SENSOR_VALUE {
            record(obj, self.sensor.value_at(Instant::now()));
        }
        Ok(())
    }

    fn execute(
        &mut self,
        obj: &mut Temperature,
        resource: u16,
        args: &ExecuteArgs,
    ) -> Result<(), Error> {
        match resource {
            Temperature::RESET_MIN_AND_MAX_MEASURED_VALUES if args.is_empty() => {
                // "Reset the Min and Max Measured Values to Current Value."
                obj.min_measured_value = Some(obj.sensor_value);
                obj.max_measured_value = Some(obj.sensor_value);
                tracing::info!(value = obj.sensor_value, "temperature min/max reset");
                Ok(())
            }
            Temperature::RESET_MIN_AND_MAX_MEASURED_VALUES => Err(Error::BadRequest {
                reason: "Reset Min and Max Measured Values takes no arguments".to_owned(),
            }),
            _ => Err(Error::MethodNotAllowed { resource }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_moves_and_stays_in_range() {
        let values: Vec<f64> = (0..600)
            .map(|s| Sensor::value_after(Duration::from_secs(s)))
            .collect();
        for v in &values {
            assert!((Sensor::MIN_RANGE..=Sensor::MAX_RANGE).contains(v), "{v}");
        }
        let distinct = values.windows(2).filter(|w| w[0] != w[1]).count();
        assert!(distinct > 500, "the value barely moves: {distinct} changes");
        let (lo, hi) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        assert!(hi - lo > 2.0 * Sensor::AMPLITUDE - 2.0 * Sensor::NOISE - 0.1);
    }

    #[test]
    fn the_sine_is_the_system_libms() {
        for i in 0..=100_000u32 {
            let t = f64::from(i) / 100_000.0;
            let t = if t >= 1.0 { 0.0 } else { t };
            let expected = (t * std::f64::consts::TAU).sin();
            let got = sin_turns(t);
            assert!(
                (got - expected).abs() < 1e-15,
                "t = {t}: {got} vs {expected}"
            );
        }
    }

    #[test]
    fn values_are_those_of_libms_sine() {
        // The formula before `sin_turns`, with `f64::sin`: the same values to the hundredth
        // (a 1e-7 difference can only flip a value that falls on a rounding boundary).
        let with_libm = |elapsed: Duration| {
            let phase =
                elapsed.as_secs_f64() / Sensor::PERIOD.as_secs_f64() * std::f64::consts::TAU;
            let noise = (unit_noise(elapsed.as_secs()) * 2.0 - 1.0) * Sensor::NOISE;
            let value = Sensor::MEAN + Sensor::AMPLITUDE * phase.sin() + noise;
            (value * 100.0).round() / 100.0
        };
        let mut same = 0;
        for ms in (0..1_200_000).step_by(137) {
            let elapsed = Duration::from_millis(ms);
            let (got, expected) = (Sensor::value_after(elapsed), with_libm(elapsed));
            assert!(
                (got - expected).abs() < 0.0101,
                "{ms} ms: {got} vs {expected}"
            );
            same += usize::from(got == expected);
        }
        assert!(same >= 8_750, "only {same} of 8760 values are the same");
    }

    #[test]
    fn value_is_deterministic_and_rounded() {
        let a = Sensor::value_after(Duration::from_millis(12_345));
        assert_eq!(a, Sensor::value_after(Duration::from_millis(12_345)));
        assert_eq!((a * 100.0).round(), a * 100.0);
    }

    #[test]
    fn record_tracks_min_and_max() {
        let mut t = Temperature::default();
        let c = record(&mut t, 20.0);
        assert_eq!(
            c.resources().collect::<Vec<_>>(),
            [
                Temperature::SENSOR_VALUE,
                Temperature::MIN_MEASURED_VALUE,
                Temperature::MAX_MEASURED_VALUE
            ]
        );
        let c = record(&mut t, 22.5);
        assert_eq!(
            c.resources().collect::<Vec<_>>(),
            [Temperature::SENSOR_VALUE, Temperature::MAX_MEASURED_VALUE]
        );
        let c = record(&mut t, 19.0);
        assert_eq!(
            c.resources().collect::<Vec<_>>(),
            [Temperature::SENSOR_VALUE, Temperature::MIN_MEASURED_VALUE]
        );
        let c = record(&mut t, 19.0);
        assert_eq!(c, Changed::default());
        assert_eq!(t.min_measured_value, Some(19.0));
        assert_eq!(t.max_measured_value, Some(22.5));
        assert_eq!(t.sensor_value, 19.0);
    }

    #[test]
    fn execute_resets_min_max_to_current() {
        let mut t = Temperature::default();
        record(&mut t, 18.0);
        record(&mut t, 25.0);
        record(&mut t, 21.0);
        let mut h = Thermometer::new(Sensor::new(Instant::now()));
        h.execute(
            &mut t,
            Temperature::RESET_MIN_AND_MAX_MEASURED_VALUES,
            &ExecuteArgs::new(),
        )
        .unwrap();
        assert_eq!(t.min_measured_value, Some(21.0));
        assert_eq!(t.max_measured_value, Some(21.0));
        let args = ExecuteArgs::parse("0='x'").unwrap();
        assert!(matches!(
            h.execute(
                &mut t,
                Temperature::RESET_MIN_AND_MAX_MEASURED_VALUES,
                &args
            ),
            Err(Error::BadRequest { .. })
        ));
        assert_eq!(
            h.execute(&mut t, Temperature::SENSOR_VALUE, &ExecuteArgs::new()),
            Err(Error::MethodNotAllowed {
                resource: Temperature::SENSOR_VALUE
            })
        );
    }

    #[test]
    fn read_refreshes_the_value() {
        let start = Instant::now() - Duration::from_secs(75);
        let mut h = Thermometer::new(Sensor::new(start));
        let mut t = Temperature::default();
        h.read(&mut t, Temperature::SENSOR_VALUE).unwrap();
        // 75 s is a quarter period: near the top of the sine.
        assert!(t.sensor_value > Sensor::MEAN + Sensor::AMPLITUDE * 0.9 - Sensor::NOISE);
        assert_eq!(t.max_measured_value, Some(t.sensor_value));
        assert!(t.timestamp.is_some());
    }
}
