//! Identifier rules: how registry names become Rust field and type names.
//!
//! The rules are deterministic and depend only on the names (and ids) involved, never on which
//! objects are selected for generation. For a single name:
//!
//! 1. **Transliteration.** Non-ASCII whitespace (NBSP, U+2000..U+200B, ...) is a space. Common
//!    accented Latin letters lose their accent (`é` -> `e`, `ß` -> `ss`, `µ` -> `u`). Apostrophes
//!    (`'`, `’`, `‘`) are dropped, so `lamp’s` gives `lamps`. Any other non-ASCII character is a
//!    word separator.
//! 2. **`&`.** Between two letters or digits it is dropped (`AT&T` gives `att`, not heck's `at_t`);
//!    elsewhere it is the word `and`.
//! 3. **Mixed-case acronyms.** heck splits a word at every lower-to-upper change, which turns
//!    `LwM2M` into `lw_m2m`, `IPv6` into `i_pv6`, `eNB` into `e_nb`, `oA` into `o_a`, `kWh` into
//!    `k_wh` and `URIs` into `ur_is`. A word (a run of ASCII letters and digits) of at most 6
//!    characters with at most 2 lowercase letters and at least one upper and one lower case letter is
//!    therefore lowercased before heck sees it, so it stays one word: `lwm2m`, `ipv6`, `enb`, `oa`,
//!    `kwh`, `uris` (and `Lwm2m`, `Ipv6`... in type names). Genuine camelCase words such as
//!    `rachLatency` are longer or have more lowercase letters and are split as heck does
//!    (`rach_latency`).
//! 4. **Case.** heck 0.5: `snake_case` for fields, `UpperCamelCase` for types.
//! 5. **Leading digit.** An identifier cannot start with a digit: fields get the prefix `n`
//!    (`3-Phase Active Power` -> `n3_phase_active_power`, `5QI` -> `n5qi`), types the prefix `N`
//!    (`3-Phase Power Meter` -> `N3PhasePowerMeter`).
//! 6. **Empty.** A name with no letter or digit left becomes `resource_<id>` or `Object<id>`.
//! 7. **Keywords.** A Rust keyword becomes a raw identifier (`Type` -> `r#type`); `self`, `Self`,
//!    `super`, `crate` and `_`, which cannot be raw, get the suffix `_` (`Self_`).
//!
//! Collisions:
//!
//! * **Inside one object** ([`field_names`]): when two or more resources get the same identifier
//!   (exact duplicates such as 3430 #17/#18 `Satellite identifiers`, or different names with the
//!   same `snake_case` such as 3421 #27/#28), *every* member of the group gets the suffix
//!   `_<resource id>`: `satellite_identifiers_17`, `satellite_identifiers_18`. This is repeated until
//!   no collision is left (a suffixed name could in theory meet another plain name).
//! * **Across objects** ([`type_names`]): type names are computed over the whole universe of known
//!   objects (the bundled registry plus the user's files), so a name never changes with the
//!   selection. In a group of objects with the same type name, the lowest id keeps the plain name
//!   and the others get the id as a suffix: `Location` (6) and `Location3336`.
//!
//! The generated file defines no item other than the object structs and the `OBJECTS` constant
//! (value namespace, `SCREAMING_CASE`), so an `UpperCamelCase` type name cannot clash with it; and
//! it names every std, core and runtime type by absolute path, so an object called `Time` (3333)
//! or `String` shadows nothing.

use std::collections::{BTreeMap, HashMap};

use heck::{ToSnakeCase, ToUpperCamelCase};
use lwm2m_model::ResourceDef;

/// Strict and reserved Rust keywords (2015 to 2024 editions) that can be used as raw identifiers.
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers: they get a `_` suffix.
const NON_RAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// The `snake_case` identifier for one resource name, without collision handling.
///
/// `id` is only used when nothing is left of the name (`resource_<id>`).
///
/// ```
/// use lwm2m_codegen::naming::field_name;
/// assert_eq!(field_name("Sensor Value", 5700), "sensor_value");
/// assert_eq!(field_name("5QI", 8), "n5qi");
/// assert_eq!(field_name("Type", 3), "r#type");
/// ```
pub fn field_name(name: &str, id: u16) -> String {
    keyword_safe(field_base(name, id))
}

/// The `UpperCamelCase` identifier for one object name, without collision handling.
///
/// `id` is only used when nothing is left of the name (`Object<id>`).
///
/// ```
/// use lwm2m_codegen::naming::type_name;
/// assert_eq!(type_name("3-Phase Power Meter", 10242), "N3PhasePowerMeter");
/// assert_eq!(type_name("LwM2M Server", 1), "Lwm2mServer");
/// ```
pub fn type_name(name: &str, id: u16) -> String {
    keyword_safe(type_base(name, id))
}

