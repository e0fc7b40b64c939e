//! Sending typify's absolute crate paths through the runtime crate.
//!
//! typify writes `::serde::Serialize`, `::serde_json::Value`,
//! `::chrono::DateTime` and `::uuid::Uuid`, which would make every user add
//! those crates. This pass rewrites them to `<runtime>::__private::serde` and
//! so on (in paths and in the paths of serde's attributes such as
//! `skip_serializing_if = "::serde_json::Map::is_empty"`), and tells serde's
//! derives where serde is with `#[serde(crate = "...")]`.
//!
//! In the short form, for the items at the top of a schema's module, the
//! paths become `serde::Serialize`, `serde_json::Value`, …: the module
//! imports the crates it names once (`use <runtime>::__private::{serde, …};`).

use std::collections::BTreeSet;

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

use crate::shorten::is_path_value;

/// The crates generated code reaches through `<runtime>::__private`.
pub(crate) const REROUTED_CRATES: &[&str] = &["serde", "serde_json", "chrono", "uuid"];

/// Keywords after which a path can start.
pub(crate) const KEYWORDS: &[&str] = &[
    "as", "impl", "for", "dyn", "where", "in", "mut", "ref", "pub", "use", "return", "let",
    "const", "static", "type", "struct", "enum", "fn",
];

/// What [`reroute`] made of a token stream.
pub(crate) struct Rerouted {
    pub(crate) tokens: TokenStream,
    /// The crates named by the short paths, which the module must import.
    pub(crate) crates: BTreeSet<&'static str>,
}

/// Rewrites `stream`; `private` is the path of the runtime's hidden module,
/// e.g. `::polyn::__private`. With `short`, crate paths are written
/// `serde::…` and the crates they name are returned for the module to import.
pub(crate) fn reroute(stream: TokenStream, private: &str, short: bool) -> Rerouted {
    let private_tokens: TokenStream = private
        .parse()
        .unwrap_or_else(|_| unreachable!("the runtime path was checked by the builder"));
    let mut rewriter = Rewriter {
        private,
        private_tokens,
        short,
        crates: BTreeSet::new(),
    };
    let tokens = rewriter.stream(stream, false);
    Rerouted {
        tokens,
        crates: rewriter.crates,
    }
}

struct Rewriter<'a> {
    private: &'a str,
    private_tokens: TokenStream,
    short: bool,
    crates: BTreeSet<&'static str>,
}

