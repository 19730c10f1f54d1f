//! When an observation notifies: the timing and value rules of the notification attributes,
//! sans-IO (time is an [`Instant`] passed in).
//!
//! The rules, with their source in the LwM2M Core TS (1.1 §5.1.2 and 1.2 §5.1.2, Table 5.1.2-2;
//! §6.4 Information Reporting):
//!
//! 1. **pmin** — "the minimum time in seconds the LwM2M Client MUST wait between two
//!    notifications. If a notification ... is supposed to be generated but it is before pmin
//!    expiry, notification MUST be sent as soon as pmin expires." A change inside pmin is sent
//!    at pmin expiry with the then-current value, if the conditions still hold for it (see 4).
//!    The response to the Observe request counts as the first notification.
//! 2. **pmax** — "When this Maximum Period expires after the last notification, a new
//!    notification MUST be sent", changed or not. A pmax of 0 or below pmin is ignored ("a
//!    Maximum Period applied to a Resource that is smaller than the Minimum Period ... MUST be
//!    ignored").
//! 3. **Change Value Conditions** (`gt`, `lt`, `st`) on numeric values: notify when the value
//!    *crosses* `gt` or `lt` (it is now on the other side of the threshold than the last notified
//!    value: being above is not enough), or when it moved by at least `st` since the last
//!    *notified* value. One condition met is enough. Without any condition (nor `edge`), any
//!    change of the value is notified.
//! 4. Conditions are state-based: they compare the value to the last notified one, so a value
//!    that crossed `gt` inside pmin and came back before pmin expired is not notified.
//! 5. **edge** (1.2) on boolean values: with `edge=1` notify on a false -> true transition,
//!    with `edge=0` on true -> false; other changes are not notified (pmax still is). An edge
//!    seen inside pmin is latched and sent at pmin expiry.
//! 6. **epmin** (1.2) — the minimum time between two evaluations of the conditions: a change
//!    inside epmin is evaluated at its expiry, with the latest value.
//! 7. **epmax** (1.2) — "After the expiry of epmax, the device MUST perform an evaluation": the
//!    observation asks its owner for a fresh sample ([`Action::Sample`]). Ignored when 0 or
//!    below epmin.
//! 8. Values that are neither numbers nor booleans (strings, an object instance, a
//!    multiple-instance resource) are [`Sample::Other`]: each reported change is a change.

use crate::time::Instant;
use core::time::Duration;

use super::attributes::Attributes;
use crate::value::Value;

/// What an observation knows of a value: enough to evaluate the conditions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample {
    /// An Integer, Unsigned Integer or Float value.
    Number(f64),
    /// A Boolean value.
    Boolean(bool),
    /// Anything else: only "it changed" is known.
    Other,
}

impl Sample {
    /// The sample of one resource value: numbers and booleans keep their value.
    pub fn of(value: &Value) -> Sample {
        match value {
            Value::Integer(v) => Sample::Number(*v as f64),
            Value::UnsignedInteger(v) => Sample::Number(*v as f64),
            Value::Float(v) => Sample::Number(*v),
            Value::Boolean(v) => Sample::Boolean(*v),
            _ => Sample::Other,
        }
    }
}

impl From<f64> for Sample {
    fn from(value: f64) -> Sample {
        Sample::Number(value)
    }
}

impl From<bool> for Sample {
    fn from(value: bool) -> Sample {
        Sample::Boolean(value)
    }
}

/// Why a notification is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The value changed and met the conditions (rules 1, 3, 5).
    Change,
    /// pmax expired (rule 2).
    MaxPeriod,
}

/// What the owner of an observation must do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing; ask again at [`Observation::next_deadline`].
    Wait,
    /// Send a notification with the current value now. The observation has recorded it as sent.
    Notify(Trigger),
    /// epmax expired: read the current value and pass it to [`Observation::on_change`].
    Sample,
}

