//! Folding typify's conversion impls into one macro call per type.
//!
//! For every string type with `minLength`/`maxLength`, typify writes six impl
//! blocks (`Deref`, `From<T> for String`, `FromStr`, `TryFrom<&str>`,
//! `TryFrom<String>`, `Deserialize`), and for every enum of strings four
//! (`Display`, `FromStr`, `TryFrom<&str>`, `TryFrom<String>`): about 40 lines
//! a type, the same each time. This pass replaces them with
//! `<private>::string_newtype!(Type, min = 1, max = 32);` and
//! `<private>::string_enum!(Type { Variant = "value", … });`, macros of the
//! runtime that expand to the same impls.
//!
//! The pass recognises typify's output exactly: it rebuilds the impls typify
//! writes for the type and folds them only if all of them are there, token
//! for token. Anything else (an impl of another shape, a pattern check) is
//! left as typify wrote it.

use proc_macro2::{Literal, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::{Fields, Item};

/// Folds the conversion impls in `items`; returns how many types were folded.
/// `private` is the path of the runtime's hidden module, e.g. `::polyn::__private`.
pub(crate) fn fold_conversions(items: &mut Vec<Item>, private: &syn::Path) -> usize {
    let mut folded = 0;
    let mut index = 0;
    while index < items.len() {
        let call = match &items[index] {
            Item::Struct(item) => {
                let name = item.ident.clone();
                fold_string_newtype(items, &name, private)
            }
            Item::Enum(item) => {
                let item = item.clone();
                fold_string_enum(items, &item, private)
            }
            _ => None,
        };
        if let Some(call) = call {
            // The impls are gone; the type is still where it was.
            let position = items
                .iter()
                .position(|other| declares(other, &call.0))
                .unwrap_or(index);
            items.insert(position + 1, call.1);
            folded += 1;
            index = position + 2;
        } else {
            index += 1;
        }
    }
    folded
}

/// Does `item` declare the type `name`?
fn declares(item: &Item, name: &syn::Ident) -> bool {
    match item {
        Item::Struct(item) => &item.ident == name,
        Item::Enum(item) => &item.ident == name,
        _ => false,
    }
}

/// `pub struct Name(::std::string::String);` with its six impls → the impls
/// removed, and the macro call that stands for them.
fn fold_string_newtype(
    items: &mut Vec<Item>,
    name: &syn::Ident,
    private: &syn::Path,
) -> Option<(syn::Ident, Item)> {
    let Some(Item::Struct(item)) = items.iter().find(|item| declares(item, name)) else {
        return None;
    };
    let Fields::Unnamed(fields) = &item.fields else {
        return None;
    };
    if fields.unnamed.len() != 1 {
        return None;
    }
    let field = &fields.unnamed[0];
    if !matches!(field.vis, syn::Visibility::Inherited)
        || field.ty.to_token_stream().to_string() != quote!(::std::string::String).to_string()
    {
        return None;
    }
    let from_str = items.iter().find_map(|item| match item {
        Item::Impl(item) if implements(item, "FromStr", name) => Some(item),
        _ => None,
    })?;
    let (max, min) = length_bounds(&from_str.to_token_stream());
    let expected = typify_string_newtype_impls(name, max, min);
    if !take_items(items, name, &expected) {
        return None;
    }
    let min = min.map(|min| {
        let min = Literal::usize_unsuffixed(min);
        quote!(, min = #min)
    });
    let max = max.map(|max| {
        let max = Literal::usize_unsuffixed(max);
        quote!(, max = #max)
    });
    let call: Item = syn::parse_quote! { #private::string_newtype!(#name #min #max); };
    Some((name.clone(), call))
}

/// An enum of unit variants, each a string (its `#[serde(rename)]` or its
/// name), with typify's four impls → the impls removed, and the macro call.
fn fold_string_enum(
    items: &mut Vec<Item>,
    item: &syn::ItemEnum,
    private: &syn::Path,
) -> Option<(syn::Ident, Item)> {
    let has_from_str = items.iter().any(
        |other| matches!(other, Item::Impl(other) if implements(other, "FromStr", &item.ident)),
    );
    if item.variants.is_empty() || !has_from_str {
        return None;
    }
    let mut variants = Vec::new();
    for variant in &item.variants {
        if !matches!(variant.fields, Fields::Unit) || variant.discriminant.is_some() {
            return None;
        }
        let value = serde_rename(&variant.attrs).unwrap_or_else(|| variant.ident.to_string());
        variants.push((variant.ident.clone(), value));
    }
    let expected = typify_string_enum_impls(&item.ident, &variants);
    if !take_items(items, &item.ident, &expected) {
        return None;
    }
    let name = &item.ident;
    let idents = variants.iter().map(|(ident, _)| ident);
    let values = variants.iter().map(|(_, value)| value);
    let call: Item = syn::parse_quote! {
        #private::string_enum!(#name { #(#idents = #values),* });
    };
    Some((name.clone(), call))
}

/// The `rename` of a `#[serde(rename = "...")]` attribute.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut rename = None;
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                rename = Some(meta.value()?.parse::<syn::LitStr>()?.value());
            } else if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
    }
    rename
}

/// Is `item` `impl <…>Trait<…> for Name`?
fn implements(item: &syn::ItemImpl, trait_name: &str, name: &syn::Ident) -> bool {
    let Some((path, _)) = &item.trait_ else {
        return false;
    };
    path.segments
        .last()
        .is_some_and(|segment| segment.ident == trait_name)
        && matches!(&*item.self_ty, syn::Type::Path(ty) if ty.path.is_ident(name))
}

/// The maximum and minimum typify checks in a `from_str`:
/// `value.chars().count() > 32usize` and `… < 1usize`.
fn length_bounds(tokens: &TokenStream) -> (Option<usize>, Option<usize>) {
    let mut flat = Vec::new();
    flatten(tokens.clone(), &mut flat);
    let (mut max, mut min) = (None, None);
    for window in flat.windows(4) {
        if let [
            TokenTree::Ident(count),
            TokenTree::Group(call),
            TokenTree::Punct(op),
            TokenTree::Literal(limit),
        ] = window
            && count == "count"
            && call.stream().is_empty()
            && let Some(limit) = limit
                .to_string()
                .strip_suffix("usize")
                .and_then(|digits| digits.parse().ok())
        {
            match op.as_char() {
                '>' => max = Some(limit),
                '<' => min = Some(limit),
                _ => {}
            }
        }
    }
    (max, min)
}

fn flatten(tokens: TokenStream, out: &mut Vec<TokenTree>) {
    for token in tokens {
        if let TokenTree::Group(group) = &token
            && !group.stream().is_empty()
        {
            let inner = group.stream();
            out.push(token.clone());
            flatten(inner, out);
        } else {
            out.push(token);
        }
    }
}

/// Removes the impls of `name` whose tokens are `expected`, if every one of
/// them is there; otherwise leaves `items` as they are.
fn take_items(items: &mut Vec<Item>, name: &syn::Ident, expected: &[String]) -> bool {
    // Only impls for the type (or `From<Name> for String`) can match.
    let candidates: Vec<(usize, String)> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| match item {
            Item::Impl(item) => {
                matches!(&*item.self_ty, syn::Type::Path(ty) if ty.path.is_ident(name))
                    || item.trait_.as_ref().is_some_and(|(path, _)| {
                        path.segments.last().is_some_and(|segment| {
                            matches!(&segment.arguments, syn::PathArguments::AngleBracketed(args)
                                if args.args.len() == 1
                                    && matches!(args.args.first(), Some(syn::GenericArgument::Type(syn::Type::Path(ty))) if ty.path.is_ident(name)))
                        })
                    })
            }
            _ => false,
        })
        .map(|(index, item)| (index, item.to_token_stream().to_string()))
        .collect();
    let mut found = Vec::with_capacity(expected.len());
    for want in expected {
        let position = candidates
            .iter()
            .find(|(index, text)| !found.contains(index) && text == want);
        match position {
            Some((index, _)) => found.push(*index),
            None => return false,
        }
    }
    found.sort_unstable();
    for index in found.into_iter().rev() {
        items.remove(index);
    }
    true
}