/// The final field identifiers of an object's resources, in the same order as `resources`.
///
/// Applies [`field_name`]'s rules, then the collision rule of the module documentation.
pub fn field_names(resources: &[ResourceDef]) -> Vec<String> {
    let names = resources
        .iter()
        .map(|r| (r.id, field_base(&r.name, r.id)))
        .collect::<Vec<_>>();
    resolve_collisions(names, |base, id| format!("{base}_{id}"))
        .into_iter()
        .map(keyword_safe)
        .collect()
}

/// The final type identifiers of a universe of objects, given as `(id, name)` pairs.
///
/// Within a group of objects whose names give the same identifier, the lowest id keeps the plain
/// name and the others get their id as a suffix (`Location3336`). Pass every known object, not only
/// the ones being generated, so that names do not depend on the selection.
pub fn type_names<'a>(objects: impl IntoIterator<Item = (u16, &'a str)>) -> BTreeMap<u16, String> {
    let mut bases = objects
        .into_iter()
        .map(|(id, name)| (id, type_base(name, id)))
        .collect::<Vec<_>>();
    bases.sort_by_key(|(id, _)| *id);
    bases.dedup_by_key(|(id, _)| *id);
    let mut taken: HashMap<String, u16> = HashMap::new();
    let mut result = BTreeMap::new();
    let mut suffixed = Vec::new();
    for (id, base) in bases {
        match taken.get(&base) {
            Some(_) => suffixed.push((id, format!("{base}{id}"))),
            None => {
                taken.insert(base.clone(), id);
                result.insert(id, base);
            }
        }
    }
    // A suffixed name (unique among suffixed names: the id is unique) may still meet a plain name,
    // such as an object literally called "Location 3336": then the suffixed one gets its id again.
    for (id, mut name) in suffixed {
        while taken.contains_key(&name) {
            name = format!("{name}{id}");
        }
        taken.insert(name.clone(), id);
        result.insert(id, name);
    }
    result
        .into_iter()
        .map(|(id, name)| (id, keyword_safe(name)))
        .collect()
}

/// Gives every member of a collision group a suffix, until no collision is left.
fn resolve_collisions(
    mut names: Vec<(u16, String)>,
    suffix: impl Fn(&str, u16) -> String,
) -> Vec<String> {
    let mut suffixed = vec![false; names.len()];
    loop {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (_, name) in &names {
            *count.entry(name.as_str()).or_default() += 1;
        }
        let colliding = names
            .iter()
            .enumerate()
            .filter(|(_, (_, name))| count.get(name.as_str()).copied().unwrap_or(0) > 1)
            .map(|(index, _)| index)
            .collect::<Vec<_>>();
        // Suffixed names are unique among themselves (`<base>_<id>` with unique ids), so every
        // round suffixes at least one plain name, and the loop ends.
        let mut progress = false;
        for index in colliding {
            if let (Some((id, name)), Some(done)) = (names.get_mut(index), suffixed.get_mut(index))
            {
                if !*done {
                    *name = suffix(name, *id);
                    *done = true;
                    progress = true;
                }
            }
        }
        if !progress {
            return names.into_iter().map(|(_, name)| name).collect();
        }
    }
}

/// `snake_case`, leading digit prefixed, empty replaced; no keyword handling yet.
fn field_base(name: &str, id: u16) -> String {
    let snake = prepare(name).to_snake_case();
    match snake.chars().next() {
        None => format!("resource_{id}"),
        Some(c) if c.is_ascii_digit() => format!("n{snake}"),
        Some(_) => snake,
    }
}

/// `UpperCamelCase`, leading digit prefixed, empty replaced; no keyword handling yet.
fn type_base(name: &str, id: u16) -> String {
    let camel = prepare(name).to_upper_camel_case();
    match camel.chars().next() {
        None => format!("Object{id}"),
        Some(c) if c.is_ascii_digit() => format!("N{camel}"),
        Some(_) => camel,
    }
}

/// The module (and file) names of a split output, one per type name, in the same order: the
/// type name in `snake_case` (`Temperature` -> `temperature`, `Location3336` ->
/// `location3336`), a keyword with a `_` suffix (`type_`), and any name that two types would
/// share suffixed with the position of the second (`a_b_2`), so that every module is distinct.
///
/// ```
/// use lwm2m_codegen::naming::module_names;
/// assert_eq!(
///     module_names(["Temperature", "N3PhasePowerMeter", "Type", "AB", "Ab"]),
///     ["temperature", "n3_phase_power_meter", "type_", "ab", "ab_4"]
/// );
/// ```
pub fn module_names<'a>(type_names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    type_names
        .into_iter()
        .enumerate()
        .map(|(index, name)| {
            let mut module = name.to_snake_case();
            if RAW_KEYWORDS.contains(&module.as_str())
                || NON_RAW_KEYWORDS.contains(&module.as_str())
            {
                module.push('_');
            }
            // `mod.rs` is the root: no object module may be called `mod` (a keyword anyway).
            while !seen.insert(module.clone()) {
                module = format!("{module}_{index}");
            }
            module
        })
        .collect()
}

