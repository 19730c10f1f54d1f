//! The value constraint of a resource: the `min`, `max`, `values`, `length` and `lengths` keys.
//!
//! Spelling (each a string, so that codegen can write any number exactly):
//! - `min = "-40"`, `max = "85.5"`: an inclusive numeric range, either bound alone is open;
//! - `values = "1, 2, 5..=7"`: allowed numbers and inclusive ranges;
//! - `length = "0..=255"` (also `"..=255"`, `"1.."`): allowed lengths in octets of a String or Opaque;
//! - `lengths = "16, 32"`: the exact allowed lengths in octets.
//!
//! At most one of the four forms (`min`/`max` count as one).

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use crate::errors::Errors;

/// A number of a constraint, exact for integers.
#[derive(Clone, Copy)]
pub(crate) enum Num {
    Int(i128),
    Float(f64),
}

/// One item of `values`.
pub(crate) enum Item {
    Value(Num),
    Range(Num, Num),
}

/// A parsed constraint.
pub(crate) enum Spec {
    Range { min: Option<Num>, max: Option<Num> },
    Values(Vec<Item>),
    Length { min: u64, max: u64 },
    Lengths(Vec<u64>),
}

/// The keys of the constraint, as given.
#[derive(Default)]
pub(crate) struct Keys {
    pub(crate) min: Option<LitStr>,
    pub(crate) max: Option<LitStr>,
    pub(crate) values: Option<LitStr>,
    pub(crate) length: Option<LitStr>,
    pub(crate) lengths: Option<LitStr>,
}

impl Keys {
    /// The constraint, or `None` (after reporting) when none or a bad one is given.
    pub(crate) fn build(&self, errors: &mut Errors) -> Option<Spec> {
        let given: Vec<(&str, &LitStr)> = [
            ("min", &self.min),
            ("max", &self.max),
            ("values", &self.values),
            ("length", &self.length),
            ("lengths", &self.lengths),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let forms = usize::from(self.min.is_some() || self.max.is_some())
            + usize::from(self.values.is_some())
            + usize::from(self.length.is_some())
            + usize::from(self.lengths.is_some());
        if forms > 1 {
            for (key, lit) in &given {
                errors.push(syn::Error::new_spanned(
                    lit,
                    format!(
                        "`{key}`: give one constraint only: `min`/`max`, `values`, `length` or \
                         `lengths`"
                    ),
                ));
            }
            return None;
        }
        let mut ok = true;
        let mut bad = |lit: &LitStr, what: &str| {
            errors.push(syn::Error::new_spanned(lit, what.to_owned()));
            ok = false;
        };
        let spec = if self.min.is_some() || self.max.is_some() {
            let mut bound = |lit: &Option<LitStr>| {
                let lit = lit.as_ref()?;
                let n = number(lit.value().trim());
                if n.is_none() {
                    bad(lit, "expected a finite number, such as \"-40\" or \"85.5\"");
                }
                n
            };
            let min = bound(&self.min);
            let max = bound(&self.max);
            Spec::Range { min, max }
        } else if let Some(lit) = &self.values {
            match values(&lit.value()) {
                Some(items) => Spec::Values(items),
                None => {
                    bad(lit, "expected numbers and ranges, such as \"1, 2, 5..=7\"");
                    return None;
                }
            }
        } else if let Some(lit) = &self.length {
            match length(&lit.value()) {
                Some((min, max)) if min <= max => Spec::Length { min, max },
                _ => {
                    bad(
                        lit,
                        "expected a length range in octets, such as \"0..=255\" or \"..=64\"",
                    );
                    return None;
                }
            }
        } else if let Some(lit) = &self.lengths {
            match list(&lit.value(), |t| t.parse::<u64>().ok()) {
                Some(lengths) => Spec::Lengths(lengths),
                None => {
                    bad(lit, "expected lengths in octets, such as \"16, 32\"");
                    return None;
                }
            }
        } else {
            return None;
        };
        ok.then_some(spec)
    }
}

fn number(text: &str) -> Option<Num> {
    if let Ok(n) = text.parse::<i128>() {
        return Some(Num::Int(n));
    }
    text.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Num::Float)
}

fn list<T>(text: &str, item: impl Fn(&str) -> Option<T>) -> Option<Vec<T>> {
    let items: Option<Vec<T>> = text.split(',').map(|t| item(t.trim())).collect();
    items.filter(|v| !v.is_empty())
}