impl Rewriter<'_> {
    fn stream(&mut self, stream: TokenStream, in_serde_attribute: bool) -> TokenStream {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
        let mut index = 0;
        while index < tokens.len() {
            // `::<crate>` at the start of a path.
            if let (
                Some(TokenTree::Punct(a)),
                Some(TokenTree::Punct(b)),
                Some(TokenTree::Ident(krate)),
            ) = (
                tokens.get(index),
                tokens.get(index + 1),
                tokens.get(index + 2),
            ) && a.as_char() == ':'
                && a.spacing() == Spacing::Joint
                && b.as_char() == ':'
                && let Some(name) = rerouted_crate(krate)
                && starts_path(out.last())
            {
                if self.short {
                    self.crates.insert(name);
                } else {
                    out.extend(self.private_tokens.clone());
                    out.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
                    out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
                }
                out.push(TokenTree::Ident(krate.clone()));
                index += 3;
                continue;
            }
            match &tokens[index] {
                TokenTree::Group(group) => {
                    let is_attribute = group.delimiter() == Delimiter::Bracket
                        && matches!(out.last(), Some(TokenTree::Punct(p)) if p.as_char() == '#');
                    let serde = in_serde_attribute
                        || (is_attribute
                            && matches!(
                                group.stream().into_iter().next(),
                                Some(TokenTree::Ident(ident)) if ident == "serde"
                            ));
                    let stream = self.stream(group.stream(), serde);
                    let mut rewritten = Group::new(group.delimiter(), stream);
                    rewritten.set_span(group.span());
                    let derives_serde = is_attribute && derives_serde(&rewritten.stream());
                    out.push(TokenTree::Group(rewritten));
                    if derives_serde {
                        // After the derive, so serde's helper attribute is in scope.
                        out.extend(self.serde_crate_attribute());
                    }
                }
                TokenTree::Literal(literal) if in_serde_attribute && is_path_value(&out) => {
                    let literal = self.literal(literal);
                    out.push(TokenTree::Literal(literal));
                }
                TokenTree::Punct(hash) if hash.as_char() == '#' => {
                    // `#[doc = "..."]`: one attribute per line, each starting with
                    // a space, so it prints as a tidy `/// ...` block.
                    match tokens.get(index + 1).and_then(doc_text) {
                        Some(text) => {
                            out.extend(doc_attributes(&text));
                            index += 2;
                            continue;
                        }
                        None => out.push(TokenTree::Punct(hash.clone())),
                    }
                }
                other => out.push(other.clone()),
            }
            index += 1;
        }
        out.into_iter().collect()
    }

    /// `"::serde_json::Map::is_empty"` → `"::polyn::__private::serde_json::Map::is_empty"`.
    /// In the short form, `"serde_json::Map::is_empty"`.
    fn literal(&mut self, literal: &Literal) -> Literal {
        let Ok(text) = syn::parse_str::<syn::LitStr>(&literal.to_string()) else {
            return literal.clone();
        };
        let path = text.value().replace(' ', "");
        for krate in REROUTED_CRATES {
            if let Some(rest) = path.strip_prefix(&format!("::{krate}::")) {
                let rewritten = if self.short {
                    self.crates.insert(krate);
                    format!("{krate}::{rest}")
                } else {
                    format!("{}::{krate}::{rest}", self.private)
                };
                let mut new = Literal::string(&rewritten);
                new.set_span(literal.span());
                return new;
            }
        }
        literal.clone()
    }

    /// `#[serde(crate = "<private>::serde")]`, or `"serde"` in the short form.
    fn serde_crate_attribute(&mut self) -> TokenStream {
        let path = if self.short {
            self.crates.insert("serde");
            "serde".to_owned()
        } else {
            format!("{}::serde", self.private)
        };
        let mut attr = TokenStream::new();
        attr.extend([TokenTree::Punct(Punct::new('#', Spacing::Alone))]);
        let inner: TokenStream = [
            TokenTree::Ident(Ident::new("serde", Span::call_site())),
            TokenTree::Group(Group::new(
                Delimiter::Parenthesis,
                [
                    TokenTree::Ident(Ident::new("crate", Span::call_site())),
                    TokenTree::Punct(Punct::new('=', Spacing::Alone)),
                    TokenTree::Literal(Literal::string(&path)),
                ]
                .into_iter()
                .collect(),
            )),
        ]
        .into_iter()
        .collect();
        attr.extend([TokenTree::Group(Group::new(Delimiter::Bracket, inner))]);
        attr
    }
}

/// Can a path start after `previous`? Not after an identifier that is a
/// path segment (`defaults::serde_json` is a local function), but after
/// punctuation, a group, or a keyword such as `as`, `impl` or `for`.
pub(crate) fn starts_path(previous: Option<&TokenTree>) -> bool {
    match previous {
        None | Some(TokenTree::Punct(_)) | Some(TokenTree::Group(_)) => true,
        Some(TokenTree::Ident(ident)) => KEYWORDS.contains(&ident.to_string().as_str()),
        Some(TokenTree::Literal(_)) => true,
    }
}

/// The name of `krate` if it is one of [`REROUTED_CRATES`].
fn rerouted_crate(krate: &Ident) -> Option<&'static str> {
    REROUTED_CRATES.iter().copied().find(|name| krate == name)
}

/// The text of a `[doc = "..."]` attribute body.
fn doc_text(token: &TokenTree) -> Option<String> {
    let TokenTree::Group(group) = token else {
        return None;
    };
    if group.delimiter() != Delimiter::Bracket {
        return None;
    }
    let tokens: Vec<TokenTree> = group.stream().into_iter().collect();
    match tokens.as_slice() {
        [
            TokenTree::Ident(doc),
            TokenTree::Punct(eq),
            TokenTree::Literal(text),
        ] if doc == "doc" && eq.as_char() == '=' => {
            syn::parse_str::<syn::LitStr>(&text.to_string())
                .ok()
                .map(|text| text.value())
        }
        _ => None,
    }
}