/// Raw identifier for keywords, `_` suffix for those that cannot be raw.
fn keyword_safe(name: String) -> String {
    if NON_RAW_KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else if RAW_KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// Steps 1 to 3 of the module documentation: an ASCII string that heck splits as wanted.
fn prepare(name: &str) -> String {
    let chars = name.chars().collect::<Vec<_>>();
    let mut ascii = String::with_capacity(name.len());
    for (index, &c) in chars.iter().enumerate() {
        let before = index
            .checked_sub(1)
            .and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphanumeric());
        let after = chars.get(index + 1).is_some_and(|c| c.is_alphanumeric());
        match c {
            '&' if before && after => {}
            '&' => ascii.push_str(" and "),
            '\'' | '\u{2018}' | '\u{2019}' => {}
            c if c.is_ascii() => ascii.push(c),
            c => match transliterate(c) {
                Some(text) => ascii.push_str(text),
                None => ascii.push(' '),
            },
        }
    }
    let mut out = String::with_capacity(ascii.len());
    let mut word = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            push_word(&mut out, &word);
            word.clear();
            out.push(c);
        }
    }
    push_word(&mut out, &word);
    out
}

/// Appends a word, lowercased when it is a short mixed-case acronym (step 3).
fn push_word(out: &mut String, word: &str) {
    let lower = word.chars().filter(char::is_ascii_lowercase).count();
    let upper = word.chars().filter(char::is_ascii_uppercase).count();
    if word.len() <= 6 && lower > 0 && lower <= 2 && upper > 0 {
        out.push_str(&word.to_ascii_lowercase());
    } else {
        out.push_str(word);
    }
}

/// ASCII for the non-ASCII letters likely in names; `None` means "word separator".
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' => "c",
        'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' => "n",
        'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "O",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' => "Y",
        'ß' => "ss",
        'µ' | 'μ' => "u",
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests may panic on unexpected results.
mod tests {
    use super::*;
    use lwm2m_model::Operations;

    fn resource(id: u16, name: &str) -> ResourceDef {
        ResourceDef {
            id,
            name: name.to_owned(),
            operations: Operations::Read,
            multiple: false,
            mandatory: false,
            kind: None,
            range: None,
            units: None,
            description: String::new(),
        }
    }

    #[test]
    fn plain_names() {
        assert_eq!(field_name("Sensor Value", 5700), "sensor_value");
        assert_eq!(field_name("LWM2M  Server URI", 0), "lwm2m_server_uri");
        assert_eq!(type_name("Temperature", 3303), "Temperature");
        assert_eq!(type_name("On/Off switch", 3342), "OnOffSwitch");
        assert_eq!(
            type_name("LwM2M v1.0 Test Object", 3441),
            "Lwm2mV10TestObject"
        );
        assert_eq!(type_name("rachLatency_delay", 3365), "RachLatencyDelay");
        assert_eq!(field_name("rachLatency_delay", 1), "rach_latency_delay");
    }

    #[test]
    fn punctuation() {
        assert_eq!(field_name("rsrp-Result ", 3), "rsrp_result");
        assert_eq!(field_name(" OSCORE ID Context", 6), "oscore_id_context");
        assert_eq!(
            field_name("Active energy (|+A|+|-A|) Combined total", 27),
            "active_energy_a_a_combined_total"
        );
        assert_eq!(field_name("PM2.5", 1), "pm2_5");
    }

    #[test]
    fn leading_digit() {
        assert_eq!(
            field_name("3-Phase Active Power", 34),
            "n3_phase_active_power"
        );
        assert_eq!(field_name("5QI", 8), "n5qi");
        assert_eq!(
            field_name("44 Broadcast Packets Received", 44),
            "n44_broadcast_packets_received"
        );
        assert_eq!(type_name("3-Phase Power Meter", 10242), "N3PhasePowerMeter");
        assert_eq!(type_name("5GNR Connectivity", 27), "N5gnrConnectivity");
    }

    #[test]
    fn keywords() {
        assert_eq!(field_name("Type", 3), "r#type");
        assert_eq!(field_name("match", 3), "r#match");
        assert_eq!(field_name("gen", 3), "r#gen");
        assert_eq!(field_name("self", 3), "self_");
        assert_eq!(field_name("Super", 3), "super_");
        assert_eq!(field_name("crate", 3), "crate_");
        assert_eq!(type_name("self", 9), "Self_");
        // Not keywords once converted.
        assert_eq!(type_name("Type", 9), "Type");
        assert_eq!(field_name("Name", 0), "name");
    }

