//! The monotonic time the sans-IO client runs on.
//!
//! The client never reads a clock: every call that depends on time takes an [`Instant`], and
//! [`Client::poll_timeout`](crate::client::Client::poll_timeout) answers one. An `Instant` is a
//! count of nanoseconds on a monotonic clock whose origin the device chooses, so it works the
//! same on a microcontroller (a SysTick or RTC counter: [`Instant::from_millis`]) and on Linux
//! (`std::time::Instant`, converted both ways with the `std` feature, and `Instant::now()`).
//!
//! Why not `std::time::Instant`: it does not exist without std, and a generic clock type would
//! be a type parameter on every client type. Nanoseconds in a `u64` cover 584 years, so the
//! conversion from `std::time::Instant` is exact.

use core::ops::{Add, AddAssign, Sub, SubAssign};
use core::time::Duration;

/// A point on the device's monotonic clock, with nanosecond resolution.
///
/// ```
/// use core::time::Duration;
/// use lwm2m::Instant;
///
/// // A microcontroller counts milliseconds since boot:
/// let boot = Instant::from_millis(0);
/// let later = Instant::from_millis(1500);
/// assert_eq!(later.duration_since(boot), Duration::from_millis(1500));
/// assert_eq!(boot + Duration::from_millis(1500), later);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    /// The clock's origin.
    pub const ZERO: Instant = Instant { nanos: 0 };

    /// The latest instant there is (about 584 years after the origin): "never".
    pub const MAX: Instant = Instant { nanos: u64::MAX };

    /// The instant `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant { nanos }
    }

    /// The instant `micros` microseconds after the origin (saturating at the end of time).
    pub const fn from_micros(micros: u64) -> Instant {
        Instant {
            nanos: micros.saturating_mul(1_000),
        }
    }

    /// The instant `millis` milliseconds after the origin (saturating at the end of time).
    pub const fn from_millis(millis: u64) -> Instant {
        Instant {
            nanos: millis.saturating_mul(1_000_000),
        }
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Milliseconds since the origin, rounded down.
    pub const fn as_millis(self) -> u64 {
        self.nanos / 1_000_000
    }

    /// The time from `earlier` to `self`; zero when `earlier` is later (as
    /// `std::time::Instant::duration_since` does since Rust 1.60).
    pub fn duration_since(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// The time from `earlier` to `self`, or `None` when `earlier` is later.
    pub fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        self.nanos
            .checked_sub(earlier.nanos)
            .map(Duration::from_nanos)
    }

    /// The time from `earlier` to `self`; zero when `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// `self + duration`, or `None` past the end of time.
    pub fn checked_add(self, duration: Duration) -> Option<Instant> {
        let nanos = u64::try_from(duration.as_nanos()).ok()?;
        self.nanos.checked_add(nanos).map(Instant::from_nanos)
    }

    /// `self - duration`, or `None` before the origin.
    pub fn checked_sub(self, duration: Duration) -> Option<Instant> {
        let nanos = u64::try_from(duration.as_nanos()).ok()?;
        self.nanos.checked_sub(nanos).map(Instant::from_nanos)
    }

    /// `self + duration`, saturating at the end of time (the client adds lifetimes and
    /// timeouts a server chose, so an addition must never panic).
    pub fn saturating_add(self, duration: Duration) -> Instant {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        Instant::from_nanos(self.nanos.saturating_add(nanos))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturating: see [`Instant::saturating_add`].
    fn add(self, duration: Duration) -> Instant {
        self.saturating_add(duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// Saturating at the origin.
    fn sub(self, duration: Duration) -> Instant {
        self.checked_sub(duration).unwrap_or(Instant::ZERO)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// [`Instant::duration_since`]: zero when `earlier` is later.
    fn sub(self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }
}

#[cfg(feature = "std")]
mod std_clock {
    //! `std::time::Instant` <-> [`Instant`]: the first conversion fixes which `std` instant is
    //! [`ORIGIN_NANOS`] on this clock, half way through the `u64` range, so instants before
    //! it convert exactly too.

    use super::Instant;
    use std::sync::OnceLock;

    /// Where the first `std::time::Instant` converted lands: 2^62 ns, about 146 years after
    /// the origin and 438 years before the end.
    const ORIGIN_NANOS: u64 = 1 << 62;

    fn base() -> std::time::Instant {
        static BASE: OnceLock<std::time::Instant> = OnceLock::new();
        *BASE.get_or_init(std::time::Instant::now)
    }

    impl Instant {
        /// Now, on the process's monotonic clock (`std::time::Instant::now()`).
        pub fn now() -> Instant {
            Instant::from(std::time::Instant::now())
        }

        /// The time elapsed since `self`.
        pub fn elapsed(self) -> core::time::Duration {
            Instant::now().duration_since(self)
        }
    }

    impl From<std::time::Instant> for Instant {
        fn from(instant: std::time::Instant) -> Instant {
            let base = base();
            let nanos = match instant.checked_duration_since(base) {
                Some(after) => {
                    ORIGIN_NANOS.saturating_add(u64::try_from(after.as_nanos()).unwrap_or(u64::MAX))
                }
                None => ORIGIN_NANOS.saturating_sub(
                    u64::try_from(base.duration_since(instant).as_nanos()).unwrap_or(u64::MAX),
                ),
            };
            Instant::from_nanos(nanos)
        }
    }

    impl From<Instant> for std::time::Instant {
        fn from(instant: Instant) -> std::time::Instant {
            let base = base();
            let nanos = instant.as_nanos();
            let converted = if nanos >= ORIGIN_NANOS {
                base.checked_add(core::time::Duration::from_nanos(nanos - ORIGIN_NANOS))
            } else {
                base.checked_sub(core::time::Duration::from_nanos(ORIGIN_NANOS - nanos))
            };
            // Out of the platform's range only for instants centuries away: the far end is
            // the nearest the platform can say.
            converted.unwrap_or(base)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let t = Instant::from_millis(10);
        assert_eq!(t - Duration::from_secs(1), Instant::ZERO);
        assert_eq!(Instant::ZERO - t, Duration::ZERO);
        assert_eq!(t.checked_duration_since(Instant::from_millis(11)), None);
        assert_eq!(
            Instant::from_nanos(u64::MAX - 1) + Duration::from_secs(5),
            Instant::from_nanos(u64::MAX)
        );
        assert_eq!(Instant::ZERO.checked_add(Duration::MAX), None);
        assert_eq!(t + Duration::from_millis(5), Instant::from_micros(15_000));
    }

    #[test]
    fn std_instants_convert_exactly_both_ways_and_keep_their_order() {
        let now = std::time::Instant::now();
        let later = now + Duration::from_nanos(123_456_789);
        // The later one first: an instant before the first conversion must still convert.
        let (l, n) = (Instant::from(later), Instant::from(now));
        assert!(n < l);
        assert_eq!(l - n, Duration::from_nanos(123_456_789));
        assert_eq!(std::time::Instant::from(n), now);
        assert_eq!(std::time::Instant::from(l), later);
        assert_eq!(
            Instant::from(now + Duration::from_secs(3)),
            n + Duration::from_secs(3)
        );
    }
}