/// The periods and conditions of an observation, resolved from its effective attributes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rules {
    pmin: Duration,
    pmax: Option<Duration>,
    epmin: Duration,
    epmax: Option<Duration>,
    gt: Option<f64>,
    lt: Option<f64>,
    st: Option<f64>,
    edge: Option<bool>,
}

impl Rules {
    fn new(attrs: &Attributes) -> Rules {
        let pmin = attrs.pmin.unwrap_or(0);
        let epmin = attrs.epmin.unwrap_or(0);
        let secs = |s: u32| Duration::from_secs(u64::from(s));
        Rules {
            pmin: secs(pmin),
            // Rule 2: pmax 0 or below pmin is ignored.
            pmax: attrs.pmax.filter(|p| *p > 0 && *p >= pmin).map(secs),
            epmin: secs(epmin),
            // Rule 7: epmax 0 or below epmin is ignored.
            epmax: attrs.epmax.filter(|p| *p > 0 && *p >= epmin).map(secs),
            gt: attrs.gt,
            lt: attrs.lt,
            st: attrs.st,
            edge: attrs.edge,
        }
    }

    fn has_numeric_conditions(&self) -> bool {
        self.gt.is_some() || self.lt.is_some() || self.st.is_some()
    }
}

/// The notification state of one observation.
///
/// Created when the Observe request is answered (that response is the first notification), fed
/// with the value's changes ([`on_change`](Observation::on_change)) and with time
/// ([`on_tick`](Observation::on_tick) at [`next_deadline`](Observation::next_deadline)).
///
/// ```
/// use core::time::Duration;
/// use lwm2m::Instant;
/// use lwm2m::client::observe::{Action, Attributes, Observation, Sample, Trigger};
/// let t0 = Instant::now();
/// let s = Duration::from_secs;
/// let attrs = Attributes { pmin: Some(10), pmax: Some(60), ..Attributes::default() };
/// let mut obs = Observation::new(t0, &attrs, Sample::Number(20.0));
/// // A change 3 s in waits for pmin; it is sent at 10 s.
/// assert_eq!(obs.on_change(t0 + s(3), Sample::Number(21.0)), Action::Wait);
/// assert_eq!(obs.next_deadline(), Some(t0 + s(10)));
/// assert_eq!(obs.on_tick(t0 + s(10)), Action::Notify(Trigger::Change));
/// // Nothing changes: pmax sends one 60 s later.
/// assert_eq!(obs.next_deadline(), Some(t0 + s(70)));
/// assert_eq!(obs.on_tick(t0 + s(70)), Action::Notify(Trigger::MaxPeriod));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    rules: Rules,
    /// When the last notification was sent.
    last_notify: Instant,
    /// The value the last notification carried.
    notified: Sample,
    /// The latest value reported.
    current: Sample,
    /// The value at the last evaluation of the conditions.
    evaluated: Sample,
    /// When the conditions were last evaluated.
    last_eval: Instant,
    /// A change was reported and not evaluated yet (held back by epmin).
    dirty: bool,
    /// An edge or a change of an `Other` value was seen and not notified yet.
    latched: bool,
    /// [`Action::Sample`] was returned and no sample arrived yet.
    sample_requested: bool,
}

impl Observation {
    /// A new observation at `now`, with its effective attributes (see
    /// [`AttributeStore::effective`](super::AttributeStore::effective)) and the value sent in
    /// the Observe response.
    pub fn new(now: Instant, attrs: &Attributes, initial: Sample) -> Observation {
        Observation {
            rules: Rules::new(attrs),
            last_notify: now,
            notified: initial,
            current: initial,
            evaluated: initial,
            last_eval: now,
            dirty: false,
            latched: false,
            sample_requested: false,
        }
    }

    /// New attributes for a running observation (a Write-Attributes on its path). Timing
    /// continues from the last notification; the answer may be an immediate notification.
    pub fn set_attributes(&mut self, now: Instant, attrs: &Attributes) -> Action {
        self.rules = Rules::new(attrs);
        self.on_tick(now)
    }

