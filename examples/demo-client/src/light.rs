//! The simulated lamp behind Light Control (3311) instance 0: On/Off (5850) and Dimmer (5851)
//! are writable, On time (5852) counts the seconds the light has been on (a write of 0 resets
//! it), Cumulative active power (5805) follows from the dimmer setting.

use lwm2m::Instant;
use std::time::Duration;

use lwm2m::Handler;

use crate::objects::LightControl;

/// The lamp's power at full brightness, in watts.
pub const FULL_POWER_W: f64 = 9.0;

/// The instance the demo starts with: off, dimmer at 100 %, counters at zero.
pub fn initial() -> LightControl {
    LightControl {
        on_off: false,
        dimmer: Some(100),
        on_time: Some(0),
        cumulative_active_power: Some(0.0),
        power_factor: Some(0.9),
        colour: Some("warm white".to_owned()),
        application_type: Some("demo lamp".to_owned()),
        ..LightControl::default()
    }
}

/// The handler of the Light Control instance: counts the time on and the energy used.
#[derive(Debug, Clone, Default)]
pub struct Lamp {
    /// When the light was last switched on (or last accounted), if it is on.
    on_since: Option<Instant>,
    /// Time on before `on_since`.
    on_before: Duration,
    /// Energy used before `on_since`, in watt-hours.
    energy_wh: f64,
}

impl Lamp {
    /// A lamp that is off, with nothing counted.
    pub fn new() -> Lamp {
        Lamp::default()
    }

    /// Brings On time and Cumulative active power in `obj` up to `now`.
    pub fn account(&mut self, obj: &mut LightControl, now: Instant) {
        if let Some(since) = self.on_since {
            let spent = now.saturating_duration_since(since);
            let level = obj.dimmer.unwrap_or(100).clamp(0, 100) as f64 / 100.0;
            self.on_before += spent;
            self.energy_wh += FULL_POWER_W * level * spent.as_secs_f64() / 3600.0;
            self.on_since = Some(now);
        }
        obj.on_time = Some(i64::try_from(self.on_before.as_secs()).unwrap_or(i64::MAX));
        obj.cumulative_active_power = Some((self.energy_wh * 1000.0).round() / 1000.0);
    }
}

impl Handler<LightControl> for Lamp {
    fn read(&mut self, obj: &mut LightControl, resource: u16) -> Result<(), lwm2m::Error> {
        if resource == LightControl::ON_TIME || resource == LightControl::CUMULATIVE_ACTIVE_POWER {
            self.account(obj, Instant::now());
        }
        Ok(())
    }

    fn written(&mut self, obj: &mut LightControl, resources: &[u16]) {
        let now = Instant::now();
        if resources.contains(&LightControl::ON_TIME) {
            // "Writing a value of 0 resets the counter": any value sets it.
            self.on_before = Duration::from_secs(obj.on_time.unwrap_or(0).max(0).unsigned_abs());
            self.on_since = self.on_since.map(|_| now);
        }
        if resources.contains(&LightControl::ON_OFF) || resources.contains(&LightControl::DIMMER) {
            // Account the time at the old dimmer setting is not possible any more (the write is
            // applied): the error is at most one write's worth of energy, fine for a demo.
            match (self.on_since.is_some(), obj.on_off) {
                (false, true) => self.on_since = Some(now),
                (true, false) => {
                    self.account(obj, now);
                    self.on_since = None;
                }
                _ => {}
            }
            tracing::info!(on = obj.on_off, dimmer = ?obj.dimmer, "light changed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_time_counts_only_while_on() {
        let mut obj = initial();
        let mut lamp = Lamp::new();
        let t0 = Instant::now();
        lamp.account(&mut obj, t0 + Duration::from_secs(10));
        assert_eq!(obj.on_time, Some(0), "off: no time counted");

        obj.on_off = true;
        lamp.on_since = Some(t0);
        lamp.account(&mut obj, t0 + Duration::from_secs(3600));
        assert_eq!(obj.on_time, Some(3600));
        assert_eq!(obj.cumulative_active_power, Some(FULL_POWER_W));

        obj.dimmer = Some(50);
        lamp.account(&mut obj, t0 + Duration::from_secs(7200));
        assert_eq!(obj.on_time, Some(7200));
        assert_eq!(obj.cumulative_active_power, Some(FULL_POWER_W * 1.5));
    }

    #[test]
    fn switching_on_and_off_starts_and_stops_the_counter() {
        let mut obj = initial();
        let mut lamp = Lamp::new();
        obj.on_off = true;
        lamp.written(&mut obj, &[LightControl::ON_OFF]);
        assert!(lamp.on_since.is_some());
        obj.on_off = false;
        lamp.written(&mut obj, &[LightControl::ON_OFF]);
        assert!(lamp.on_since.is_none());
    }

    #[test]
    fn writing_on_time_resets_the_counter() {
        let mut obj = initial();
        let mut lamp = Lamp {
            on_before: Duration::from_secs(500),
            ..Lamp::new()
        };
        obj.on_time = Some(0);
        lamp.written(&mut obj, &[LightControl::ON_TIME]);
        lamp.account(&mut obj, Instant::now());
        assert_eq!(obj.on_time, Some(0));
    }
}
