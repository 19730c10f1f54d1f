//! Parsing of `#[lwm2m(...)]` attributes: keys, values and flags, every error kept.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Lit, LitStr, Token};

use crate::errors::Errors;

/// Calls `on_key` for each `key`, `key = value` or `key(...)` of every `#[lwm2m(...)]` in `attrs`.
///
/// Keys outside `known` and keys given twice are reported and their value skipped, so that the
/// keys after them are still checked. A syntax error stops that attribute only. Returns the
/// `#[lwm2m]` attributes found and the known keys they give (even those with a bad value).
pub(crate) fn parse<'a>(
    attrs: &'a [Attribute],
    known: &[&str],
    errors: &mut Errors,
    mut on_key: impl FnMut(&str, &ParseNestedMeta, &mut Errors) -> syn::Result<()>,
) -> Found<'a> {
    let mut seen: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("lwm2m")) {
        found.push(attr);
        let mut local = Errors::default();
        let result = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if !known.contains(&key.as_str()) {
                let list = known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                local.push(syn::Error::new_spanned(
                    &meta.path,
                    format!(
                        "unknown key `{}`: expected one of {list}",
                        path_text(&meta.path)
                    ),
                ));
                return skip_value(&meta);
            }
            if seen.contains(&key) {
                local.push(syn::Error::new_spanned(
                    &meta.path,
                    format!("duplicate key `{key}`: give it once"),
                ));
                return skip_value(&meta);
            }
            seen.push(key.clone());
            on_key(&key, &meta, &mut local)
        });
        errors.take(result);
        errors.take(local.finish());
    }
    Found {
        attrs: found,
        keys: seen,
    }
}

/// What [`parse`] found.
pub(crate) struct Found<'a> {
    /// The `#[lwm2m(...)]` attributes.
    pub(crate) attrs: Vec<&'a Attribute>,
    /// The known keys they give.
    pub(crate) keys: Vec<String>,
}

impl Found<'_> {
    /// Whether `key` was given.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key)
    }
}

fn path_text(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Consumes what follows a key (`= value` or `(...)`), to go on after an error.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        meta.input.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::Group>()?;
    }
    Ok(())
}

/// A flag such as `multiple`: its span. A value after it is reported and skipped.
pub(crate) fn flag(key: &str, meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<Span> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        errors.push(syn::Error::new_spanned(
            &meta.path,
            format!("`{key}` is a flag: write it without a value"),
        ));
        skip_value(meta)?;
    }
    Ok(meta.path.span())
}

/// The value of `key = value`, parsed as an expression so that any literal is consumed.
fn value(meta: &ParseNestedMeta) -> syn::Result<Expr> {
    meta.value()?.parse()
}

/// `key = "text"`: the string literal, or `None` after reporting a value of another type.
pub(crate) fn string(
    key: &str,
    meta: &ParseNestedMeta,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let expr = value(meta)?;
    if let Expr::Lit(lit) = &expr {
        if let Lit::Str(s) = &lit.lit {
            return Ok(Some(s.clone()));
        }
    }
    errors.push(syn::Error::new_spanned(
        &expr,
        format!("expected a string: `{key} = \"...\"`"),
    ));
    Ok(None)
}

/// `id = 5700`: the id and the span of its literal, or `None` after reporting a bad value.
pub(crate) fn id(
    what: &str,
    meta: &ParseNestedMeta,
    errors: &mut Errors,
) -> syn::Result<Option<(u16, Span)>> {
    let expr = value(meta)?;
    let message = format!("expected the {what} id, an integer from 0 to 65535");
    if let Expr::Lit(lit) = &expr {
        if let Lit::Int(int) = &lit.lit {
            return match int.base10_parse::<u16>() {
                Ok(id) => Ok(Some((id, int.span()))),
                Err(_) => {
                    errors.push(syn::Error::new_spanned(int, message));
                    Ok(None)
                }
            };
        }
    }
    errors.push(syn::Error::new_spanned(&expr, message));
    Ok(None)
}