    #[test]
    fn empty_after_sanitising() {
        assert_eq!(field_name("", 12), "resource_12");
        assert_eq!(field_name("--- ()", 12), "resource_12");
        assert_eq!(field_name("_", 7), "resource_7");
        assert_eq!(type_name("???", 50000), "Object50000");
        assert_eq!(type_name("日本", 50001), "Object50001");
    }

    #[test]
    fn non_ascii() {
        // NBSP (3459 #4) is whitespace.
        assert_eq!(field_name("Group\u{a0} Address", 4), "group_address");
        assert_eq!(field_name("Température", 1), "temperature");
        assert_eq!(field_name("Straße", 1), "strasse");
        assert_eq!(field_name("lamp’s state", 1), "lamps_state");
        assert_eq!(field_name("Max 日本 Value", 1), "max_value");
        assert_eq!(field_name("µA current", 1), "ua_current");
    }

    #[test]
    fn unlucky_heck_splits_are_fixed() {
        assert_eq!(type_name("LWM2M Security", 0), "Lwm2mSecurity");
        assert_eq!(type_name("LwM2M Server", 1), "Lwm2mServer");
        assert_eq!(field_name("LwM2M Server", 1), "lwm2m_server");
        assert_eq!(field_name("IPv6 Address", 1), "ipv6_address");
        assert_eq!(field_name("eNB RSRP", 1), "enb_rsrp");
        assert_eq!(
            field_name("oA Logical Light Point", 1),
            "oa_logical_light_point"
        );
        assert_eq!(field_name("Total kWh", 1), "total_kwh");
        assert_eq!(field_name("Server URIs", 1), "server_uris");
        assert_eq!(
            type_name("AT&T Connectivity Extension", 10308),
            "AttConnectivityExtension"
        );
        assert_eq!(field_name("Sun & Moon", 1), "sun_and_moon");
        // Genuine camelCase is still split.
        assert_eq!(field_name("SMSCAddress", 1), "smsc_address");
        assert_eq!(field_name("rachLatency", 1), "rach_latency");
    }

    #[test]
    fn identical_names_in_one_object_all_get_the_id() {
        let names = field_names(&[
            resource(16, "Satellite count"),
            resource(17, "Satellite identifiers"),
            resource(18, "Satellite identifiers"),
        ]);
        assert_eq!(
            names,
            [
                "satellite_count",
                "satellite_identifiers_17",
                "satellite_identifiers_18"
            ]
        );
    }

    #[test]
    fn same_snake_case_in_one_object_all_get_the_id() {
        let names = field_names(&[
            resource(27, "Active energy (|+A|+|-A|) Combined total"),
            resource(28, "Active energy (|+A|-|-A|) Combined total"),
            resource(29, "Reactive energy"),
        ]);
        assert_eq!(
            names,
            [
                "active_energy_a_a_combined_total_27",
                "active_energy_a_a_combined_total_28",
                "reactive_energy"
            ]
        );
    }

    #[test]
    fn suffixed_name_meeting_a_plain_name_is_resolved() {
        let names = field_names(&[
            resource(1, "Foo"),
            resource(2, "Foo"),
            resource(3, "Foo 1"),
            resource(4, "Type"),
            resource(5, "Type"),
        ]);
        assert_eq!(names, ["foo_1", "foo_2", "foo_1_3", "type_4", "type_5"]);
        let unique = names.iter().collect::<std::collections::HashSet<_>>();
        assert_eq!(unique.len(), names.len());
    }

    #[test]
    fn object_collisions_lowest_id_keeps_the_plain_name() {
        let names = type_names([(3336, "Location"), (6, "Location"), (3303, "Temperature")]);
        assert_eq!(names.get(&6).map(String::as_str), Some("Location"));
        assert_eq!(names.get(&3336).map(String::as_str), Some("Location3336"));
        assert_eq!(names.get(&3303).map(String::as_str), Some("Temperature"));
    }

    #[test]
    fn object_suffix_meeting_a_plain_name_is_resolved() {
        let names = type_names([(6, "Location"), (3336, "Location"), (7, "Location 3336")]);
        assert_eq!(names.get(&6).map(String::as_str), Some("Location"));
        assert_eq!(names.get(&7).map(String::as_str), Some("Location3336"));
        assert_eq!(
            names.get(&3336).map(String::as_str),
            Some("Location33363336")
        );
    }

    #[test]
    fn type_names_are_keyword_safe() {
        let names = type_names([(1, "Self"), (2, "self")]);
        assert_eq!(names.get(&1).map(String::as_str), Some("Self_"));
        assert_eq!(names.get(&2).map(String::as_str), Some("Self2"));
    }
}
