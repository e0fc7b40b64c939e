//! One schema → one Rust module: parse and check the schema, run typify,
//! fold its conversion impls into the runtime's macros, reroute crate paths
//! through the runtime, shorten prelude paths, implement the event trait,
//! and re-export the nested types under short names.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident};
use schemars::schema::RootSchema;
use serde_json::Value;

use crate::check::{self, Kind};
use crate::generate::Settings;
use crate::{
    Error, SchemaFile, conversion_error, fold, naming, prepare, reroute, short_names, shorten,
};

/// Lints the generated modules allow, with the reason for each:
///
/// - `missing_docs`: a property without a `description` has nothing to
///   document it with.
/// - `unreachable_pub`: the file may be included in a private module.
/// - `unused_qualifications`: typify spells paths out in full
///   (`::std::convert::TryFrom`).
/// - `dead_code`: a binary need not use every generated type or helper.
/// - `clippy::derivable_impls`: typify writes `Default` impls by hand that
///   clippy would derive.
pub(crate) const ALLOWED_LINTS: &str =
    "missing_docs, unreachable_pub, unused_qualifications, dead_code, clippy::derivable_impls";

/// How the modules are laid out.
#[derive(Clone, Debug)]
pub(crate) enum Layout {
    /// Each module with its items, in one file.
    Inline,
    /// Each module's items in a file of their own, `<dir>/<module>.rs`, which
    /// the module includes, so editing one schema leaves the other files, and
    /// what the compiler cached for them, untouched.
    Split {
        /// The folder of the modules' files, relative to the main file.
        dir: String,
    },
}

/// The generated module for one schema.
pub(crate) struct SchemaModule {
    /// The root type's name, e.g. `UserCreatedV1`.
    pub(crate) type_name: String,
    /// The module's name, e.g. `user_created_v1`.
    pub(crate) module_name: String,
    /// `pub mod user_created_v1 { ... }` followed by `pub use` of the root
    /// type, formatted. In the split layout the module only includes its file.
    pub(crate) code: String,
    /// In the split layout, the module's items: the contents of its file.
    pub(crate) items: Option<String>,
}