    /// The value last notified.
    pub fn last_notified(&self) -> Sample {
        self.notified
    }

    /// When the last notification was sent.
    pub fn last_notified_at(&self) -> Instant {
        self.last_notify
    }

    /// The value changed (or was sampled after [`Action::Sample`]) at `now`. Answers whether to
    /// notify now; otherwise [`Observation::next_deadline`] says when to look again.
    pub fn on_change(&mut self, now: Instant, value: Sample) -> Action {
        self.current = value;
        self.dirty = true;
        if self.sample_requested || self.may_evaluate(now) {
            self.evaluate(now);
        }
        self.decide(now)
    }

    /// Time passed: call at (or after) [`Observation::next_deadline`].
    pub fn on_tick(&mut self, now: Instant) -> Action {
        if self.dirty && self.may_evaluate(now) {
            self.evaluate(now);
        }
        let action = self.decide(now);
        if action != Action::Wait {
            return action;
        }
        if !self.sample_requested && reached(now, self.last_eval, self.rules.epmax) {
            self.sample_requested = true;
            return Action::Sample;
        }
        Action::Wait
    }

    /// The next instant at which [`Observation::on_tick`] has something to do, `None` when only
    /// a change can make it notify.
    pub fn next_deadline(&self) -> Option<Instant> {
        let mut deadlines = [None; 4];
        if self.dirty && !self.rules.epmin.is_zero() {
            deadlines[0] = self.last_eval.checked_add(self.rules.epmin);
        }
        if self.pending() {
            deadlines[1] = self.last_notify.checked_add(self.rules.pmin);
        }
        if let Some(pmax) = self.rules.pmax {
            deadlines[2] = self.last_notify.checked_add(pmax);
        }
        if let Some(epmax) = self.rules.epmax
            && !self.sample_requested
        {
            deadlines[3] = self.last_eval.checked_add(epmax);
        }
        deadlines.into_iter().flatten().min()
    }

    /// Whether a change waits for pmin to expire.
    pub fn pending(&self) -> bool {
        self.latched || self.conditions_met()
    }

    /// Rule 6: conditions are not evaluated more often than epmin.
    fn may_evaluate(&self, now: Instant) -> bool {
        reached(now, self.last_eval, Some(self.rules.epmin))
    }

    fn evaluate(&mut self, now: Instant) {
        match (self.evaluated, self.current, self.rules.edge) {
            // Rule 5: an edge in the direction asked for.
            (Sample::Boolean(before), Sample::Boolean(after), Some(edge))
                if before != after && after == edge =>
            {
                self.latched = true;
            }
            // Rule 8: an opaque change is a change.
            (_, Sample::Other, _) => self.latched = true,
            _ => {}
        }
        self.evaluated = self.current;
        self.dirty = false;
        self.last_eval = now;
        self.sample_requested = false;
    }

    /// Rules 3 and 4: does the evaluated value differ from the notified one as the conditions
    /// require?
    fn conditions_met(&self) -> bool {
        match (self.notified, self.evaluated) {
            (Sample::Number(before), Sample::Number(after)) => {
                if before == after {
                    return false;
                }
                if !self.rules.has_numeric_conditions() {
                    return true;
                }
                let crossed = |t: Option<f64>| t.is_some_and(|t| (before > t) != (after > t));
                let crossed_lt = self.rules.lt.is_some_and(|t| (before < t) != (after < t));
                crossed(self.rules.gt)
                    || crossed_lt
                    || self.rules.st.is_some_and(|st| (after - before).abs() >= st)
            }
            (Sample::Boolean(before), Sample::Boolean(after)) => {
                self.rules.edge.is_none() && before != after
            }
            (Sample::Other, Sample::Other) => false,
            // The value changed type (a resource appeared or vanished): a change.
            _ => true,
        }
    }

