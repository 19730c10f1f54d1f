//! The server's observations and attributes, driven by the notification rules of
//! [`client::observe`](super::observe): this module only keeps, per token, who observes what and
//! in which format, and feeds each [`Observation`] with changes, samples and time.

use crate::prelude::*;
use crate::time::Instant;
use core::net::SocketAddr;

use crate::codec::KindLookup;
use crate::path::Path;

use super::observe::{
    Action, AttributeError, AttributeStore, AttributeUpdate, Defaults, Observation, Sample,
};

/// One observation: a token the server gave with Observe=0.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    /// The server's token.
    pub token: Vec<u8>,
    /// Who observes.
    pub peer: SocketAddr,
    /// What is observed.
    pub path: Path,
    /// The Accept of the Observe request.
    pub accept: Option<u32>,
    /// Observe-Composite: every path of the observation (this entry is the one of `path`, one
    /// per path, all with the same token) and the SenML format of its notifications.
    pub composite: Option<(Vec<Path>, u32)>,
    rules: Observation,
    /// A notification is due now.
    ready: bool,
}

/// The observations and the Write-Attributes values of the server.
#[derive(Debug, Clone, Default)]
pub(crate) struct Observations {
    list: Vec<Observed>,
    attributes: AttributeStore,
    sequence: u32,
}

