//! One conversion error for every schema: typify gives each module its own
//! copy of `error::ConversionError`; this pass replaces the copy with a
//! re-export of the runtime's `__private::ConversionError`, the same
//! definition, so the generated file does not repeat it once per schema.

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Rewrites typify's `pub mod error { … }` in `types` to
/// `pub mod error { pub use <private>::ConversionError; }`. A module named
/// `error` that holds anything else is left alone.
pub(crate) fn share_conversion_error(types: TokenStream, private: &str) -> TokenStream {
    let (Ok(mut file), Ok(private)) = (
        syn::parse2::<syn::File>(types.clone()),
        syn::parse_str::<syn::Path>(private),
    ) else {
        return types;
    };
    for item in &mut file.items {
        if let syn::Item::Mod(module) = item
            && module.ident == "error"
            && let Some((_, items)) = &mut module.content
            && items.iter().all(is_conversion_error_item)
        {
            *items = vec![syn::parse_quote! {
                #[allow(unused_imports)]
                pub use #private::ConversionError;
            }];
        }
    }
    file.into_token_stream()
}

/// The struct `ConversionError` or an `impl … for ConversionError`.
fn is_conversion_error_item(item: &syn::Item) -> bool {
    match item {
        syn::Item::Struct(item) => item.ident == "ConversionError",
        syn::Item::Impl(item) => match &*item.self_ty {
            syn::Type::Path(path) => path
                .path
                .segments
                .last()
                .is_some_and(|segment| segment.ident == "ConversionError"),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn replaces_the_typify_error_module() {
        let types = quote! {
            pub struct Thing;
            /// Error types.
            pub mod error {
                pub struct ConversionError(::std::borrow::Cow<'static, str>);
                impl ::std::error::Error for ConversionError {}
                impl From<&'static str> for ConversionError {
                    fn from(value: &'static str) -> Self { Self(value.into()) }
                }
            }
        };
        let out = share_conversion_error(types, "::polyn::__private").to_string();
        assert!(
            out.contains(
                "pub mod error { # [allow (unused_imports)] pub use :: polyn :: __private :: ConversionError ; }"
            ),
            "{out}"
        );
        assert!(out.contains("# [doc = r\" Error types.\"]"), "{out}");
        assert!(out.contains("pub struct Thing"), "{out}");
    }

    #[test]
    fn keeps_an_error_module_with_other_items() {
        let types = quote! { pub mod error { pub struct Other; } };
        let out = share_conversion_error(types, "::polyn::__private").to_string();
        assert!(out.contains("pub struct Other"), "{out}");
    }
}