    /// Rules 1 and 2.
    fn decide(&mut self, now: Instant) -> Action {
        if reached(now, self.last_notify, Some(self.rules.pmin)) && self.pending() {
            self.record(now);
            return Action::Notify(Trigger::Change);
        }
        if reached(now, self.last_notify, self.rules.pmax) {
            self.record(now);
            return Action::Notify(Trigger::MaxPeriod);
        }
        Action::Wait
    }

    fn record(&mut self, now: Instant) {
        self.last_notify = now;
        self.notified = self.current;
        self.latched = false;
    }
}

/// Whether `now` is at or past `since + period`; never for no period or an overflowing sum.
fn reached(now: Instant, since: Instant, period: Option<Duration>) -> bool {
    period
        .and_then(|p| since.checked_add(p))
        .is_some_and(|deadline| now >= deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn attrs(f: impl FnOnce(&mut Attributes)) -> Attributes {
        let mut a = Attributes::default();
        f(&mut a);
        a
    }

    const CHANGE: Action = Action::Notify(Trigger::Change);
    const PERIOD: Action = Action::Notify(Trigger::MaxPeriod);

    #[test]
    fn no_attributes_notifies_every_change_at_once() {
        let t = Instant::now();
        let mut o = Observation::new(t, &Attributes::default(), Sample::Number(1.0));
        assert_eq!(o.next_deadline(), None);
        assert_eq!(o.on_change(t + s(1), 2.0.into()), CHANGE);
        assert_eq!(
            o.on_change(t + s(1), 2.0.into()),
            Action::Wait,
            "same value"
        );
        assert_eq!(o.on_change(t + s(2), 3.0.into()), CHANGE);
        assert_eq!(o.last_notified(), Sample::Number(3.0));
    }

    #[test]
    fn pmin_defers_with_the_then_current_value() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.pmin = Some(10)), 1.0.into());
        assert_eq!(o.on_change(t + s(2), 2.0.into()), Action::Wait);
        assert_eq!(o.on_change(t + s(5), 7.0.into()), Action::Wait);
        assert_eq!(o.next_deadline(), Some(t + s(10)));
        assert_eq!(o.on_tick(t + s(9)), Action::Wait);
        assert_eq!(o.on_tick(t + s(10)), CHANGE);
        assert_eq!(o.last_notified(), Sample::Number(7.0));
        assert_eq!(o.last_notified_at(), t + s(10));
        assert_eq!(o.next_deadline(), None);
        // A change after pmin since the last notification goes at once.
        assert_eq!(o.on_change(t + s(25), 8.0.into()), CHANGE);
    }

    #[test]
    fn pmin_change_reverted_is_not_sent() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.pmin = Some(10)), 1.0.into());
        assert_eq!(o.on_change(t + s(2), 2.0.into()), Action::Wait);
        assert_eq!(o.on_change(t + s(3), 1.0.into()), Action::Wait);
        assert_eq!(o.next_deadline(), None);
        assert_eq!(o.on_tick(t + s(10)), Action::Wait);
    }

    #[test]
    fn pmax_without_change() {
        let t = Instant::now();
        let a = attrs(|a| {
            a.pmin = Some(5);
            a.pmax = Some(30);
        });
        let mut o = Observation::new(t, &a, 1.0.into());
        assert_eq!(o.next_deadline(), Some(t + s(30)));
        assert_eq!(o.on_tick(t + s(29)), Action::Wait);
        assert_eq!(o.on_tick(t + s(30)), PERIOD);
        assert_eq!(o.next_deadline(), Some(t + s(60)));
        // A change restarts the pmax period.
        assert_eq!(o.on_change(t + s(40), 2.0.into()), CHANGE);
        assert_eq!(o.next_deadline(), Some(t + s(70)));
    }

    #[test]
    fn pmax_zero_or_below_pmin_is_ignored() {
        let t = Instant::now();
        for (pmin, pmax) in [(0, 0), (10, 5)] {
            let a = attrs(|a| {
                a.pmin = Some(pmin);
                a.pmax = Some(pmax);
            });
            let o = Observation::new(t, &a, 1.0.into());
            assert_eq!(o.next_deadline(), None, "pmin={pmin} pmax={pmax}");
        }
        let a = attrs(|a| {
            a.pmin = Some(10);
            a.pmax = Some(10);
        });
        let o = Observation::new(t, &a, 1.0.into());
        assert_eq!(o.next_deadline(), Some(t + s(10)), "pmax == pmin is kept");
    }

    #[test]
    fn gt_crossing_not_being_above() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.gt = Some(10.0)), 5.0.into());
        assert_eq!(o.on_change(t + s(1), 8.0.into()), Action::Wait, "below");
        assert_eq!(o.on_change(t + s(2), 10.0.into()), Action::Wait, "at gt");
        assert_eq!(o.on_change(t + s(3), 11.0.into()), CHANGE, "crossed up");
        assert_eq!(
            o.on_change(t + s(4), 15.0.into()),
            Action::Wait,
            "still above"
        );
        assert_eq!(o.on_change(t + s(5), 9.0.into()), CHANGE, "crossed down");
    }

    #[test]
    fn lt_crossing() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.lt = Some(0.0)), 5.0.into());
        assert_eq!(o.on_change(t + s(1), 0.0.into()), Action::Wait);
        assert_eq!(o.on_change(t + s(2), (-0.5).into()), CHANGE);
        assert_eq!(o.on_change(t + s(3), (-3.0).into()), Action::Wait);
        assert_eq!(o.on_change(t + s(4), 1.0.into()), CHANGE);
    }

    #[test]
    fn gt_crossing_inside_pmin_sent_at_expiry() {
        let t = Instant::now();
        let a = attrs(|a| {
            a.gt = Some(10.0);
            a.pmin = Some(5);
        });
        let mut o = Observation::new(t, &a, 5.0.into());
        assert_eq!(o.on_change(t + s(1), 12.0.into()), Action::Wait);
        assert_eq!(o.next_deadline(), Some(t + s(5)));
        assert_eq!(o.on_change(t + s(2), 14.0.into()), Action::Wait);
        assert_eq!(o.on_tick(t + s(5)), CHANGE);
        assert_eq!(o.last_notified(), Sample::Number(14.0));
    }

    #[test]
    fn step_from_last_notified_value() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.st = Some(2.0)), 10.0.into());
        assert_eq!(o.on_change(t + s(1), 11.0.into()), Action::Wait);
        assert_eq!(o.on_change(t + s(2), 11.9.into()), Action::Wait);
        // Small steps add up against the notified 10.0, not the previous sample.
        assert_eq!(o.on_change(t + s(3), 12.0.into()), CHANGE);
        assert_eq!(o.on_change(t + s(4), 10.5.into()), Action::Wait);
        assert_eq!(o.on_change(t + s(5), 9.0.into()), CHANGE);
    }

    #[test]
    fn any_condition_is_enough() {
        let t = Instant::now();
        let a = attrs(|a| {
            a.gt = Some(50.0);
            a.st = Some(5.0);
        });
        let mut o = Observation::new(t, &a, 10.0.into());
        assert_eq!(o.on_change(t + s(1), 16.0.into()), CHANGE, "step");
        assert_eq!(
            o.on_change(t + s(2), 50.5.into()),
            CHANGE,
            "step and crossing"
        );
        assert_eq!(o.on_change(t + s(3), 49.0.into()), CHANGE, "crossing only");
    }

    #[test]
    fn edge_rising_only() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.edge = Some(true)), false.into());
        assert_eq!(o.on_change(t + s(1), true.into()), CHANGE);
        assert_eq!(o.on_change(t + s(2), false.into()), Action::Wait, "falling");
        assert_eq!(o.on_change(t + s(3), true.into()), CHANGE);
    }

    #[test]
    fn edge_falling_latched_through_pmin() {
        let t = Instant::now();
        let a = attrs(|a| {
            a.edge = Some(false);
            a.pmin = Some(10);
        });
        let mut o = Observation::new(t, &a, true.into());
        assert_eq!(o.on_change(t + s(1), false.into()), Action::Wait);
        assert_eq!(o.on_change(t + s(2), true.into()), Action::Wait);
        assert_eq!(o.next_deadline(), Some(t + s(10)));
        assert_eq!(o.on_tick(t + s(10)), CHANGE);
    }

    #[test]
    fn boolean_without_edge_notifies_changes() {
        let t = Instant::now();
        let mut o = Observation::new(t, &Attributes::default(), false.into());
        assert_eq!(o.on_change(t + s(1), true.into()), CHANGE);
        assert_eq!(o.on_change(t + s(2), false.into()), CHANGE);
    }

    #[test]
    fn other_values_every_reported_change() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.pmin = Some(3)), Sample::Other);
        assert_eq!(o.on_change(t + s(1), Sample::Other), Action::Wait);
        assert_eq!(o.on_tick(t + s(3)), CHANGE);
        assert_eq!(o.on_change(t + s(7), Sample::Other), CHANGE);
        assert_eq!(
            Sample::of(&Value::String("x".into())),
            Sample::Other,
            "strings are opaque"
        );
        assert_eq!(Sample::of(&Value::Integer(-3)), Sample::Number(-3.0));
        assert_eq!(Sample::of(&Value::Boolean(true)), Sample::Boolean(true));
    }

    #[test]
    fn epmin_holds_evaluation_back() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.epmin = Some(4)), 1.0.into());
        assert_eq!(o.on_change(t + s(1), 2.0.into()), Action::Wait);
        assert_eq!(o.next_deadline(), Some(t + s(4)));
        assert_eq!(o.on_change(t + s(2), 3.0.into()), Action::Wait);
        assert_eq!(o.on_tick(t + s(4)), CHANGE);
        assert_eq!(o.last_notified(), Sample::Number(3.0));
        // The next change is evaluated no earlier than 4 s after the last evaluation.
        assert_eq!(o.on_change(t + s(5), 4.0.into()), Action::Wait);
        assert_eq!(o.next_deadline(), Some(t + s(8)));
        assert_eq!(o.on_tick(t + s(8)), CHANGE);
    }

    #[test]
    fn epmax_asks_for_a_sample() {
        let t = Instant::now();
        let a = attrs(|a| {
            a.epmax = Some(20);
            a.gt = Some(10.0);
        });
        let mut o = Observation::new(t, &a, 1.0.into());
        assert_eq!(o.next_deadline(), Some(t + s(20)));
        assert_eq!(o.on_tick(t + s(20)), Action::Sample);
        assert_eq!(
            o.next_deadline(),
            None,
            "no busy loop while the sample is awaited"
        );
        assert_eq!(o.on_change(t + s(20), 12.0.into()), CHANGE);
        assert_eq!(o.next_deadline(), Some(t + s(40)));
        // epmax below epmin is ignored.
        let b = attrs(|a| {
            a.epmin = Some(30);
            a.epmax = Some(20);
        });
        assert_eq!(Observation::new(t, &b, 1.0.into()).next_deadline(), None);
    }

    #[test]
    fn new_attributes_apply_from_the_last_notification() {
        let t = Instant::now();
        let mut o = Observation::new(t, &attrs(|a| a.pmin = Some(100)), 1.0.into());
        assert_eq!(o.on_change(t + s(5), 2.0.into()), Action::Wait);
        assert_eq!(
            o.set_attributes(t + s(6), &attrs(|a| a.pmin = Some(3))),
            CHANGE
        );
        let pmax = attrs(|a| a.pmax = Some(10));
        assert_eq!(o.set_attributes(t + s(20), &pmax), PERIOD);
    }
}
