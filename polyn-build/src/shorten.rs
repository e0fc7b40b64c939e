//! Shorter paths for the standard prelude's types.
//!
//! typify spells every path out (`::std::string::String`,
//! `::std::option::Option`), so that a schema definition named `String` or
//! `Option` cannot change what a field means. This pass writes the prelude's
//! name instead (`String`, `Option`), in code and in the paths of serde's
//! attributes (`skip_serializing_if = "Option::is_none"`), unless the module
//! defines a type of that name: then the full path stays.

use std::collections::BTreeSet;

use proc_macro2::{Delimiter, Group, Ident, Literal, Spacing, TokenStream, TokenTree};

/// The prelude items typify names by their full path, longest first.
const PRELUDE: &[(&[&str], &str)] = &[
    (&["std", "option", "Option", "Some"], "Some"),
    (&["std", "option", "Option", "None"], "None"),
    (&["core", "option", "Option", "Some"], "Some"),
    (&["core", "option", "Option", "None"], "None"),
    (&["std", "string", "String"], "String"),
    (&["std", "option", "Option"], "Option"),
    (&["core", "option", "Option"], "Option"),
    (&["std", "vec", "Vec"], "Vec"),
    (&["std", "boxed", "Box"], "Box"),
    (&["std", "result", "Result"], "Result"),
    (&["std", "default", "Default"], "Default"),
    (&["std", "convert", "From"], "From"),
];

/// The serde attribute keys whose value is a path.
const PATH_KEYS: &[&str] = &[
    "default",
    "skip_serializing_if",
    "with",
    "serialize_with",
    "deserialize_with",
];

/// Shortens the prelude paths in `stream`; `defined` holds the type names
/// the module defines, which keep their full paths.
pub(crate) fn shorten(stream: TokenStream, defined: &BTreeSet<String>) -> TokenStream {
    Shortener { defined }.stream(stream, false)
}

struct Shortener<'a> {
    defined: &'a BTreeSet<String>,
}

impl Shortener<'_> {
    fn stream(&self, stream: TokenStream, in_serde_attribute: bool) -> TokenStream {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
        let mut index = 0;
        while index < tokens.len() {
            if crate::reroute::starts_path(out.last())
                && let Some((consumed, short)) = self.prelude_path(&tokens[index..])
            {
                out.push(TokenTree::Ident(short));
                index += consumed;
                continue;
            }
            match &tokens[index] {
                TokenTree::Group(group) => {
                    let serde = in_serde_attribute
                        || (group.delimiter() == Delimiter::Bracket
                            && matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == '#')
                            && matches!(
                                group.stream().into_iter().next(),
                                Some(TokenTree::Ident(ident)) if ident == "serde"
                            ));
                    let mut rewritten =
                        Group::new(group.delimiter(), self.stream(group.stream(), serde));
                    rewritten.set_span(group.span());
                    out.push(TokenTree::Group(rewritten));
                }
                TokenTree::Literal(literal) if in_serde_attribute && is_path_value(&out) => {
                    out.push(TokenTree::Literal(self.literal(literal)));
                }
                other => out.push(other.clone()),
            }
            index += 1;
        }
        out.into_iter().collect()
    }

    /// `:: std :: string :: String` at the start of `tokens`: how many tokens
    /// it takes and the short name, if it is one of the prelude's and the
    /// module does not define that name.
    fn prelude_path(&self, tokens: &[TokenTree]) -> Option<(usize, Ident)> {
        // Most tokens are not `::std` or `::core`: tell at once.
        let root = match tokens {
            [
                TokenTree::Punct(colon),
                TokenTree::Punct(_),
                TokenTree::Ident(root),
                ..,
            ] if colon.as_char() == ':' && colon.spacing() == Spacing::Joint => root,
            _ => return None,
        };
        if root != "std" && root != "core" {
            return None;
        }
        PRELUDE.iter().find_map(|(segments, short)| {
            if self.defined.contains(*short) {
                return None;
            }
            let mut at = 0;
            for segment in *segments {
                match (tokens.get(at), tokens.get(at + 1), tokens.get(at + 2)) {
                    (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(ident)),
                    ) if a.as_char() == ':'
                        && a.spacing() == Spacing::Joint
                        && b.as_char() == ':'
                        && ident == segment =>
                    {
                        at += 3;
                    }
                    _ => return None,
                }
            }
            let TokenTree::Ident(last) = &tokens[at - 1] else {
                return None;
            };
            Some((at, Ident::new(short, last.span())))
        })
    }

    /// `"::std::option::Option::is_none"` → `"Option::is_none"`; typify's
    /// `":: std :: collections :: BTreeMap::is_empty"` loses its spaces.
    fn literal(&self, literal: &Literal) -> Literal {
        let Ok(text) = syn::parse_str::<syn::LitStr>(&literal.to_string()) else {
            return literal.clone();
        };
        let path = text
            .value()
            .split("::")
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("::");
        let mut short = path.clone();
        for (segments, name) in PRELUDE {
            let long = format!("::{}", segments.join("::"));
            if !self.defined.contains(*name)
                && let Some(rest) = path.strip_prefix(&long)
                && (rest.is_empty() || rest.starts_with("::"))
            {
                short = format!("{name}{rest}");
                break;
            }
        }
        if short == text.value() {
            return literal.clone();
        }
        let mut new = Literal::string(&short);
        new.set_span(literal.span());
        new
    }
}

