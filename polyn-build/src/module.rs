//! One schema → one Rust module: parse and check the schema, run typify,
//! reroute crate paths through the runtime, and implement the event trait.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use schemars::schema::RootSchema;
use serde_json::Value;

use crate::check::{self, Kind};
use crate::{Error, SchemaFile, conversion_error, naming, prepare, reroute};

/// Lints the generated modules allow, with the reason for each:
///
/// - `missing_docs`: a property without a `description` has nothing to
///   document it with.
/// - `unreachable_pub`: the file may be included in a private module.
/// - `unused_qualifications`: typify spells every path out in full
///   (`::std::string::String`).
/// - `dead_code`: a binary need not use every generated type or helper.
/// - `clippy::derivable_impls`: typify writes `Default` impls by hand that
///   clippy would derive.
pub(crate) const ALLOWED_LINTS: &str =
    "missing_docs, unreachable_pub, unused_qualifications, dead_code, clippy::derivable_impls";

/// The generated module for one schema.
pub(crate) struct SchemaModule {
    /// The root type's name, e.g. `UserCreatedV1`.
    pub(crate) type_name: String,
    /// `pub mod user_created_v1 { ... }` followed by `pub use` of the root
    /// type, formatted.
    pub(crate) code: String,
}

/// Generates the module for `file`, whose name has already been checked.
/// `runtime` is the path of the runtime crate, e.g. `::polyn`.
pub(crate) fn schema_module(file: &SchemaFile, runtime: &str) -> Result<SchemaModule, Error> {
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

    let input = prepare::for_typify(&schema, message, &wanted_name);
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

    let private = format!("{runtime}::__private");
    let types = reroute::reroute(types, &private);
    let types = conversion_error::share_conversion_error(types, &private);
    let runtime: TokenStream = runtime
        .parse()
        .unwrap_or_else(|_| unreachable!("the runtime path was checked by the builder"));
    let type_ident = format_ident!("{type_name}");
    let module_ident = format_ident!("{}", naming::module_name(message));
    let compact = raw_string(&serde_json::to_string(&schema).unwrap_or_else(|_| unreachable!()));
    let digest = crate::schema_digest(&schema);
    let module_doc = format!(" Types generated from the schema of the Polyn message `{message}`.");
    let allowed: TokenStream = ALLOWED_LINTS
        .parse()
        .unwrap_or_else(|_| unreachable!("a fixed list of lint names"));

    let tokens = quote! {
        #[doc = #module_doc]
        pub mod #module_ident {
            #![allow(#allowed)]

            #types

            impl #runtime::EventType for #type_ident {
                const NAME: &'static str = #message;
                const SCHEMA: &'static str = #compact;
                const SCHEMA_DIGEST: ::core::option::Option<&'static str> =
                    ::core::option::Option::Some(#digest);
            }
        }
        #[allow(unused_imports, unreachable_pub)]
        pub use self::#module_ident::#type_ident;
    };
    let syntax: syn::File = syn::parse2(tokens).map_err(|err| Error::Generation {
        path: file.path().to_owned(),
        message: format!("the generated code does not parse (a polyn-build bug): {err}"),
    })?;
    if let Some(name) = duplicate_type(&syntax) {
        return Err(Error::Generation {
            path: file.path().to_owned(),
            message: format!(
                "two types would be named `{name}`; rename a definition or set a different `title`"
            ),
        });
    }
    Ok(SchemaModule {
        type_name,
        code: prettyplease::unparse(&syntax),
    })
}

/// The first type name defined twice in the generated module, if any.
fn duplicate_type(file: &syn::File) -> Option<String> {
    let module = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(module) => module.content.as_ref(),
        _ => None,
    })?;
    let mut seen = std::collections::BTreeSet::new();
    module.1.iter().find_map(|item| {
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
