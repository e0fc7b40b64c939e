//! One conversion error for every schema: typify gives each module its own
//! copy of `error::ConversionError`; this pass replaces the copy with a
//! re-export of the runtime's `__private::ConversionError`, the same
//! definition, so the generated file does not repeat it once per schema,
//! and leaves it out of modules that convert nothing.

use quote::ToTokens;
use syn::Item;

/// Rewrites typify's `pub mod error { … }` in `items` to
/// `pub mod error { pub use <private>::ConversionError; }`, or drops it when
/// no type of the module converts with it (`needed` is false and no other
/// item names `error::ConversionError`). A module named `error` that holds
/// anything else is left alone.
pub(crate) fn share_conversion_error(items: &mut Vec<Item>, private: &syn::Path, needed: bool) {
    let Some(index) = items.iter().position(is_typify_error_module) else {
        return;
    };
    let needed = needed
        || items
            .iter()
            .enumerate()
            .any(|(other, item)| other != index && names_conversion_error(item));
    if !needed {
        items.remove(index);
        return;
    }
    if let Item::Mod(module) = &mut items[index]
        && let Some((_, content)) = &mut module.content
    {
        *content = vec![syn::parse_quote! {
            #[allow(unused_imports)]
            pub use #private::ConversionError;
        }];
    }
}

/// typify's `mod error`: only `ConversionError` and its impls.
fn is_typify_error_module(item: &Item) -> bool {
    matches!(
        item,
        Item::Mod(module)
            if module.ident == "error"
                && module
                    .content
                    .as_ref()
                    .is_some_and(|(_, items)| items.iter().all(is_conversion_error_item))
    )
}

/// Does `item` name `error::ConversionError`?
fn names_conversion_error(item: &Item) -> bool {
    item.to_token_stream()
        .to_string()
        .contains("error :: ConversionError")
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

    fn run(types: proc_macro2::TokenStream, needed: bool) -> String {
        let mut file: syn::File = syn::parse2(types).unwrap();
        let private = syn::parse_str("::polyn::__private").unwrap();
        share_conversion_error(&mut file.items, &private, needed);
        file.into_token_stream().to_string()
    }

    fn typify_error_module() -> proc_macro2::TokenStream {
        quote! {
            /// Error types.
            pub mod error {
                pub struct ConversionError(::std::borrow::Cow<'static, str>);
                impl ::std::error::Error for ConversionError {}
                impl From<&'static str> for ConversionError {
                    fn from(value: &'static str) -> Self { Self(value.into()) }
                }
            }
        }
    }

    #[test]
    fn replaces_the_typify_error_module() {
        let error = typify_error_module();
        let out = run(
            quote! {
                pub struct Thing;
                impl ::std::str::FromStr for Thing { type Err = self::error::ConversionError; }
                #error
            },
            false,
        );
        assert!(
            out.contains(
                "pub mod error { # [allow (unused_imports)] pub use :: polyn :: __private :: ConversionError ; }"
            ),
            "{out}"
        );
        assert!(out.contains("# [doc = r\" Error types.\"]"), "{out}");
        assert!(out.contains("pub struct Thing"), "{out}");
        let error = typify_error_module();
        let out = run(quote! { pub struct Thing; #error }, true);
        assert!(
            out.contains("pub use :: polyn :: __private :: ConversionError"),
            "{out}"
        );
    }

    #[test]
    fn drops_the_module_when_nothing_converts() {
        let error = typify_error_module();
        let out = run(quote! { pub struct Thing; #error }, false);
        assert_eq!(out, "pub struct Thing ;");
    }

    #[test]
    fn keeps_an_error_module_with_other_items() {
        let out = run(quote! { pub mod error { pub struct Other; } }, false);
        assert!(out.contains("pub struct Other"), "{out}");
    }
}