/// Generates the module for `file`, whose name has already been checked,
/// with the builder's settings (the runtime crate's path, e.g. `::polyn`,
/// the layout, the integer types).
pub(crate) fn schema_module(
    file: &SchemaFile,
    settings: &Settings<'_>,
) -> Result<SchemaModule, Error> {
    let (runtime, layout) = (settings.runtime, &settings.layout);
    let schema = parse(file)?;
    let message = file.name();
    let wanted_name = naming::type_name(message);
    check::check_root(&schema, &wanted_name).map_err(|problem| {
        let line = polyn_schemas::line_of(file.text(), &problem.pointer);
        let path = file.path().to_owned();
        match problem.kind {
            Kind::Invalid => Error::InvalidSchema {
                path,
                pointer: problem.pointer,
                line,
                message: problem.message,
            },
            Kind::Unsupported => Error::Unsupported {
                path,
                pointer: problem.pointer,
                line,
                message: problem.message,
            },
        }
    })?;

    let input = prepare::for_typify(&schema, message, &wanted_name, settings.non_zero_integers);
    let root: RootSchema = serde_json::from_value(input).map_err(|err| Error::InvalidSchema {
        path: file.path().to_owned(),
        pointer: String::new(),
        line: None,
        message: err.to_string(),
    })?;
    let (types, type_name) = run_typify(root).map_err(|message| Error::Generation {
        path: file.path().to_owned(),
        message: one_line(&message),
    })?;
    let bug = |err: syn::Error| Error::Generation {
        path: file.path().to_owned(),
        message: format!("the generated code does not parse (a polyn-build bug): {err}"),
    };

    let private = format!("{runtime}::__private");
    let private_path: syn::Path = syn::parse_str(&private)
        .unwrap_or_else(|_| unreachable!("the runtime path was checked by the builder"));
    let runtime: TokenStream = runtime
        .parse()
        .unwrap_or_else(|_| unreachable!("the runtime path was checked by the builder"));
    let type_ident = format_ident!("{type_name}");
    let module_name = naming::module_name(message);

    let mut items = syn::parse2::<syn::File>(types).map_err(bug)?.items;
    let folded = fold::fold_conversions(&mut items, &private_path);
    conversion_error::share_conversion_error(&mut items, &private_path, folded > 0);
    let compact = raw_string(&serde_json::to_string(&schema).unwrap_or_else(|_| unreachable!()));
    let digest = crate::schema_digest(&schema);
    items.push(syn::parse_quote! {
        impl #runtime::EventType for #type_ident {
            const NAME: &'static str = #message;
            const SCHEMA: &'static str = #compact;
            const SCHEMA_DIGEST: ::core::option::Option<&'static str> =
                ::core::option::Option::Some(#digest);
        }
    });

    // The items at the top of the module name the rerouted crates through
    // one `use`; nested modules (typify's `defaults`) keep full paths.
    let defined = defined_types(&items);
    let mut crates = BTreeSet::new();
    let mut body = TokenStream::new();
    for item in &items {
        let nested = matches!(item, syn::Item::Mod(_));
        let rerouted = reroute::reroute(item.to_token_stream(), &private, !nested);
        crates.extend(rerouted.crates);
        body.extend(shorten::shorten(rerouted.tokens, &defined));
    }
    let mut module: syn::File = syn::parse2(body).map_err(bug)?;
    if !crates.is_empty() {
        let crates = crates.iter().map(|name| format_ident!("{name}"));
        module
            .items
            .insert(0, syn::parse_quote! { use #private_path::{#(#crates),*}; });
    }
    tidy_attributes(&mut module.items);
    let aliases = short_names::short_names(&module.items, &type_name);
    module.items.extend(aliases);
    if let Some(name) = duplicate_type(&module.items) {
        return Err(Error::Generation {
            path: file.path().to_owned(),
            message: format!(
                "two types would be named `{name}`; rename a definition or set a different `title`"
            ),
        });
    }

    // The module around the items is always the same: written out here,
    // a line for each part.
    let items = prettyplease::unparse(&module);
    let head = format!(
        "/// Types generated from the schema of the Polyn message `{message}`.\n\
         #[allow({ALLOWED_LINTS})]\n"
    );
    let tail = format!(
        "#[allow(unused_imports, unreachable_pub)]\n\
         pub use self::{module_name}::{type_name};\n"
    );
    let (code, items) = match layout {
        Layout::Inline => {
            let mut body = String::with_capacity(items.len() + items.len() / 8);
            for line in items.lines() {
                if !line.is_empty() {
                    body.push_str("    ");
                    body.push_str(line);
                }
                body.push('\n');
            }
            (
                format!("{head}pub mod {module_name} {{\n{body}}}\n{tail}"),
                None,
            )
        }
        Layout::Split { dir } => {
            let path = format!("{dir}/{module_name}.rs");
            (
                format!("{head}pub mod {module_name} {{ include!({path:?}); }}\n{tail}"),
                Some(items),
            )
        }
    };
    Ok(SchemaModule {
        type_name,
        module_name,
        code,
        items,
    })
}

/// The names of the types the module defines, which prelude paths must not
/// be shortened to.
fn defined_types(items: &[syn::Item]) -> BTreeSet<String> {
    items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Struct(item) => Some(item.ident.to_string()),
            syn::Item::Enum(item) => Some(item.ident.to_string()),
            syn::Item::Type(item) => Some(item.ident.to_string()),
            syn::Item::Union(item) => Some(item.ident.to_string()),
            syn::Item::Trait(item) => Some(item.ident.to_string()),
            syn::Item::Mod(item) => Some(item.ident.to_string()),
            _ => None,
        })
        .collect()
}

