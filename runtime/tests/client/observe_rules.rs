//! Property tests of the notification rules (LwM2M Core TS 1.1 §5.1.2) with a simulated clock:
//! random change sequences and attribute sets are played against an [`Observation`], ticking it
//! exactly at each deadline it asks for.
#![allow(clippy::unwrap_used)]

use lwm2m::Instant;
use std::time::Duration;

use lwm2m::client::observe::{
    Action, AttributeStore, AttributeUpdate, Attributes, Defaults, Observation, Sample, Trigger,
    Update,
};
use lwm2m::{Kind, Path};
use proptest::prelude::*;

/// One notification: milliseconds since the start, value, why.
#[derive(Debug, Clone, Copy)]
struct Note {
    at: u64,
    value: f64,
    trigger: Option<Trigger>,
}

/// Plays `changes` (millisecond offsets from the previous change, new value) against an
/// observation created at 0 with `initial`, then lets time run until `tail_ms` after the last
/// change. Returns the notifications (the Observe response first) and the end time.
fn simulate(
    attrs: &Attributes,
    initial: f64,
    changes: &[(u64, f64)],
    tail_ms: u64,
) -> (Vec<Note>, u64) {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let ms_of = |i: Instant| u64::try_from(i.duration_since(t0).as_millis()).unwrap();
    let mut obs = Observation::new(t0, attrs, Sample::Number(initial));
    let mut notes = vec![Note {
        at: 0,
        value: initial,
        trigger: None,
    }];
    let mut schedule = Vec::new();
    let mut clock = 0;
    for (delta, value) in changes {
        clock += delta;
        schedule.push((clock, *value));
    }
    let end = clock + tail_ms;
    let mut current = initial;
    let mut next = 0;
    let mut now = 0;
    for _ in 0..100_000 {
        let change = schedule.get(next).copied();
        let deadline = obs.next_deadline().map(ms_of);
        let action = match (change, deadline) {
            (Some((when, value)), d) if d.is_none_or(|d| when < d) => {
                now = when;
                next += 1;
                current = value;
                obs.on_change(at(now), Sample::Number(value))
            }
            (_, Some(d)) if d <= end => {
                assert!(d >= now, "deadline {d} in the past at {now}");
                now = d;
                let action = obs.on_tick(at(now));
                if action == Action::Wait {
                    let again = obs.next_deadline().map(ms_of);
                    assert!(
                        again.is_none_or(|a| a > now),
                        "tick at {now} did nothing, deadline stays"
                    );
                }
                action
            }
            _ => break,
        };
        match action {
            Action::Notify(trigger) => notes.push(Note {
                at: now,
                value: current,
                trigger: Some(trigger),
            }),
            Action::Sample => {
                if let Action::Notify(trigger) = obs.on_change(at(now), Sample::Number(current)) {
                    notes.push(Note {
                        at: now,
                        value: current,
                        trigger: Some(trigger),
                    });
                }
            }
            Action::Wait => {}
        }
    }
    (notes, end)
}

/// The reference rule: would `after` be notified against the last notified `before`?
fn worth(attrs: &Attributes, before: f64, after: f64) -> bool {
    if before == after {
        return false;
    }
    if attrs.gt.is_none() && attrs.lt.is_none() && attrs.st.is_none() {
        return true;
    }
    attrs.gt.is_some_and(|t| (before > t) != (after > t))
        || attrs.lt.is_some_and(|t| (before < t) != (after < t))
        || attrs.st.is_some_and(|st| (after - before).abs() >= st)
}

fn effective_pmax(attrs: &Attributes) -> Option<u64> {
    let pmin = attrs.pmin.unwrap_or(0);
    attrs
        .pmax
        .filter(|p| *p > 0 && *p >= pmin)
        .map(|p| u64::from(p) * 1000)
}

/// The pmin, pmax, epmin and st written at one level of the tree.
type Level = (Option<u32>, Option<u32>, Option<u32>, Option<u32>);

