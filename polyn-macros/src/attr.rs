//! The options of `#[polyn::handler(...)]`: parsed, each checked on its own
//! tokens, and checked against each other.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, LitStr, Meta, Path, Token};

use crate::errors::Errors;
use crate::names;

/// Every option, in the order the "expected one of" message lists them.
pub(crate) const KEYS: &[&str] = &[
    "event",
    "source",
    "consumer",
    "stream",
    "concurrency",
    "batch",
    "core",
    "queue_group",
    "schemas",
    "crate",
];

/// The options that only make sense for a JetStream pull consumer.
const PULL_ONLY: &[&str] = &["source", "consumer", "stream", "concurrency", "batch"];

/// One option as written: its value and its `key = value` tokens (for
/// errors that concern the whole option).
#[derive(Debug)]
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) tokens: TokenStream,
}

/// A positive integer option, re-emitted unsuffixed with the user's span.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Count {
    pub(crate) value: usize,
    pub(crate) span: Span,
}

/// The valid options of one `#[polyn::handler(...)]`.
#[derive(Debug, Default)]
pub(crate) struct Options {
    pub(crate) event: Option<Setting<LitStr>>,
    pub(crate) source: Option<Setting<LitStr>>,
    pub(crate) consumer: Option<Setting<LitStr>>,
    pub(crate) stream: Option<Setting<LitStr>>,
    pub(crate) concurrency: Option<Setting<Count>>,
    pub(crate) batch: Option<Setting<Count>>,
    pub(crate) core: Option<Setting<()>>,
    pub(crate) queue_group: Option<Setting<LitStr>>,
    pub(crate) schemas: Option<Setting<LitStr>>,
    pub(crate) krate: Option<Setting<Path>>,
    /// Every known key written, valid or not: an invalid option is one
    /// error, and the checks that depend on it stay silent.
    pub(crate) given: Vec<String>,
}

impl Options {
    /// Whether the option `key` was written, valid or not.
    pub(crate) fn is_given(&self, key: &str) -> bool {
        self.given.iter().any(|given| given == key)
    }

    /// The tokens of the option `key`, if it was given.
    fn tokens_of(&self, key: &str) -> Option<&TokenStream> {
        match key {
            "event" => self.event.as_ref().map(|s| &s.tokens),
            "source" => self.source.as_ref().map(|s| &s.tokens),
            "consumer" => self.consumer.as_ref().map(|s| &s.tokens),
            "stream" => self.stream.as_ref().map(|s| &s.tokens),
            "concurrency" => self.concurrency.as_ref().map(|s| &s.tokens),
            "batch" => self.batch.as_ref().map(|s| &s.tokens),
            "core" => self.core.as_ref().map(|s| &s.tokens),
            "queue_group" => self.queue_group.as_ref().map(|s| &s.tokens),
            "schemas" => self.schemas.as_ref().map(|s| &s.tokens),
            "crate" => self.krate.as_ref().map(|s| &s.tokens),
            _ => None,
        }
    }

    /// `use <the polyn crate> as __polyn;`, the one place generated code
    /// names the crate (`crate = "..."`, default `::polyn`): a wrong path is
    /// one error, on the option.
    pub(crate) fn import_crate(&self) -> TokenStream {
        match &self.krate {
            Some(setting) => {
                let path = &setting.value;
                let span = path
                    .segments
                    .first()
                    .map_or_else(Span::call_site, |s| s.ident.span());
                quote::quote_spanned!(span=> use #path as __polyn;)
            }
            None => quote::quote!(
                use ::polyn as __polyn;
            ),
        }
    }
}

/// Parses the attribute's arguments. Every problem is added to `errors`;
/// the options returned are the valid ones.
pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Options {
    let mut options = Options::default();
    let Some(metas) = errors.check(Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args))
    else {
        return options;
    };
    for meta in metas {
        let Some(key) = meta.path().get_ident().map(ToString::to_string) else {
            errors.push(unknown(meta.path(), &path_text(meta.path())));
            continue;
        };
        if !KEYS.contains(&key.as_str()) {
            errors.push(unknown(meta.path(), &key));
            continue;
        }
        if options.is_given(&key) {
            errors.push(syn::Error::new_spanned(
                &meta,
                format!("duplicate option `{key}`"),
            ));
            continue;
        }
        options.given.push(key.clone());
        if let Err(error) = set(&mut options, &key, &meta) {
            errors.push(error);
        }
    }
    cross_check(&options, errors);
    options
}

fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

fn unknown(path: &Path, key: &str) -> syn::Error {
    let expected = format!("`{}`", KEYS.join("`, `"));
    let message = match names::did_you_mean(key, KEYS.iter().copied()) {
        Some(close) => {
            format!("unknown option `{key}`: did you mean `{close}`? (expected one of: {expected})")
        }
        None => format!("unknown option `{key}`; expected one of: {expected}"),
    };
    syn::Error::new_spanned(path, message)
}

fn set(options: &mut Options, key: &str, meta: &Meta) -> syn::Result<()> {
    let tokens = meta.to_token_stream();
    match key {
        "event" => {
            let lit = string(meta, key, "user.created.v1")?;
            if !names::is_message_name(&lit.value()) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "`{}` is not a valid event name: names are lowercase alphanumeric \
                         tokens separated by dots, like `user.created.v1`",
                        lit.value()
                    ),
                ));
            }
            options.event = Some(Setting { value: lit, tokens });
        }
        "source" => {
            let lit = string(meta, key, "billing")?;
            if !names::is_source_name(&lit.value()) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "`{}` is not a valid source name: sources are lowercase alphanumeric \
                         tokens separated by `.` or `:`, like `billing` or `orders:new`",
                        lit.value()
                    ),
                ));
            }
            options.source = Some(Setting { value: lit, tokens });
        }
        "consumer" | "stream" => {
            let example = if key == "stream" {
                "WIDGETS"
            } else {
                "billing_widgets_created_v1"
            };
            let lit = string(meta, key, example)?;
            if !names::is_nats_name(&lit.value()) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "`{}` is not a valid {key} name: it cannot be empty or contain \
                         whitespace, `.`, `*`, `>`, `/` or `\\`",
                        lit.value()
                    ),
                ));
            }
            let setting = Some(Setting { value: lit, tokens });
            if key == "stream" {
                options.stream = setting;
            } else {
                options.consumer = setting;
            }
        }
        "concurrency" => {
            let count = count(meta, key, 8)?;
            options.concurrency = Some(Setting {
                value: count,
                tokens,
            });
        }
        "batch" => {
            let count = count(meta, key, 16)?;
            options.batch = Some(Setting {
                value: count,
                tokens,
            });
        }
        "core" => {
            if !matches!(meta, Meta::Path(_)) {
                return Err(syn::Error::new_spanned(
                    meta,
                    "`core` is a flag: write `core`, optionally with `queue_group = \"...\"`",
                ));
            }
            options.core = Some(Setting { value: (), tokens });
        }
        "queue_group" => {
            let lit = string(meta, key, "workers")?;
            if !names::is_queue_group(&lit.value()) {
                return Err(syn::Error::new(
                    lit.span(),
                    format!(
                        "`{}` is not a valid queue group: it cannot be empty or contain whitespace",
                        lit.value()
                    ),
                ));
            }
            options.queue_group = Some(Setting { value: lit, tokens });
        }
        "schemas" => {
            let lit = string(meta, key, "../schemas")?;
            options.schemas = Some(Setting { value: lit, tokens });
        }
        "crate" => {
            let lit = string(meta, key, "::polyn")?;
            let path = lit.parse_with(Path::parse_mod_style).map_err(|_| {
                syn::Error::new(
                    lit.span(),
                    format!(
                        "`{}` is not a path: `crate` names the polyn crate, like `crate = \"::polyn\"` \
                         or `crate = \"my_reexports::polyn\"`",
                        lit.value()
                    ),
                )
            })?;
            options.krate = Some(Setting {
                value: path,
                tokens,
            });
        }
        _ => unreachable!("keys are checked against KEYS"),
    }
    Ok(())
}

/// The value of `key = <value>`, or an error that shows the form.
fn value<'a>(meta: &'a Meta, key: &str, example: &str) -> syn::Result<&'a Expr> {
    match meta {
        Meta::NameValue(name_value) => Ok(&name_value.value),
        Meta::Path(_) | Meta::List(_) => Err(syn::Error::new_spanned(
            meta,
            format!("`{key}` needs a value, like `{key} = {example}`"),
        )),
    }
}

