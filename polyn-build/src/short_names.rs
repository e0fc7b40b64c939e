//! Short names for a message's nested types.
//!
//! typify names a nested type after the path to it from the root:
//! `OrdersPlacedV1Customer`, `OrdersPlacedV1LinesItem`,
//! `OrdersPlacedV1Status`. Inside the message's module the prefix only
//! stutters (`orders_placed_v1::OrdersPlacedV1Status`), so each such type is
//! also re-exported under the rest of its name (`orders_placed_v1::Status`),
//! unless that name is already taken in the module: by another type (a
//! definition of that name), by the root type, or by a name of the standard
//! prelude the generated code writes unqualified (`Option`, `String`, …).
//! The long names stay, so nothing that names them breaks.

use std::collections::BTreeSet;

use proc_macro2::Span;
use syn::Item;

/// Names a short name must not take: the prelude's types, traits and
/// variants, which the module's code may name unqualified.
const TAKEN: &[&str] = &[
    "AsMut",
    "AsRef",
    "Box",
    "Clone",
    "Copy",
    "Debug",
    "Default",
    "Drop",
    "Eq",
    "Err",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "Hash",
    "Into",
    "IntoIterator",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Self",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Vec",
];

/// The `pub use self::<Root><Rest> as <Rest>;` items for the types of
/// `items` named `root` followed by more, in the order of `items`.
pub(crate) fn short_names(items: &[Item], root: &str) -> Vec<Item> {
    let defined: BTreeSet<String> = items.iter().filter_map(type_name).collect();
    let mut taken: BTreeSet<&str> = TAKEN.iter().copied().collect();
    taken.extend(defined.iter().map(String::as_str));
    taken.insert(root);
    let mut aliases = Vec::new();
    for long in items.iter().filter_map(type_name) {
        let Some(short) = long.strip_prefix(root) else {
            continue;
        };
        if short.is_empty()
            || !short.starts_with(|c: char| c.is_ascii_uppercase())
            || taken.contains(short)
        {
            continue;
        }
        let long = syn::Ident::new(&long, Span::call_site());
        let short = syn::Ident::new(short, Span::call_site());
        // Unused where the generated file is included in a private module.
        aliases.push(syn::parse_quote! {
            #[allow(unused_imports)]
            pub use self::#long as #short;
        });
    }
    aliases
}

/// The name of a type the item defines.
fn type_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(item) => Some(item.ident.to_string()),
        Item::Enum(item) => Some(item.ident.to_string()),
        Item::Type(item) => Some(item.ident.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn aliases(code: &str, root: &str) -> Vec<String> {
        let file: syn::File = syn::parse_str(code).unwrap();
        short_names(&file.items, root)
            .iter()
            .map(|item| item.to_token_stream().to_string())
            .collect()
    }

    #[test]
    fn nested_types_get_the_rest_of_their_name() {
        let code = "pub struct OrdersPlacedV1 {} pub struct OrdersPlacedV1Customer {} \
                    pub enum OrdersPlacedV1Status {} pub type OrdersPlacedV1Tags = Vec<String>;";
        assert_eq!(
            aliases(code, "OrdersPlacedV1"),
            [
                "# [allow (unused_imports)] pub use self :: OrdersPlacedV1Customer as Customer ;",
                "# [allow (unused_imports)] pub use self :: OrdersPlacedV1Status as Status ;",
                "# [allow (unused_imports)] pub use self :: OrdersPlacedV1Tags as Tags ;",
            ]
        );
    }

    #[test]
    fn a_taken_name_keeps_only_its_long_name() {
        // A definition named `Status`, prelude names, a name that does not
        // start a new word, and types of other names.
        let code = "pub struct AV1 {} pub struct AV1Status {} pub struct Status {} \
                    pub struct AV1Option {} pub struct AV1String {} pub struct AV1x {} \
                    pub struct Address {} impl AV1 {}";
        assert_eq!(aliases(code, "AV1"), Vec::<String>::new());
    }
}
