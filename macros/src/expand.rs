//! The code `#[derive(Object)]` generates for a checked [`ObjectModel`].
//!
//! Per object, not per resource operation: one `static` array of the resources' metadata (sorted
//! by id), and the two hidden methods of `Object`: `__field` maps a resource's position in the
//! array to its field (as `&dyn DynResourceField`), `__field_mut` is its `&mut` twin. The
//! provided methods of `Object` (read, write, ...) do the rest once for every object: they find
//! the position (`__private::find`, a binary search) and call the runtime's shared helpers,
//! which check the operations and convert the values. `__FIELDS = true` tells the runtime that
//! the object is such a struct of fields, so that a store reaches it through code shared by all
//! objects (over `dyn ObjectInstance`) rather than through this type's copies of those methods.
//! The compile-time checks of the field types are one `const` block per object. Beside it, an
//! inherent impl holds the id constants (`ID` and one per resource, see [`constants`]).

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::model::{ObjectModel, Op, Resource};

/// `impl Object` and the static metadata, inside `const _: () = { ... };`.
pub(crate) fn expand(model: &ObjectModel) -> TokenStream {
    let krate = &model.krate;
    // `#krate::__private` under a short name: the paths of the expansion are most of its text.
    let private = quote!(__lwm2m);
    let ident = &model.ident;
    let ObjectModel {
        id,
        name,
        version,
        lwm2m_version,
        urn,
        multiple,
        mandatory,
        ..
    } = model;
    let count = model.resources.len();
    let metas = model.resources.iter().map(|r| resource_meta(&private, r));
    let arms = |mutable: bool| -> Vec<TokenStream> {
        let private = &private;
        model
            .resources
            .iter()
            .enumerate()
            .map(|(index, r)| {
                let (ty, field) = (&r.ty, &r.field);
                // Every use of the field type as a ResourceField is spelled alike (here and for
                // the KIND of the metadata), so that a type that is not one gets one error (the
                // compiler merges identical errors), on the type.
                let field = if mutable {
                    quote_spanned! {ty.span()=>
                        <#ty as #private::ResourceField>::as_dyn_mut(&mut self.#field)
                    }
                } else {
                    quote_spanned! {ty.span()=>
                        <#ty as #private::ResourceField>::as_dyn(&self.#field)
                    }
                };
                quote!(#index => #field,)
            })
            .collect()
    };
    // No arm: the defaults of `Object` (`None`) do.
    let field_fn = |mutable: bool| {
        let arms = arms(mutable);
        if arms.is_empty() {
            return quote!();
        }
        let (name, reference) = if mutable {
            (quote!(__field_mut), quote!(&mut))
        } else {
            (quote!(__field), quote!(&))
        };
        quote! {
            fn #name(
                #reference self,
                index: ::core::primitive::usize,
            ) -> #private::Option<#reference dyn #private::DynResourceField> {
                #private::Option::Some(match index {
                    #(#arms)*
                    _ => return #private::Option::None,
                })
            }
        }
    };
    let (field, field_mut) = (field_fn(false), field_fn(true));
    let checks = model.resources.iter().flat_map(|r| checks(&private, r));
    let constants = constants(model);
    quote! {
        #constants

        const _: () = {
            use #krate::__private as __lwm2m;

            static __LWM2M_RESOURCES: [#private::ResourceMeta; #count] = [#(#metas),*];

            #[automatically_derived]
            impl #krate::Object for #ident {
                const META: &'static #private::ObjectMeta = &#private::ObjectMeta {
                    id: #id,
                    name: #name,
                    version: #version,
                    lwm2m_version: #lwm2m_version,
                    urn: #urn,
                    multiple: #multiple,
                    mandatory: #mandatory,
                    resources: &__LWM2M_RESOURCES,
                };

                const __FIELDS: ::core::primitive::bool = true;

                #field

                #field_mut
            }

            const _: () = { #(#checks)* };
        };
    }
}