impl Observations {
    /// Registers (or replaces, same token) an observation; the initial response, carrying
    /// `initial`, was just sent.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn register(
        &mut self,
        now: Instant,
        token: &[u8],
        peer: SocketAddr,
        path: Path,
        accept: Option<u32>,
        defaults: Defaults,
        initial: Sample,
    ) {
        self.cancel(token);
        let attrs = self.attributes.effective(&path, defaults);
        self.list.push(Observed {
            token: token.to_vec(),
            peer,
            path,
            accept,
            composite: None,
            rules: Observation::new(now, &attrs, initial),
            ready: false,
        });
    }

    /// Registers (or replaces) an Observe-Composite: one entry per path, each with the
    /// attributes of its path, one notification of every path whenever one of them is due.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn register_composite(
        &mut self,
        now: Instant,
        token: &[u8],
        peer: SocketAddr,
        paths: &[Path],
        format: u32,
        defaults: Defaults,
        sample: &mut dyn FnMut(&Path) -> Sample,
    ) {
        self.cancel(token);
        for path in paths {
            let attrs = self.attributes.effective(path, defaults);
            self.list.push(Observed {
                token: token.to_vec(),
                peer,
                path: *path,
                accept: Some(format),
                composite: Some((paths.to_vec(), format)),
                rules: Observation::new(now, &attrs, sample(path)),
                ready: false,
            });
        }
    }

    /// Cancels the observation with this token; whether there was one.
    pub(crate) fn cancel(&mut self, token: &[u8]) -> bool {
        let before = self.list.len();
        self.list.retain(|o| o.token != token);
        self.list.len() != before
    }

    /// Forgets every observation and attribute (a new registration).
    pub(crate) fn clear(&mut self) {
        self.list.clear();
        self.attributes.clear();
    }

    /// The value at `path` changed: observations of it, of what contains it, or of what it
    /// contains evaluate their conditions with the new value (`sample` reads it).
    pub(crate) fn changed(
        &mut self,
        now: Instant,
        path: &Path,
        sample: &mut dyn FnMut(&Path) -> Sample,
    ) {
        for o in &mut self.list {
            if (o.path.contains(path) || path.contains(&o.path))
                && let Action::Notify(_) = o.rules.on_change(now, sample(&o.path))
            {
                o.ready = true;
            }
        }
    }

    /// The next Observe sequence number (24 bits, increasing, wrapping).
    pub(crate) fn next_sequence(&mut self) -> u32 {
        self.sequence = (self.sequence + 1) & 0x00FF_FFFF;
        self.sequence
    }

    /// The observations due a notification at `now`; they count as notified.
    pub(crate) fn due(
        &mut self,
        now: Instant,
        sample: &mut dyn FnMut(&Path) -> Sample,
    ) -> Vec<Observed> {
        let mut due = Vec::new();
        for o in &mut self.list {
            let mut notify = core::mem::take(&mut o.ready);
            if !notify && o.rules.next_deadline().is_some_and(|d| d <= now) {
                notify = match o.rules.on_tick(now) {
                    Action::Notify(_) => true,
                    Action::Sample => {
                        matches!(o.rules.on_change(now, sample(&o.path)), Action::Notify(_))
                    }
                    Action::Wait => false,
                };
            }
            // One notification per Observe-Composite, however many of its paths are due.
            if notify
                && !due
                    .iter()
                    .any(|d: &Observed| d.composite.is_some() && d.token == o.token)
            {
                due.push(o.clone());
            }
        }
        due
    }

    /// Whether a notification is due at `now` (without consuming it).
    pub(crate) fn any_due(&self, now: Instant) -> bool {
        self.list
            .iter()
            .any(|o| o.ready || o.rules.next_deadline().is_some_and(|d| d <= now))
    }

    /// When the next notification may be due (`now`-ish if one is ready).
    pub(crate) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.list
            .iter()
            .filter_map(|o| {
                if o.ready {
                    Some(now)
                } else {
                    o.rules.next_deadline()
                }
            })
            .min()
    }

    /// Write-Attributes on `path`; running observations under it take the new attributes.
    pub(crate) fn write_attributes(
        &mut self,
        now: Instant,
        path: &Path,
        query: &[&str],
        kinds: &dyn KindLookup,
        defaults: Defaults,
    ) -> Result<(), AttributeError> {
        let update = AttributeUpdate::parse(query.iter().copied())?;
        self.attributes.write(path, &update, kinds)?;
        for o in &mut self.list {
            if path.contains(&o.path) {
                let attrs = self.attributes.effective(&o.path, defaults);
                if let Action::Notify(_) = o.rules.set_attributes(now, &attrs) {
                    o.ready = true;
                }
            }
        }
        Ok(())
    }

    /// The attributes attached at `path` itself, for Discover.
    pub(crate) fn attributes_of(&self, path: &Path) -> Vec<(String, String)> {
        self.attributes
            .get(path)
            .map(|a| {
                a.link_params()
                    .split(';')
                    .filter_map(|p| p.split_once('='))
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Kind;
    use core::time::Duration;

    fn peer() -> SocketAddr {
        "127.0.0.1:5683".parse().unwrap()
    }

    #[test]
    fn pmin_delays_and_pmax_forces_notifications_with_inheritance() {
        let t0 = Instant::now();
        let mut obs = Observations::default();
        let kinds = |_: &Path| Some((Kind::Float, false));
        let query = ["pmin=5", "pmax=20"];
        let defaults = Defaults::default();
        obs.write_attributes(t0, &Path::instance(3303, 0), &query, &kinds, defaults)
            .unwrap();
        let path = Path::resource(3303, 0, 5700);
        obs.register(t0, b"t", peer(), path, None, defaults, Sample::Number(1.0));
        let mut sample = |_: &Path| Sample::Number(2.0);
        obs.changed(t0 + Duration::from_secs(1), &path, &mut sample);
        assert!(obs.due(t0 + Duration::from_secs(1), &mut sample).is_empty());
        assert_eq!(
            obs.next_deadline(t0),
            Some(t0 + Duration::from_secs(5)),
            "pmin"
        );
        assert_eq!(obs.due(t0 + Duration::from_secs(5), &mut sample).len(), 1);
        assert_eq!(obs.next_deadline(t0), Some(t0 + Duration::from_secs(25)));
        assert_eq!(
            obs.due(t0 + Duration::from_secs(25), &mut sample).len(),
            1,
            "pmax"
        );
        assert!(obs.cancel(b"t"));
        assert_eq!(obs.next_deadline(t0), None);
    }

    #[test]
    fn discover_attributes_are_name_value_pairs() {
        let mut obs = Observations::default();
        let kinds = |_: &Path| Some((Kind::Float, false));
        let path = Path::resource(3, 0, 9);
        let bad = ["pmin=1", "bogus=1"];
        let t0 = Instant::now();
        let defaults = Defaults::default();
        assert!(
            obs.write_attributes(t0, &path, &bad, &kinds, defaults)
                .is_err()
        );
        assert!(obs.attributes_of(&path).is_empty());
        obs.write_attributes(t0, &path, &["gt=2.5"], &kinds, defaults)
            .unwrap();
        assert_eq!(
            obs.attributes_of(&path),
            [("gt".to_owned(), "2.5".to_owned())]
        );
    }
}