/// Fewer lines of attributes on each type: the derives in one
/// `#[derive(...)]` when it fits on a line (else the standard ones and
/// serde's in two), and serde's container attributes in one `#[serde(...)]`.
fn tidy_attributes(items: &mut [syn::Item]) {
    /// The longest `#[derive(...)]` kept on one line.
    const MAX_DERIVE: usize = 85;
    for item in items {
        let attrs = match item {
            syn::Item::Struct(item) => &mut item.attrs,
            syn::Item::Enum(item) => &mut item.attrs,
            _ => continue,
        };
        let mut others = Vec::new();
        let mut derives: Vec<syn::Path> = Vec::new();
        let mut serde_args: Vec<TokenStream> = Vec::new();
        for attr in attrs.drain(..) {
            let list = match &attr.meta {
                syn::Meta::List(list) if attr.path().is_ident("derive") => list,
                syn::Meta::List(list) if attr.path().is_ident("serde") => {
                    serde_args.push(list.tokens.clone());
                    continue;
                }
                _ => {
                    others.push(attr);
                    continue;
                }
            };
            match list.parse_args_with(
                syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
            ) {
                Ok(paths) => derives.extend(paths),
                Err(_) => others.push(attr),
            }
        }
        let (serde, std): (Vec<syn::Path>, Vec<syn::Path>) =
            derives.into_iter().partition(|path| {
                path.segments
                    .first()
                    .is_some_and(|first| first.ident == "serde")
            });
        let width = "#[derive()]".len()
            + serde
                .iter()
                .chain(&std)
                .map(|path| path_text(path).len() + 2)
                .sum::<usize>();
        if width <= MAX_DERIVE {
            let all = serde.iter().chain(&std);
            if !serde.is_empty() || !std.is_empty() {
                others.push(syn::parse_quote!(#[derive(#(#all),*)]));
            }
        } else {
            others.push(syn::parse_quote!(#[derive(#(#std),*)]));
            others.push(syn::parse_quote!(#[derive(#(#serde),*)]));
        }
        if !serde_args.is_empty() {
            others.push(syn::parse_quote!(#[serde(#(#serde_args),*)]));
        }
        *attrs = others;
    }
}

/// `serde::Serialize`, as it is printed.
fn path_text(path: &syn::Path) -> String {
    let segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let leading = if path.leading_colon.is_some() {
        "::"
    } else {
        ""
    };
    format!("{leading}{}", segments.join("::"))
}

/// The first type name defined twice in the generated module, if any.
fn duplicate_type(items: &[syn::Item]) -> Option<String> {
    let mut seen = BTreeSet::new();
    items.iter().find_map(|item| {
        let ident = match item {
            syn::Item::Struct(item) => &item.ident,
            syn::Item::Enum(item) => &item.ident,
            syn::Item::Type(item) => &item.ident,
            _ => return None,
        };
        (!seen.insert(ident.to_string())).then(|| ident.to_string())
    })
}

/// typify's messages can hold multi-line debug dumps of the schema: fold
/// them into one line of reasonable length.
fn one_line(message: &str) -> String {
    const MAX: usize = 300;
    let folded = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &folded[..cut]),
        None => folded,
    }
}

/// `text` as a raw string literal (`r#"..."#`), which keeps the schema
/// readable in the generated file.
fn raw_string(text: &str) -> proc_macro2::Literal {
    let mut hashes = String::from("#");
    while text.contains(&format!("\"{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}\"{text}\"{hashes}")
        .parse()
        .unwrap_or_else(|_| proc_macro2::Literal::string(text))
}

fn parse(file: &SchemaFile) -> Result<Value, Error> {
    serde_json::from_str(file.text()).map_err(|err| {
        let (line, column) = (err.line(), err.column());
        let full = err.to_string();
        let message = full
            .strip_suffix(&format!(" at line {line} column {column}"))
            .unwrap_or(&full)
            .to_owned();
        Error::InvalidJson {
            path: file.path().to_owned(),
            line,
            column,
            message,
        }
    })
}

/// Runs typify on one root schema, turning its errors and panics into a
/// message. Returns the generated items and the root type's name.
fn run_typify(root: RootSchema) -> Result<(TokenStream, String), String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut settings = typify::TypeSpaceSettings::default();
        settings
            .with_map_type("::std::collections::BTreeMap")
            .with_derive("PartialEq".to_owned());
        let mut space = typify::TypeSpace::new(&settings);
        let root_id = space
            .add_root_schema(root)
            .map_err(|err| err.to_string())?
            .ok_or_else(|| "typify generated no root type".to_owned())?;
        let name = space
            .get_type(&root_id)
            .map_err(|err| err.to_string())?
            .name();
        Ok((space.to_stream(), name))
    }));
    match outcome {
        Ok(result) => result,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(format!(
                "typify cannot handle this schema ({}); simplify it, or leave it out with `Builder::skip`",
                reason
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches(':')
            ))
        }
    }
}