fn threshold() -> impl Strategy<Value = Option<f64>> {
    prop::option::weighted(0.4, (-8i32..=8).prop_map(f64::from))
}

fn attributes() -> impl Strategy<Value = Attributes> {
    (
        prop::option::of(0u32..=4),
        prop::option::weighted(0.6, 0u32..=12),
        threshold(),
        threshold(),
        prop::option::weighted(0.4, (0i32..=6).prop_map(|s| f64::from(s) / 2.0)),
    )
        .prop_map(|(pmin, pmax, gt, lt, st)| Attributes {
            pmin,
            pmax,
            gt,
            lt,
            st,
            ..Attributes::default()
        })
}

fn changes() -> impl Strategy<Value = Vec<(u64, f64)>> {
    prop::collection::vec((0u64..3000, (-10i32..=10).prop_map(f64::from)), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Rule 1: consecutive notifications are never closer than pmin.
    #[test]
    fn never_closer_than_pmin(attrs in attributes(), initial in -10i32..=10, changes in changes()) {
        let (notes, _) = simulate(&attrs, f64::from(initial), &changes, 30_000);
        let pmin = u64::from(attrs.pmin.unwrap_or(0)) * 1000;
        for pair in notes.windows(2) {
            prop_assert!(pair[1].at - pair[0].at >= pmin, "{:?} closer than pmin {pmin}", pair);
        }
    }

    /// Rule 2: with a pmax in force, no gap exceeds it (ticks run exactly at the deadline), up to
    /// the end of the run; without one, nothing is sent for time alone.
    #[test]
    fn never_further_than_pmax(attrs in attributes(), initial in -10i32..=10, changes in changes()) {
        let (notes, end) = simulate(&attrs, f64::from(initial), &changes, 30_000);
        match effective_pmax(&attrs) {
            Some(pmax) => {
                for pair in notes.windows(2) {
                    prop_assert!(pair[1].at - pair[0].at <= pmax, "{:?} further than pmax {pmax}", pair);
                }
                prop_assert!(end - notes.last().unwrap().at <= pmax);
            }
            None => prop_assert!(notes.iter().all(|n| n.trigger != Some(Trigger::MaxPeriod))),
        }
    }

    /// Rules 3 and 4: every change notification carries a value that changed and meets gt, lt
    /// or st against the previous notified value.
    #[test]
    fn change_notifications_meet_the_conditions(
        attrs in attributes(), initial in -10i32..=10, changes in changes(),
    ) {
        let (notes, _) = simulate(&attrs, f64::from(initial), &changes, 30_000);
        for pair in notes.windows(2) {
            if pair[1].trigger == Some(Trigger::Change) {
                prop_assert!(worth(&attrs, pair[0].value, pair[1].value), "{:?} with {:?}", pair, attrs);
            }
        }
    }

    /// A value that crosses gt (or lt, or moves by st, or just changes without conditions) and
    /// stays is notified, no later than pmin after the previous notification.
    #[test]
    fn a_lasting_crossing_is_notified_by_pmin(
        attrs in attributes(), initial in -10i32..=10, changes in changes(),
    ) {
        let (notes, _) = simulate(&attrs, f64::from(initial), &changes, 30_000);
        let Some(last_change) = changes.iter().map(|c| c.0).reduce(|a, b| a + b) else {
            return Ok(());
        };
        let final_value = changes.last().unwrap().1;
        let before = notes.iter().rev().find(|n| n.at <= last_change).unwrap();
        let last = notes.last().unwrap();
        prop_assert!(!worth(&attrs, last.value, final_value), "final {final_value} never notified: {:?}", notes);
        if worth(&attrs, before.value, final_value) {
            let pmin = u64::from(attrs.pmin.unwrap_or(0)) * 1000;
            let due = last_change.max(before.at + pmin);
            let sent = notes.iter().any(|n| n.at > before.at && n.at <= due && n.value == final_value);
            // At `last_change` itself the change may be sent immediately (then `before` is it).
            prop_assert!(sent || (before.at == last_change && before.value == final_value),
                "not sent by {due}: {:?}", notes);
        }
    }

    /// Inheritance: each attribute comes from the lowest level that sets it, resource instance
    /// -> resource -> instance -> object -> Server defaults.
    #[test]
    fn inheritance_precedence(
        levels in prop::collection::vec(
            (prop::option::of(0u32..100), prop::option::of(0u32..100), prop::option::of(0u32..100), prop::option::of(0u32..50)),
            4,
        ),
        default_pmin in prop::option::of(0u32..100),
        default_pmax in prop::option::of(0u32..100),
    ) {
        let paths = [
            Path::object(3303),
            Path::instance(3303, 0),
            Path::resource(3303, 0, 5700),
            Path::resource_instance(3303, 0, 5700, 1),
        ];
        let kinds = |_: &Path| Some((Kind::Float, true));
        let mut store = AttributeStore::new();
        let set = |v: Option<u32>| v.map_or(Update::Keep, Update::Set);
        for (path, (pmin, pmax, epmin, st)) in paths.iter().zip(&levels) {
            let update = AttributeUpdate {
                pmin: set(*pmin),
                pmax: set(*pmax),
                epmin: set(*epmin),
                st: if path.resource_path().is_some() {
                    st.map_or(Update::Keep, |s| Update::Set(f64::from(s)))
                } else {
                    Update::Keep
                },
                ..AttributeUpdate::default()
            };
            store.write(path, &update, &kinds).unwrap();
        }
        let defaults = Defaults { pmin: default_pmin, pmax: default_pmax };
        let eff = store.effective(&paths[3], defaults);
        let lowest = |f: fn(&Level) -> Option<u32>| levels.iter().rev().find_map(f);
        prop_assert_eq!(eff.pmin, lowest(|l| l.0).or(default_pmin).or(Some(0)));
        prop_assert_eq!(eff.pmax, lowest(|l| l.1).or(default_pmax));
        prop_assert_eq!(eff.epmin, lowest(|l| l.2));
        let st = levels[2..].iter().rev().find_map(|l| l.3).map(f64::from);
        prop_assert_eq!(eff.st, st);
        // An instance observation sees only the object and instance levels.
        let inst = store.effective(&paths[1], defaults);
        prop_assert_eq!(inst.pmin, levels[..2].iter().rev().find_map(|l| l.0).or(default_pmin).or(Some(0)));
        prop_assert_eq!(inst.st, None);
    }

    /// The link-format rendering of Discover parses back as a Write-Attributes query.
    #[test]
    fn link_params_round_trip(attrs in attributes(), epmin in prop::option::of(0u32..99), edge in prop::option::of(any::<bool>())) {
        let attrs = Attributes { epmin, edge, ..attrs };
        let text = attrs.link_params();
        let query = text.trim_start_matches(';').replace(';', "&");
        if attrs.is_empty() {
            prop_assert_eq!(text, "");
        } else {
            let update = AttributeUpdate::parse_query(&query).unwrap();
            prop_assert_eq!(update.apply(&Attributes::default()), attrs);
        }
    }
}

/// The simulation itself: a gt crossing inside pmin goes at pmin expiry, then pmax runs on.
#[test]
fn simulation_exact_times() {
    let attrs = Attributes {
        pmin: Some(2),
        pmax: Some(10),
        gt: Some(5.0),
        ..Attributes::default()
    };
    let (notes, end) = simulate(&attrs, 0.0, &[(500, 3.0), (500, 6.0), (500, 7.0)], 12_000);
    let got: Vec<(u64, f64, Option<Trigger>)> =
        notes.iter().map(|n| (n.at, n.value, n.trigger)).collect();
    assert_eq!(
        got,
        [
            (0, 0.0, None),
            (2000, 7.0, Some(Trigger::Change)),
            (12_000, 7.0, Some(Trigger::MaxPeriod)),
        ]
    );
    assert_eq!(end, 13_500);
}