/// typify 0.8's impls of a string newtype with length bounds
/// (`TypeEntryNewtypeConstraints::String` without a pattern), as text; syn
/// prints an item's tokens as they were parsed, so typify's impls print the
/// same.
fn typify_string_newtype_impls(
    name: &syn::Ident,
    max: Option<usize>,
    min: Option<usize>,
) -> Vec<String> {
    let max = max.map(|v| {
        let err = format!("longer than {v} characters");
        quote! { if value.chars().count() > #v { return Err(#err.into()); } }
    });
    let min = min.map(|v| {
        let err = format!("shorter than {v} characters");
        quote! { if value.chars().count() < #v { return Err(#err.into()); } }
    });
    [
        quote! {
            impl ::std::ops::Deref for #name {
                type Target = ::std::string::String;
                fn deref(&self) -> &::std::string::String { &self.0 }
            }
        },
        quote! {
            impl ::std::convert::From<#name> for ::std::string::String {
                fn from(value: #name) -> Self { value.0 }
            }
        },
        quote! {
            impl ::std::str::FromStr for #name {
                type Err = self::error::ConversionError;
                fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                    #max
                    #min
                    Ok(Self(value.to_string()))
                }
            }
        },
        quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D>(deserializer: D,) -> ::std::result::Result<Self, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                {
                    ::std::string::String::deserialize(deserializer)?
                        .parse()
                        .map_err(|e: self::error::ConversionError| {
                            <D::Error as ::serde::de::Error>::custom(e.to_string(),)
                        })
                }
            }
        },
    ]
    .into_iter()
    .chain(typify_try_from_impls(name))
    .map(|tokens| tokens.to_string())
    .collect()
}

