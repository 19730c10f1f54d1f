//! The code `#[derive(Object)]` generates for a checked [`ObjectModel`].

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{ObjectModel, Op, Resource};

/// `impl Object` and the static metadata, inside `const _: () = { ... };`.
pub(crate) fn expand(model: &ObjectModel) -> TokenStream {
    let krate = &model.krate;
    let private = quote!(#krate::__private);
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
    let names: Vec<Ident> = model.resources.iter().map(const_name).collect();
    let consts = model
        .resources
        .iter()
        .zip(&names)
        .map(|(r, name)| resource_const(&private, r, name));
    let read_arms = model.resources.iter().zip(&names).map(|(r, name)| {
        let (id, field) = (r.id, &r.field);
        let ty = &r.ty;
        // Every use of the field type as a ResourceField is spelled alike, so that a type that is
        // not one gets one error (the compiler merges identical errors), on the type.
        quote_spanned! {ty.span()=>
            #id => #private::readable(&#name)
                .and_then(|()| <#ty as #private::ResourceField>::read(&self.#field, &#name)),
        }
    });
    let write_arms = model.resources.iter().zip(&names).map(|(r, name)| {
        let (id, field) = (r.id, &r.field);
        let ty = &r.ty;
        quote_spanned! {ty.span()=>
            #id => #private::writable(&#name).and_then(|()| {
                <#ty as #private::ResourceField>::write(&mut self.#field, &#name, value)
            }),
        }
    });
    let read_unchecked_arms = model.resources.iter().zip(&names).map(|(r, name)| {
        let (id, field) = (r.id, &r.field);
        let ty = &r.ty;
        quote_spanned! {ty.span()=>
            #id => <#ty as #private::ResourceField>::read(&self.#field, &#name),
        }
    });
    let write_unchecked_arms = model.resources.iter().zip(&names).map(|(r, name)| {
        let (id, field) = (r.id, &r.field);
        let ty = &r.ty;
        quote_spanned! {ty.span()=>
            #id => <#ty as #private::ResourceField>::write(&mut self.#field, &#name, value),
        }
    });
    let reset_arms = model.resources.iter().map(|r| {
        let (id, field) = (r.id, &r.field);
        let ty = &r.ty;
        quote_spanned! {ty.span()=>
            #id => {
                <#ty as #private::ResourceField>::reset(&mut self.#field);
                #private::Result::Ok(())
            }
        }
    });
    let checks = model.resources.iter().map(|r| checks(&private, r));
    quote! {
        const _: () = {
            #(#consts)*

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
                    resources: &[#(#names),*],
                };

                fn read(
                    &self,
                    resource: ::core::primitive::u16,
                ) -> #private::Result<#private::ResourceValue, #private::Error> {
                    match resource {
                        #(#read_arms)*
                        _ => #private::Result::Err(#private::Error::NotFound { resource }),
                    }
                }

                fn write(
                    &mut self,
                    resource: ::core::primitive::u16,
                    value: #private::ResourceValue,
                ) -> #private::Result<(), #private::Error> {
                    match resource {
                        #(#write_arms)*
                        _ => {
                            let _ = value;
                            #private::Result::Err(#private::Error::NotFound { resource })
                        }
                    }
                }

                fn read_unchecked(
                    &self,
                    resource: ::core::primitive::u16,
                ) -> #private::Result<#private::ResourceValue, #private::Error> {
                    match resource {
                        #(#read_unchecked_arms)*
                        _ => #private::Result::Err(#private::Error::NotFound { resource }),
                    }
                }

                fn write_unchecked(
                    &mut self,
                    resource: ::core::primitive::u16,
                    value: #private::ResourceValue,
                ) -> #private::Result<(), #private::Error> {
                    match resource {
                        #(#write_unchecked_arms)*
                        _ => {
                            let _ = value;
                            #private::Result::Err(#private::Error::NotFound { resource })
                        }
                    }
                }

                fn reset(
                    &mut self,
                    resource: ::core::primitive::u16,
                ) -> #private::Result<(), #private::Error> {
                    match resource {
                        #(#reset_arms)*
                        _ => #private::Result::Err(#private::Error::NotFound { resource }),
                    }
                }
            }

            #(#checks)*
        };
    }
}

fn const_name(resource: &Resource) -> Ident {
    format_ident!("__LWM2M_RESOURCE_{}", resource.id)
}

/// `const __LWM2M_RESOURCE_ID: ResourceMeta = ...;`
fn resource_const(private: &TokenStream, r: &Resource, name: &Ident) -> TokenStream {
    let ty = &r.ty;
    let Resource {
        id,
        name: resource_name,
        mandatory,
        ..
    } = r;
    let operations = Ident::new(r.op.variant(), Span::call_site());
    let kind = match r.kind {
        Some((kind, _)) => {
            let variant = Ident::new(kind.variant, Span::call_site());
            quote!(#private::Kind::#variant)
        }
        None => quote_spanned!(ty.span()=> <#ty as #private::ResourceField>::KIND),
    };
    let multiple = r.multiple.is_some();
    let units = optional(r.units.as_deref());
    let range = optional(r.range.as_deref());
    let constraint = crate::constraint::tokens(private, r.constraint.as_ref());
    quote! {
        const #name: #private::ResourceMeta = #private::ResourceMeta {
            id: #id,
            name: #resource_name,
            operations: #private::Operations::#operations,
            kind: #kind,
            multiple: #multiple,
            mandatory: #mandatory,
            units: #units,
            range: #range,
            constraint: #constraint,
        };
    }
}

fn optional(text: Option<&str>) -> TokenStream {
    match text {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}

/// Compile-time checks that the field type fits the attribute, each failing on the attribute
/// token it is about: `multiple` (or its absence), `op`, `kind`.
fn checks(private: &TokenStream, r: &Resource) -> TokenStream {
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
    quote! {
        const _: () = { #(#asserts)* };
    }
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
