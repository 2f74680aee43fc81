//! `#[repo]`: turns an `impl SomeRepo for Db` whose async methods return `DbResult<T>` into
//! the `async_trait` implementation of that repository port, each method timed under its own
//! name (`db_query_duration_seconds{operation}` and the slow-query log) and its error
//! mapped to the app's.
//!
//! It exists so that a storage method is written once, as its SQL in the store module, with
//! the signature its trait declares: no forwarding layer, no timing wrapper to keep in step.

use proc_macro::TokenStream;
use quote::quote;
use syn::{
    GenericArgument, ImplItem, ItemImpl, PathArguments, ReturnType, Type, parse_macro_input,
    parse_quote,
};

/// See the crate documentation. Plain (non-async) methods are left as they are.
#[proc_macro_attribute]
pub fn repo(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return syn::Error::new(proc_macro2::Span::call_site(), "#[repo] takes no arguments")
            .to_compile_error()
            .into();
    }
    let mut imp = parse_macro_input!(item as ItemImpl);
    for item in &mut imp.items {
        let ImplItem::Fn(f) = item else { continue };
        if f.sig.asyncness.is_none() {
            continue;
        }
        let Some(ok) = db_result_ok(&f.sig.output) else {
            return syn::Error::new_spanned(&f.sig.output, "a #[repo] method returns DbResult<T>")
                .to_compile_error()
                .into();
        };
        let name = f.sig.ident.to_string();
        let body = &f.block;
        // The method's own return type annotates its body, so type errors name `DbResult`.
        let ReturnType::Type(_, written) = &f.sig.output else {
            continue;
        };
        let written = written.clone();
        f.block = parse_quote!({
            self.timed(#name, async move {
                let result: #written = #body;
                result
            })
            .await
        });
        f.sig.output = parse_quote!(-> formula_app::error::AppResult<#ok>);
    }
    quote!(#[async_trait::async_trait] #imp).into()
}

/// `T` of a `DbResult<T>` return type.
fn db_result_ok(output: &ReturnType) -> Option<Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "DbResult" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t.clone()),
        _ => None,
    }
}