/// typify 0.8's `TryFrom<&str>` and `TryFrom<String>` through `FromStr`,
/// which it writes for bounded strings and string enums alike.
fn typify_try_from_impls(name: &syn::Ident) -> [TokenStream; 2] {
    [
        quote! {
            impl ::std::convert::TryFrom<&str> for #name {
                type Error = self::error::ConversionError;
                fn try_from(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                    value.parse()
                }
            }
        },
        quote! {
            impl ::std::convert::TryFrom<::std::string::String> for #name {
                type Error = self::error::ConversionError;
                fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, self::error::ConversionError> {
                    value.parse()
                }
            }
        },
    ]
}

/// typify 0.8's impls of an enum of simple variants (`AllSimpleVariants`).
fn typify_string_enum_impls(name: &syn::Ident, variants: &[(syn::Ident, String)]) -> Vec<String> {
    let idents: Vec<_> = variants
        .iter()
        .map(|(ident, _)| format_ident!("{ident}"))
        .collect();
    let values: Vec<_> = variants.iter().map(|(_, value)| value).collect();
    [
        quote! {
            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match *self {
                        #(Self::#idents => f.write_str(#values),)*
                    }
                }
            }
        },
        quote! {
            impl ::std::str::FromStr for #name {
                type Err = self::error::ConversionError;
                fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                    match value {
                        #(#values => Ok(Self::#idents),)*
                        _ => Err("invalid value".into()),
                    }
                }
            }
        },
    ]
    .into_iter()
    .chain(typify_try_from_impls(name))
    .map(|tokens| tokens.to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(tokens: TokenStream) -> (usize, String) {
        let mut file: syn::File = syn::parse2(tokens).unwrap();
        let private: syn::Path = syn::parse_str("::polyn::__private").unwrap();
        let folded = fold_conversions(&mut file.items, &private);
        (folded, file.into_token_stream().to_string())
    }

    fn newtype(name: &syn::Ident, max: Option<usize>, min: Option<usize>) -> TokenStream {
        let impls: TokenStream = typify_string_newtype_impls(name, max, min)
            .iter()
            .map(|item| item.parse::<TokenStream>().unwrap())
            .collect();
        quote! {
            #[derive(::serde::Serialize, Clone)]
            #[serde(transparent)]
            pub struct #name(::std::string::String);
            #impls
        }
    }

    #[test]
    fn folds_bounded_strings() {
        let name = format_ident!("Code");
        let (folded, out) = fold(newtype(&name, Some(4), Some(2)));
        assert_eq!(folded, 1);
        assert!(out.ends_with(
            "pub struct Code (:: std :: string :: String) ; :: polyn :: __private :: string_newtype ! (Code , min = 2 , max = 4) ;"
        ), "{out}");
        let (_, out) = fold(newtype(&name, None, Some(1)));
        assert!(out.contains("string_newtype ! (Code , min = 1)"), "{out}");
        let (_, out) = fold(newtype(&name, Some(9), None));
        assert!(out.contains("string_newtype ! (Code , max = 9)"), "{out}");
    }

    #[test]
    fn leaves_other_impls_alone() {
        let name = format_ident!("Code");
        let mut tokens = newtype(&name, Some(4), None);
        // One impl is not typify's: nothing is folded.
        let text = tokens
            .to_string()
            .replace("\"longer than 4 characters\"", "\"too long\"");
        tokens = text.parse().unwrap();
        let (folded, out) = fold(tokens);
        assert_eq!(folded, 0);
        assert!(
            out.contains("impl :: std :: ops :: Deref for Code"),
            "{out}"
        );
    }

    #[test]
    fn folds_string_enums() {
        let name = format_ident!("Status");
        let variants = [
            (format_ident!("Paid"), "paid".to_owned()),
            (format_ident!("OnHold"), "on hold".to_owned()),
        ];
        let impls: TokenStream = typify_string_enum_impls(&name, &variants)
            .iter()
            .map(|item| item.parse::<TokenStream>().unwrap())
            .collect();
        let (folded, out) = fold(quote! {
            pub enum Status {
                #[serde(rename = "paid")]
                Paid,
                #[serde(rename = "on hold")]
                OnHold,
            }
            #impls
            impl ::std::default::Default for Status {
                fn default() -> Self { Status::Paid }
            }
        });
        assert_eq!(folded, 1);
        assert!(
            out.contains(
                "string_enum ! (Status { Paid = \"paid\" , OnHold = \"on hold\" }) ; impl :: std :: default :: Default"
            ),
            "{out}"
        );
        assert!(!out.contains("FromStr"), "{out}");
    }
}