fn values(text: &str) -> Option<Vec<Item>> {
    list(text, |t| match t.split_once("..=") {
        Some((a, b)) => Some(Item::Range(number(a.trim())?, number(b.trim())?)),
        None => number(t).map(Item::Value),
    })
}

fn length(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let (min, max) = match text.split_once("..=") {
        Some((a, b)) => (a, b.trim()),
        None => (text.strip_suffix("..")?, ""),
    };
    let min = match min.trim() {
        "" => 0,
        m => m.parse().ok()?,
    };
    let max = match max {
        "" => u64::MAX,
        m => m.parse().ok()?,
    };
    Some((min, max))
}

fn num_tokens(private: &TokenStream, n: Num) -> TokenStream {
    match n {
        Num::Int(v) => {
            // A negative literal: `-40i128`, in an expression the negation of `40i128`.
            let lit = proc_macro2::Literal::i128_suffixed(v);
            quote!(#private::Number::Int(#lit))
        }
        Num::Float(v) => {
            let lit = proc_macro2::Literal::f64_suffixed(v.abs());
            let neg = v.is_sign_negative().then(|| quote!(-));
            quote!(#private::Number::Float(#neg #lit))
        }
    }
}

fn opt_tokens(private: &TokenStream, n: Option<Num>) -> TokenStream {
    match n {
        Some(n) => {
            let n = num_tokens(private, n);
            quote!(#private::Option::Some(#n))
        }
        None => quote!(#private::Option::None),
    }
}

/// The `Constraint` expression of the resource's meta.
pub(crate) fn tokens(private: &TokenStream, spec: Option<&Spec>) -> TokenStream {
    match spec {
        None => quote!(#private::Constraint::None),
        Some(Spec::Range { min, max }) => {
            let min = opt_tokens(private, *min);
            let max = opt_tokens(private, *max);
            quote!(#private::Constraint::Range { min: #min, max: #max })
        }
        Some(Spec::Values(items)) => {
            let items = items.iter().map(|item| match item {
                Item::Value(v) => {
                    let v = num_tokens(private, *v);
                    quote!(#private::ValueItem::Value(#v))
                }
                Item::Range(a, b) => {
                    let a = num_tokens(private, *a);
                    let b = num_tokens(private, *b);
                    quote!(#private::ValueItem::Range(#a, #b))
                }
            });
            quote!(#private::Constraint::Values(&[#(#items),*]))
        }
        Some(Spec::Length { min, max }) => {
            quote!(#private::Constraint::Length { min: #min, max: #max })
        }
        Some(Spec::Lengths(lengths)) => quote!(#private::Constraint::Lengths(&[#(#lengths),*])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_forms() {
        assert_eq!(length("0..=255"), Some((0, 255)));
        assert_eq!(length("..=64"), Some((0, 64)));
        assert_eq!(length("1.."), Some((1, u64::MAX)));
        assert_eq!(length("255"), None);
        assert_eq!(length("a..=3"), None);
    }

    #[test]
    fn numbers_and_values() {
        assert!(matches!(number("-40"), Some(Num::Int(-40))));
        assert!(
            matches!(number("18446744073709551615"), Some(Num::Int(n)) if n == i128::from(u64::MAX))
        );
        assert!(matches!(number("85.5"), Some(Num::Float(f)) if f == 85.5));
        assert!(number("inf").is_none());
        assert!(number("x").is_none());
        let items = values("1, 2, 5..=7").unwrap_or_default();
        assert_eq!(items.len(), 3);
        assert!(matches!(
            items.get(2),
            Some(Item::Range(Num::Int(5), Num::Int(7)))
        ));
        assert!(values("1,,2").is_none());
    }

    #[test]
    fn integer_tokens_are_exact_i128_literals() {
        let private = quote!(p);
        let tokens = |n| num_tokens(&private, n).to_string().replace(' ', "");
        assert_eq!(tokens(Num::Int(-40)), "p::Number::Int(-40i128)");
        assert_eq!(
            tokens(Num::Int(i128::from(i64::MIN))),
            "p::Number::Int(-9223372036854775808i128)"
        );
        assert_eq!(
            tokens(Num::Int(i128::from(u64::MAX))),
            "p::Number::Int(18446744073709551615i128)"
        );
    }
}