/// `#[doc = " line"]` for every line of `text`.
fn doc_attributes(text: &str) -> TokenStream {
    let mut out = TokenStream::new();
    for line in text.trim().lines() {
        let line = line.trim_end();
        let line = if line.is_empty() || line.starts_with(' ') {
            line.to_owned()
        } else {
            format!(" {line}")
        };
        let body: TokenStream = [
            TokenTree::Ident(Ident::new("doc", Span::call_site())),
            TokenTree::Punct(Punct::new('=', Spacing::Alone)),
            TokenTree::Literal(Literal::string(&line)),
        ]
        .into_iter()
        .collect();
        out.extend([
            TokenTree::Punct(Punct::new('#', Spacing::Alone)),
            TokenTree::Group(Group::new(Delimiter::Bracket, body)),
        ]);
    }
    out
}

/// Does this attribute body (`derive(...)`) derive serde's traits?
fn derives_serde(attribute: &TokenStream) -> bool {
    let mut tokens = attribute.clone().into_iter();
    let Some(TokenTree::Ident(name)) = tokens.next() else {
        return false;
    };
    if name != "derive" {
        return false;
    }
    let Some(TokenTree::Group(list)) = tokens.next() else {
        return false;
    };
    list.stream().into_iter().any(|token| {
        matches!(&token, TokenTree::Ident(ident) if ident == "Serialize" || ident == "Deserialize")
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn run(input: TokenStream) -> String {
        reroute(input, "::polyn::__private", false)
            .tokens
            .to_string()
    }

    #[test]
    fn rewrites_absolute_crate_paths() {
        let out = run(quote! {
            pub struct A { pub v: ::serde_json::Value, pub t: ::chrono::DateTime<::chrono::offset::Utc>, pub s: ::std::string::String }
            impl<'de> ::serde::Deserialize<'de> for A {}
            fn f() -> <D::Error as ::serde::de::Error> { defaults::serde_json() }
        });
        assert!(
            out.contains("v : :: polyn :: __private :: serde_json :: Value"),
            "{out}"
        );
        assert!(out.contains(":: polyn :: __private :: chrono :: DateTime < :: polyn :: __private :: chrono :: offset :: Utc >"), "{out}");
        assert!(
            out.contains("impl < 'de > :: polyn :: __private :: serde :: Deserialize"),
            "{out}"
        );
        assert!(
            out.contains("as :: polyn :: __private :: serde :: de :: Error"),
            "{out}"
        );
        assert!(out.contains("s : :: std :: string :: String"), "{out}");
        assert!(out.contains("defaults :: serde_json ()"), "{out}");
    }

    #[test]
    fn rewrites_serde_string_paths_but_not_docs() {
        let out = run(quote! {
            #[doc = "::serde_json::Value stays in docs"]
            pub struct A {
                #[serde(skip_serializing_if = "::serde_json::Map::is_empty")]
                pub m: u8,
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub o: u8,
            }
        });
        assert!(
            out.contains(r#"" ::serde_json::Value stays in docs""#),
            "{out}"
        );
        assert!(
            out.contains(r#""::polyn::__private::serde_json::Map::is_empty""#),
            "{out}"
        );
        assert!(out.contains(r#""::std::option::Option::is_none""#), "{out}");
    }

    #[test]
    fn splits_docs_into_lines() {
        let out = run(quote! {
            #[doc = "Title\n\nBody line."]
            #[doc = "`Name`"]
            pub struct A;
        });
        assert_eq!(
            out,
            r#"# [doc = " Title"] # [doc = ""] # [doc = " Body line."] # [doc = " `Name`"] pub struct A ;"#
        );
    }

    #[test]
    fn adds_the_serde_crate_attribute_after_serde_derives() {
        let out = run(quote! {
            #[derive(::serde::Serialize, Clone)]
            #[serde(transparent)]
            pub struct A(u8);
            #[derive(Clone)]
            pub struct B;
            pub mod inner {
                #[derive(::serde::Deserialize)]
                pub enum C { X }
            }
        });
        let crate_attr = r#"# [serde (crate = "::polyn::__private::serde")]"#;
        assert_eq!(out.matches(crate_attr).count(), 2, "{out}");
        assert!(
            out.contains(&format!(
                "# [derive (:: polyn :: __private :: serde :: Serialize , Clone)] {crate_attr} # [serde (transparent)]"
            )),
            "{out}"
        );
    }
}