fn string(meta: &Meta, key: &str, example: &str) -> syn::Result<LitStr> {
    let example = format!("\"{example}\"");
    match value(meta, key, &example)? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(lit.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` takes a string, like `{key} = {example}`"),
        )),
    }
}

fn count(meta: &Meta, key: &str, example: usize) -> syn::Result<Count> {
    let example = example.to_string();
    let wrong = |tokens: &dyn ToTokens| {
        syn::Error::new_spanned(
            tokens,
            format!("`{key}` takes a positive integer, like `{key} = {example}`"),
        )
    };
    let lit = match value(meta, key, &example)? {
        Expr::Lit(ExprLit {
            lit: Lit::Int(lit), ..
        }) => lit,
        other => return Err(wrong(other)),
    };
    match lit.base10_parse::<usize>() {
        Ok(0) => Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be at least 1"),
        )),
        Ok(value) => Ok(Count {
            value,
            span: lit.span(),
        }),
        Err(_) => Err(wrong(lit)),
    }
}

/// Options that cannot go together.
fn cross_check(options: &Options, errors: &mut Errors) {
    if options.core.is_some() {
        for key in PULL_ONLY {
            if let Some(tokens) = options.tokens_of(key) {
                errors.push(syn::Error::new_spanned(
                    tokens,
                    format!(
                        "`{key}` configures a JetStream pull consumer, so it cannot be used with `core`"
                    ),
                ));
            }
        }
    } else if let Some(queue_group) = options
        .queue_group
        .as_ref()
        .filter(|_| !options.is_given("core"))
    {
        errors.push(syn::Error::new_spanned(
            &queue_group.tokens,
            "`queue_group` needs `core`: only core NATS handlers join queue groups",
        ));
    }
    if !options.is_given("event")
        && let Some(schemas) = &options.schemas
    {
        errors.push(syn::Error::new_spanned(
            &schemas.tokens,
            "`schemas` is only used to check `event = \"...\"`; remove it, or name the event",
        ));
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse_ok(args: TokenStream) -> Options {
        let mut errors = Errors::default();
        let options = parse(args, &mut errors);
        if let Some(error) = errors.finish() {
            panic!("unexpected error: {error}");
        }
        options
    }

    /// The messages of every error.
    fn parse_err(args: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        parse(args, &mut errors);
        errors
            .finish()
            .expect("an error")
            .into_iter()
            .map(|error| error.to_string())
            .collect()
    }

    #[test]
    fn no_options() {
        let options = parse_ok(quote!());
        assert!(options.event.is_none() && options.core.is_none());
        assert_eq!(
            options.import_crate().to_string(),
            "use :: polyn as __polyn ;"
        );
    }

    #[test]
    fn every_option() {
        let options = parse_ok(quote!(
            event = "user.created.v1",
            source = "orders:new",
            consumer = "my_consumer",
            stream = "USERS",
            concurrency = 8,
            batch = 16usize,
            schemas = "../schemas",
            crate = "my::polyn",
        ));
        assert_eq!(
            options.event.expect("event").value.value(),
            "user.created.v1"
        );
        assert_eq!(options.source.expect("source").value.value(), "orders:new");
        assert_eq!(
            options.consumer.expect("consumer").value.value(),
            "my_consumer"
        );
        assert_eq!(options.stream.expect("stream").value.value(), "USERS");
        assert_eq!(options.concurrency.expect("concurrency").value.value, 8);
        assert_eq!(options.batch.expect("batch").value.value, 16);
        assert_eq!(
            options.schemas.expect("schemas").value.value(),
            "../schemas"
        );
        assert_eq!(path_text(&options.krate.expect("crate").value), "my::polyn");
    }

    #[test]
    fn core_with_a_queue_group() {
        let options = parse_ok(quote!(core, queue_group = "workers"));
        assert!(options.core.is_some());
        assert_eq!(options.queue_group.expect("group").value.value(), "workers");
    }

    #[test]
    fn unknown_keys_list_the_valid_ones() {
        assert_eq!(
            parse_err(quote!(flavor = "x")),
            [
                "unknown option `flavor`; expected one of: `event`, `source`, `consumer`, `stream`, \
              `concurrency`, `batch`, `core`, `queue_group`, `schemas`, `crate`"
            ]
        );
        let errors = parse_err(quote!(concurency = 4));
        assert!(
            errors[0].starts_with("unknown option `concurency`: did you mean `concurrency`?"),
            "{errors:?}"
        );
        let errors = parse_err(quote!(a::b = 4));
        assert!(errors[0].starts_with("unknown option `a::b`"), "{errors:?}");
    }

    #[test]
    fn duplicates_are_reported_once_each() {
        assert_eq!(
            parse_err(quote!(source = "a", source = "b", source = "c")),
            ["duplicate option `source`", "duplicate option `source`"]
        );
    }

    #[test]
    fn values_of_the_wrong_shape() {
        assert_eq!(
            parse_err(quote!(source)),
            ["`source` needs a value, like `source = \"billing\"`"]
        );
        assert_eq!(
            parse_err(quote!(source = billing)),
            ["`source` takes a string, like `source = \"billing\"`"]
        );
        assert_eq!(
            parse_err(quote!(concurrency = "8")),
            ["`concurrency` takes a positive integer, like `concurrency = 8`"]
        );
        assert_eq!(
            parse_err(quote!(batch = -1)),
            ["`batch` takes a positive integer, like `batch = 16`"]
        );
        assert_eq!(parse_err(quote!(batch = 0)), ["`batch` must be at least 1"]);
        assert_eq!(
            parse_err(quote!(core = true)),
            ["`core` is a flag: write `core`, optionally with `queue_group = \"...\"`"]
        );
        assert_eq!(
            parse_err(quote!(event = 1)),
            ["`event` takes a string, like `event = \"user.created.v1\"`"]
        );
    }

    #[test]
    fn names_follow_the_rules() {
        let errors = parse_err(quote!(event = "User.Created"));
        assert!(
            errors[0].starts_with("`User.Created` is not a valid event name"),
            "{errors:?}"
        );
        let errors = parse_err(quote!(source = "my_source"));
        assert!(
            errors[0].starts_with("`my_source` is not a valid source name"),
            "{errors:?}"
        );
        let errors = parse_err(quote!(stream = "a.b"));
        assert!(
            errors[0].starts_with("`a.b` is not a valid stream name"),
            "{errors:?}"
        );
        let errors = parse_err(quote!(consumer = ""));
        assert!(
            errors[0].starts_with("`` is not a valid consumer name"),
            "{errors:?}"
        );
        let errors = parse_err(quote!(core, queue_group = "a b"));
        assert!(
            errors[0].starts_with("`a b` is not a valid queue group"),
            "{errors:?}"
        );
        let errors = parse_err(quote!(crate = "not a path"));
        assert!(
            errors[0].starts_with("`not a path` is not a path"),
            "{errors:?}"
        );
    }

    #[test]
    fn pull_options_conflict_with_core() {
        assert_eq!(
            parse_err(quote!(core, concurrency = 2, source = "a")),
            [
                "`source` configures a JetStream pull consumer, so it cannot be used with `core`",
                "`concurrency` configures a JetStream pull consumer, so it cannot be used with `core`",
            ]
        );
        assert_eq!(
            parse_err(quote!(queue_group = "workers")),
            ["`queue_group` needs `core`: only core NATS handlers join queue groups"]
        );
        assert_eq!(
            parse_err(quote!(schemas = "s")),
            ["`schemas` is only used to check `event = \"...\"`; remove it, or name the event"]
        );
    }

    #[test]
    fn an_invalid_option_does_not_cascade() {
        assert_eq!(
            parse_err(quote!(core = true, queue_group = "workers")),
            ["`core` is a flag: write `core`, optionally with `queue_group = \"...\"`"]
        );
        let errors = parse_err(quote!(event = "Bad", schemas = "s"));
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn every_problem_is_reported() {
        let errors = parse_err(quote!(flavor, source = "A", batch = 0, source = "b"));
        assert_eq!(errors.len(), 4, "{errors:?}");
    }

    #[test]
    fn syntax_errors_come_from_syn() {
        let errors = parse_err(quote!(source = ));
        assert_eq!(errors.len(), 1, "{errors:?}");
    }
}