/// Is the literal about to be pushed the value of a path key
/// (`skip_serializing_if = "..."`)?
pub(crate) fn is_path_value(out: &[TokenTree]) -> bool {
    matches!(
        out,
        [.., TokenTree::Ident(key), TokenTree::Punct(eq)]
            if eq.as_char() == '=' && PATH_KEYS.iter().any(|path_key| key == path_key)
    )
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn run(input: TokenStream, defined: &[&str]) -> String {
        let defined = defined.iter().map(|name| (*name).to_owned()).collect();
        shorten(input, &defined).to_string()
    }

    #[test]
    fn shortens_prelude_paths() {
        let out = run(
            quote! {
                pub struct A {
                    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                    pub a: ::std::option::Option<::std::vec::Vec<::std::string::String>>,
                    #[serde(default, skip_serializing_if = ":: std :: collections :: BTreeMap::is_empty")]
                    pub m: ::std::collections::BTreeMap<::std::string::String, ::std::boxed::Box<A>>,
                }
                const D: ::core::option::Option<&str> = ::core::option::Option::Some("x");
                fn f() -> ::std::result::Result<(), ::std::fmt::Result> { x::std::string::String }
            },
            &[],
        );
        assert_eq!(
            out,
            "pub struct A { # [serde (skip_serializing_if = \"Option::is_none\")] \
             pub a : Option < Vec < String >> , \
             # [serde (default , skip_serializing_if = \"::std::collections::BTreeMap::is_empty\")] \
             pub m : :: std :: collections :: BTreeMap < String , Box < A >> , } \
             const D : Option < & str > = Some (\"x\") ; \
             fn f () -> Result < () , :: std :: fmt :: Result > { x :: std :: string :: String }"
        );
    }

    #[test]
    fn keeps_full_paths_for_names_the_module_defines() {
        let out = run(
            quote! {
                pub struct String;
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub struct A { pub a: ::std::string::String, pub b: ::std::option::Option<String> }
            },
            &["String"],
        );
        assert!(out.contains("pub a : :: std :: string :: String"), "{out}");
        assert!(out.contains("pub b : Option < String >"), "{out}");
        assert!(out.contains("\"Option::is_none\""), "{out}");
    }

    #[test]
    fn leaves_other_string_literals_alone() {
        let out = run(
            quote! {
                #[serde(rename = "::std::string::String")]
                const A: &str = "::std::string::String";
            },
            &[],
        );
        assert_eq!(out.matches("\"::std::string::String\"").count(), 2, "{out}");
    }
}