/// The id constants, in an inherent impl: `ID` (the object id, with the struct's visibility) and
/// one per resource, named after its field in SCREAMING_SNAKE_CASE, with the field's visibility.
/// `dead_code` is allowed: a crate uses the constants of the resources it handles, not all.
fn constants(model: &ObjectModel) -> TokenStream {
    let ObjectModel {
        ident,
        vis,
        id,
        name,
        ..
    } = model;
    let u16 = quote!(::core::primitive::u16);
    let object_doc = format!(" The object id of {} ({id}).", code_span(name));
    let resources = model.resources.iter().map(|r| {
        let Resource {
            vis,
            constant,
            id,
            field,
            ..
        } = r;
        let doc = format!(
            " The resource id of {} ({id}), field `{}`.",
            code_span(&r.name),
            field.unraw()
        );
        quote! {
            #[doc = #doc]
            #vis const #constant: #u16 = #id;
        }
    });
    quote! {
        #[allow(dead_code)]
        impl #ident {
            #[doc = #object_doc]
            #vis const ID: #u16 = #id;
            #(#resources)*
        }
    }
}

/// `text` as one Markdown code span, whatever backticks and line breaks it holds.
fn code_span(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if text.starts_with('`') || text.ends_with('`') {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// The `ResourceMeta` expression of one resource.
fn resource_meta(private: &TokenStream, r: &Resource) -> TokenStream {
    let ty = &r.ty;
    let Resource {
        id,
        name: resource_name,
        mandatory,
        ..
    } = r;
    let operations = Ident::new(r.op.variant(), Span::call_site());
    let kind = match (r.kind, r.op) {
        (Some((kind, _)), _) => {
            let variant = Ident::new(kind.variant, Span::call_site());
            quote!(#private::Kind::#variant)
        }
        // An executable resource's field is `Executable` (checked below), which has no kind.
        (None, Op::Execute) => quote!(#private::Kind::None),
        (None, _) => quote_spanned!(ty.span()=> <#ty as #private::ResourceField>::KIND),
    };
    let multiple = r.multiple.is_some();
    let units = optional(private, r.units.as_deref());
    let range = optional(private, r.range.as_deref());
    let constraint = crate::constraint::tokens(private, r.constraint.as_ref());
    quote! {
        #private::ResourceMeta {
            id: #id,
            name: #resource_name,
            operations: #private::Operations::#operations,
            kind: #kind,
            multiple: #multiple,
            mandatory: #mandatory,
            units: #units,
            range: #range,
            constraint: #constraint,
        }
    }
}

fn optional(private: &TokenStream, text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote!(#private::Option::Some(#text)),
        None => quote!(#private::Option::None),
    }
}

/// Compile-time checks that the field type fits the attribute, each failing on the attribute
/// token it is about: `multiple` (or its absence), `op`, `kind`.
fn checks(private: &TokenStream, r: &Resource) -> Vec<TokenStream> {
    let mut asserts = Vec::new();
    let mut assert = |function: &str, span: Span| {
        let function = Ident::new(function, span);
        let ty = respan(r.ty.to_token_stream(), span);
        asserts.push(quote_spanned! {span=> #private::#function::<#ty>(); });
    };
    match r.multiple {
        Some(span) => assert("assert_multiple", span),
        None => assert("assert_single", r.attr_span),
    }
    match r.op {
        Op::Execute => assert("assert_executable", r.op_span),
        _ => assert("assert_value", r.op_span),
    }
    if let Some((kind, span)) = r.kind {
        assert(kind.check, span);
    }
    asserts
}

/// `tokens` shown at `span` (for error messages), still resolved where they were written.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut new = Group::new(group.delimiter(), respan(group.stream(), span));
                new.set_span(group.span().located_at(span));
                TokenTree::Group(new)
            }
            mut other => {
                other.set_span(other.span().located_at(span));
                other
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_fence_backticks() {
        assert_eq!(code_span("Sensor Value"), "`Sensor Value`");
        assert_eq!(code_span("a `b`\n c"), "``a `b` c``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span(""), "``");
    }

    #[test]
    fn respan_keeps_the_tokens() {
        let tokens = quote!(Option<(u8, [i64; 2])>: Trait);
        assert_eq!(
            respan(tokens.clone(), Span::call_site()).to_string(),
            tokens.to_string()
        );
    }
}
