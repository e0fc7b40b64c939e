//! The options of `#[polyn::handler(...)]`: parsed, each checked on its own
//! tokens, then checked against each other and against the kind of handler
//! (pull, core or request).

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, ExprPath, Lit, LitBool, LitStr, Meta, Path, Token};

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
    "prefetch",
    "backoff",
    "max_backoff",
    "keep_alive",
    "dead_letters",
    "allow_other_types",
    "on_invalid",
    "core",
    "queue_group",
    "schemas",
    "crate",
];

/// The options that only make sense for a JetStream pull consumer.
const PULL_ONLY: &[&str] = &[
    "source",
    "consumer",
    "stream",
    "batch",
    "prefetch",
    "backoff",
    "max_backoff",
    "keep_alive",
    "dead_letters",
    "allow_other_types",
];

/// The redelivery delay base when only `max_backoff` is given, in
/// milliseconds (the runtime's default).
pub(crate) const DEFAULT_BACKOFF_MS: u64 = 1_000;

/// The redelivery delay cap when only `backoff` is given, in milliseconds
/// (the runtime's default).
pub(crate) const DEFAULT_MAX_BACKOFF_MS: u64 = 60_000;

/// How a handler receives its events: known from the options (`core`) and
/// the function (a `Result<Reply, E>` return type answers requests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A JetStream durable pull consumer.
    Pull,
    /// A core NATS subscription.
    Core,
    /// Requests on core NATS, each answered with a reply.
    Request,
}

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

/// A duration option (`backoff`, `max_backoff`).
#[derive(Clone, Debug)]
pub(crate) struct Delay {
    pub(crate) millis: u64,
    /// As written, for messages.
    pub(crate) text: String,
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
    pub(crate) prefetch: Option<Setting<Count>>,
    pub(crate) backoff: Option<Setting<Delay>>,
    pub(crate) max_backoff: Option<Setting<Delay>>,
    pub(crate) keep_alive: Option<Setting<LitBool>>,
    pub(crate) dead_letters: Option<Setting<LitBool>>,
    pub(crate) allow_other_types: Option<Setting<()>>,
    pub(crate) on_invalid: Option<Setting<ExprPath>>,
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
            "prefetch" => self.prefetch.as_ref().map(|s| &s.tokens),
            "backoff" => self.backoff.as_ref().map(|s| &s.tokens),
            "max_backoff" => self.max_backoff.as_ref().map(|s| &s.tokens),
            "keep_alive" => self.keep_alive.as_ref().map(|s| &s.tokens),
            "dead_letters" => self.dead_letters.as_ref().map(|s| &s.tokens),
            "allow_other_types" => self.allow_other_types.as_ref().map(|s| &s.tokens),
            "on_invalid" => self.on_invalid.as_ref().map(|s| &s.tokens),
            "core" => self.core.as_ref().map(|s| &s.tokens),
            "queue_group" => self.queue_group.as_ref().map(|s| &s.tokens),
            "schemas" => self.schemas.as_ref().map(|s| &s.tokens),
            "crate" => self.krate.as_ref().map(|s| &s.tokens),
            _ => None,
        }
    }

    /// The pull-only options written, in the order they were.
    fn pull_only_given(&self) -> impl Iterator<Item = &str> {
        self.given
            .iter()
            .map(String::as_str)
            .filter(|key| PULL_ONLY.contains(key))
    }

    /// How a handler with these options receives: `returns_reply` when the
    /// function returns `Result<Reply, E>`. A `core` option makes a core
    /// handler even when it is invalid, so its mistake does not cascade.
    pub(crate) fn kind(&self, returns_reply: bool) -> Kind {
        if returns_reply {
            Kind::Request
        } else if self.is_given("core") {
            Kind::Core
        } else {
            Kind::Pull
        }
    }

    /// The redelivery backoff, `(base, max)` in milliseconds, when
    /// `backoff` or `max_backoff` is given. A missing one takes its default,
    /// unless that would put the base above the cap: then both are the one
    /// given.
    pub(crate) fn backoff_millis(&self) -> Option<(u64, u64)> {
        let base = self.backoff.as_ref().map(|s| s.value.millis);
        let max = self.max_backoff.as_ref().map(|s| s.value.millis);
        match (base, max) {
            (None, None) => None,
            (Some(base), Some(max)) => Some((base, max)),
            (Some(base), None) => Some((base, base.max(DEFAULT_MAX_BACKOFF_MS))),
            (None, Some(max)) => Some((max.min(DEFAULT_BACKOFF_MS), max)),
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

/// Parses the attribute's arguments, checking each option on its own. Every
/// problem is added to `errors`; the options returned are the valid ones.
/// [`cross_check`] checks them together, once the kind of handler is known.
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
        "prefetch" => {
            let count = count(meta, key, 256)?;
            options.prefetch = Some(Setting {
                value: count,
                tokens,
            });
        }
        "backoff" | "max_backoff" => {
            let example = if key == "backoff" { "1s" } else { "60s" };
            if let Expr::Lit(ExprLit {
                lit: Lit::Int(int), ..
            }) = value(meta, key, &format!("\"{example}\""))?
                && !int.suffix().is_empty()
            {
                return Err(syn::Error::new(
                    int.span(),
                    format!("`{key}` takes a string: write `{key} = \"{int}\"`, in quotes"),
                ));
            }
            let lit = string(meta, key, example)?;
            let text = lit.value();
            let millis = match duration_millis(&text) {
                Ok(0) => {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!("`{key}` must be longer than zero, like `{key} = \"{example}\"`"),
                    ));
                }
                Ok(millis) => millis,
                Err(DurationError::Malformed) => {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!(
                            "`{text}` is not a duration: write an integer followed by a unit, \
                             `ms`, `s`, `m` or `h`, like `{key} = \"250ms\"` or `{key} = \"{example}\"`"
                        ),
                    ));
                }
                Err(DurationError::TooLong) => {
                    return Err(syn::Error::new(
                        lit.span(),
                        format!(
                            "`{text}` is too long a duration for `{key}`: write a shorter one, \
                             like `{key} = \"{example}\"`"
                        ),
                    ));
                }
            };
            let setting = Some(Setting {
                value: Delay { millis, text },
                tokens,
            });
            if key == "backoff" {
                options.backoff = setting;
            } else {
                options.max_backoff = setting;
            }
        }
        "keep_alive" | "dead_letters" => {
            let wrong = |tokens: &dyn ToTokens| {
                syn::Error::new_spanned(
                    tokens,
                    format!("`{key}` takes `true` or `false`, like `{key} = false`"),
                )
            };
            let lit = match value(meta, key, "false")? {
                Expr::Lit(ExprLit {
                    lit: Lit::Bool(lit),
                    ..
                }) => lit.clone(),
                other => return Err(wrong(other)),
            };
            let setting = Some(Setting { value: lit, tokens });
            if key == "keep_alive" {
                options.keep_alive = setting;
            } else {
                options.dead_letters = setting;
            }
        }
        "allow_other_types" => {
            if !matches!(meta, Meta::Path(_)) {
                return Err(syn::Error::new_spanned(
                    meta,
                    "`allow_other_types` is a flag: write `allow_other_types`, without a value",
                ));
            }
            options.allow_other_types = Some(Setting { value: (), tokens });
        }
        "on_invalid" => {
            let path = hook(meta)?;
            options.on_invalid = Some(Setting {
                value: path,
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

/// The path of an `on_invalid` hook.
fn hook(meta: &Meta) -> syn::Result<ExprPath> {
    const FORM: &str = "`on_invalid` takes the path of a function `fn(&polyn::InvalidMessage)`";
    match value(meta, "on_invalid", "report_invalid")? {
        Expr::Path(path) => Ok(path.clone()),
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => {
            let example = lit
                .parse::<ExprPath>()
                .map_or_else(|_| "report_invalid".to_owned(), |_| lit.value());
            Err(syn::Error::new(
                lit.span(),
                format!("{FORM}, not a string: write `on_invalid = {example}`, without quotes"),
            ))
        }
        closure @ Expr::Closure(_) => Err(syn::Error::new_spanned(
            closure,
            format!(
                "{FORM}, not a closure: write the closure as a function, \
                 `fn report_invalid(invalid: &polyn::InvalidMessage) {{ .. }}`, \
                 then `on_invalid = report_invalid`"
            ),
        )),
        other => Err(syn::Error::new_spanned(
            other,
            format!("{FORM}, like `on_invalid = report_invalid`"),
        )),
    }
}

/// Why a duration option could not be read.
#[derive(Debug, PartialEq, Eq)]
enum DurationError {
    /// Not an integer followed by `ms`, `s`, `m` or `h`.
    Malformed,
    /// More milliseconds than a `u64` holds.
    TooLong,
}

/// The milliseconds of a duration written as an integer followed by a unit,
/// `ms`, `s`, `m` or `h`: `"250ms"`, `"2s"`, `"5m"`, `"1h"`.
fn duration_millis(text: &str) -> Result<u64, DurationError> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let factor: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(DurationError::Malformed),
    };
    if number.is_empty() {
        return Err(DurationError::Malformed);
    }
    number
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(factor))
        .ok_or(DurationError::TooLong)
}

/// Checks the options together, and against the kind of handler. An
/// invalid option is already reported: the checks that concern it stay
/// silent.
pub(crate) fn cross_check(options: &Options, kind: Kind, errors: &mut Errors) {
    match kind {
        Kind::Pull => {
            if let Some(queue_group) = &options.queue_group {
                errors.push(syn::Error::new_spanned(
                    &queue_group.tokens,
                    "`queue_group` needs `core`: only core NATS handlers and request handlers \
                     join queue groups; write `core, queue_group = \"workers\"`",
                ));
            }
        }
        Kind::Core => {
            for key in options.pull_only_given() {
                if let Some(tokens) = options.tokens_of(key) {
                    errors.push(syn::Error::new_spanned(
                        tokens,
                        format!(
                            "`{key}` configures a JetStream pull consumer, so it cannot be used \
                             with `core`: remove it"
                        ),
                    ));
                }
            }
        }
        Kind::Request => {
            if let Some(core) = &options.core {
                errors.push(syn::Error::new_spanned(
                    &core.tokens,
                    "a request handler (it returns `Result<Reply, E>`) always receives on core \
                     NATS: remove `core`",
                ));
            }
            for key in options.pull_only_given() {
                if let Some(tokens) = options.tokens_of(key) {
                    errors.push(syn::Error::new_spanned(
                        tokens,
                        format!(
                            "`{key}` configures a JetStream pull consumer, so it cannot be used \
                             with a request handler (it returns `Result<Reply, E>`), which \
                             receives on core NATS: remove it"
                        ),
                    ));
                }
            }
        }
    }
    if let (Some(base), Some(max)) = (&options.backoff, &options.max_backoff)
        && base.value.millis > max.value.millis
    {
        errors.push(syn::Error::new_spanned(
            &base.tokens,
            format!(
                "`backoff` ({}) is longer than `max_backoff` ({}): the redelivery delay starts \
                 at `backoff` and doubles up to `max_backoff`; lower `backoff` or raise \
                 `max_backoff`, like `backoff = \"1s\", max_backoff = \"60s\"`",
                base.value.text, max.value.text
            ),
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
    use quote::{ToTokens, quote};

    use super::*;

    /// The options, and the messages of every error, of a handler that
    /// returns a reply (`returns_reply`) or not.
    fn check(args: TokenStream, returns_reply: bool) -> (Options, Vec<String>) {
        let mut errors = Errors::default();
        let options = parse(args, &mut errors);
        cross_check(&options, options.kind(returns_reply), &mut errors);
        let messages = errors
            .finish()
            .into_iter()
            .flatten()
            .map(|error| error.to_string())
            .collect();
        (options, messages)
    }

    fn parse_ok(args: TokenStream) -> Options {
        let (options, errors) = check(args, false);
        assert!(errors.is_empty(), "unexpected errors: {errors:?}");
        options
    }

    fn parse_err(args: TokenStream) -> Vec<String> {
        let (_, errors) = check(args, false);
        assert!(!errors.is_empty(), "no error");
        errors
    }

    fn request_ok(args: TokenStream) -> Options {
        let (options, errors) = check(args, true);
        assert!(errors.is_empty(), "unexpected errors: {errors:?}");
        options
    }

    fn request_err(args: TokenStream) -> Vec<String> {
        let (_, errors) = check(args, true);
        assert!(!errors.is_empty(), "no error");
        errors
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
            prefetch = 64,
            backoff = "250ms",
            max_backoff = "5m",
            keep_alive = false,
            allow_other_types,
            on_invalid = hooks::report,
            schemas = "../schemas",
            crate = "my::polyn",
        ));
        assert_eq!(options.backoff_millis(), Some((250, 300_000)));
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
        assert_eq!(options.prefetch.expect("prefetch").value.value, 64);
        assert!(!options.keep_alive.expect("keep_alive").value.value);
        assert!(options.allow_other_types.is_some());
        assert_eq!(
            options
                .on_invalid
                .expect("on_invalid")
                .value
                .to_token_stream()
                .to_string(),
            "hooks :: report"
        );
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
    fn dead_letters_is_a_pull_flag() {
        assert!(
            !parse_ok(quote!(dead_letters = false))
                .dead_letters
                .expect("dead_letters")
                .value
                .value
        );
        assert_eq!(
            parse_err(quote!(dead_letters = "off")),
            ["`dead_letters` takes `true` or `false`, like `dead_letters = false`"]
        );
        assert!(
            parse_err(quote!(core, dead_letters = false))[0]
                .starts_with("`dead_letters` configures a JetStream pull consumer"),
            "{:?}",
            parse_err(quote!(core, dead_letters = false))
        );
    }

    #[test]
    fn unknown_keys_list_the_valid_ones() {
        assert_eq!(
            parse_err(quote!(flavor = "x")),
            [
                "unknown option `flavor`; expected one of: `event`, `source`, `consumer`, `stream`, \
              `concurrency`, `batch`, `prefetch`, `backoff`, `max_backoff`, `keep_alive`, `dead_letters`, `allow_other_types`, \
              `on_invalid`, `core`, `queue_group`, `schemas`, `crate`"
            ]
        );
        let errors = parse_err(quote!(concurency = 4));
        assert!(
            errors[0].starts_with("unknown option `concurency`: did you mean `concurrency`?"),
            "{errors:?}"
        );
        let errors = parse_err(quote!(a::b = 4));
        assert!(errors[0].starts_with("unknown option `a::b`"), "{errors:?}");
        for (typo, key) in [
            (quote!(max_backof = "1s"), "max_backoff"),
            (quote!(keepalive = false), "keep_alive"),
            (quote!(allow_other_type), "allow_other_types"),
            (quote!(oninvalid = f), "on_invalid"),
        ] {
            let errors = parse_err(typo);
            assert!(
                errors[0].contains(&format!("did you mean `{key}`?")),
                "{errors:?}"
            );
        }
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
    fn durations() {
        assert_eq!(duration_millis("250ms"), Ok(250));
        assert_eq!(duration_millis("2s"), Ok(2_000));
        assert_eq!(duration_millis("5m"), Ok(300_000));
        assert_eq!(duration_millis("1h"), Ok(3_600_000));
        assert_eq!(duration_millis("0s"), Ok(0));
        assert_eq!(duration_millis("007s"), Ok(7_000));
        for malformed in [
            "", "s", "1", "1.5s", "1 s", " 1s", "1S", "1sec", "1d", "-1s", "+1s", "1ms2", "1μs",
        ] {
            assert_eq!(
                duration_millis(malformed),
                Err(DurationError::Malformed),
                "{malformed:?}"
            );
        }
        assert_eq!(
            duration_millis("99999999999999999999ms"),
            Err(DurationError::TooLong)
        );
        assert_eq!(
            duration_millis("18446744073709552s"),
            Err(DurationError::TooLong)
        );
    }

    #[test]
    fn backoff_values() {
        assert_eq!(parse_ok(quote!()).backoff_millis(), None);
        assert_eq!(
            parse_ok(quote!(backoff = "2s")).backoff_millis(),
            Some((2_000, DEFAULT_MAX_BACKOFF_MS))
        );
        assert_eq!(
            parse_ok(quote!(backoff = "2m")).backoff_millis(),
            Some((120_000, 120_000))
        );
        assert_eq!(
            parse_ok(quote!(max_backoff = "10s")).backoff_millis(),
            Some((DEFAULT_BACKOFF_MS, 10_000))
        );
        assert_eq!(
            parse_ok(quote!(max_backoff = "100ms")).backoff_millis(),
            Some((100, 100))
        );
        assert_eq!(
            parse_ok(quote!(backoff = "1s", max_backoff = "1s")).backoff_millis(),
            Some((1_000, 1_000))
        );
    }

    #[test]
    fn backoff_problems() {
        assert_eq!(
            parse_err(quote!(backoff = 1)),
            ["`backoff` takes a string, like `backoff = \"1s\"`"]
        );
        assert_eq!(
            parse_err(quote!(max_backoff = 60s)),
            ["`max_backoff` takes a string: write `max_backoff = \"60s\"`, in quotes"]
        );
        assert_eq!(
            parse_err(quote!(max_backoff)),
            ["`max_backoff` needs a value, like `max_backoff = \"60s\"`"]
        );
        assert_eq!(
            parse_err(quote!(backoff = "1.5s")),
            [
                "`1.5s` is not a duration: write an integer followed by a unit, `ms`, `s`, `m` or \
              `h`, like `backoff = \"250ms\"` or `backoff = \"1s\"`"
            ]
        );
        assert_eq!(
            parse_err(quote!(max_backoff = "0ms")),
            ["`max_backoff` must be longer than zero, like `max_backoff = \"60s\"`"]
        );
        let errors = parse_err(quote!(backoff = "99999999999999999999h"));
        assert!(
            errors[0].starts_with("`99999999999999999999h` is too long a duration for `backoff`"),
            "{errors:?}"
        );
        assert_eq!(
            parse_err(quote!(backoff = "2m", max_backoff = "90s")),
            [
                "`backoff` (2m) is longer than `max_backoff` (90s): the redelivery delay starts at \
              `backoff` and doubles up to `max_backoff`; lower `backoff` or raise `max_backoff`, \
              like `backoff = \"1s\", max_backoff = \"60s\"`"
            ]
        );
        // An invalid one is one error.
        assert_eq!(
            parse_err(quote!(backoff = "2m", max_backoff = "0s")).len(),
            1
        );
    }

    #[test]
    fn flags_and_booleans() {
        assert!(
            parse_ok(quote!(keep_alive = true))
                .keep_alive
                .expect("keep_alive")
                .value
                .value
        );
        assert_eq!(
            parse_err(quote!(keep_alive = "no")),
            ["`keep_alive` takes `true` or `false`, like `keep_alive = false`"]
        );
        assert_eq!(
            parse_err(quote!(keep_alive)),
            ["`keep_alive` needs a value, like `keep_alive = false`"]
        );
        assert_eq!(
            parse_err(quote!(allow_other_types = true)),
            ["`allow_other_types` is a flag: write `allow_other_types`, without a value"]
        );
        assert_eq!(
            parse_err(quote!(allow_other_types(yes))),
            ["`allow_other_types` is a flag: write `allow_other_types`, without a value"]
        );
    }

    #[test]
    fn on_invalid_takes_a_function_path() {
        for path in [
            quote!(report),
            quote!(crate::hooks::report),
            quote!(<Hooks as Report>::report),
        ] {
            let options = parse_ok(quote!(on_invalid = #path));
            assert_eq!(
                options
                    .on_invalid
                    .expect("on_invalid")
                    .value
                    .to_token_stream()
                    .to_string(),
                path.to_string()
            );
        }
        assert_eq!(
            parse_err(quote!(on_invalid = "hooks::report")),
            [
                "`on_invalid` takes the path of a function `fn(&polyn::InvalidMessage)`, not a \
              string: write `on_invalid = hooks::report`, without quotes"
            ]
        );
        assert_eq!(
            parse_err(quote!(on_invalid = "not a path")),
            [
                "`on_invalid` takes the path of a function `fn(&polyn::InvalidMessage)`, not a \
              string: write `on_invalid = report_invalid`, without quotes"
            ]
        );
        let errors = parse_err(quote!(on_invalid = |invalid| println!("{invalid:?}")));
        assert!(
            errors[0].starts_with(
                "`on_invalid` takes the path of a function `fn(&polyn::InvalidMessage)`, not a \
                 closure: write the closure as a function"
            ),
            "{errors:?}"
        );
        assert_eq!(
            parse_err(quote!(on_invalid = make_hook())),
            [
                "`on_invalid` takes the path of a function `fn(&polyn::InvalidMessage)`, like \
              `on_invalid = report_invalid`"
            ]
        );
        assert_eq!(
            parse_err(quote!(on_invalid)),
            ["`on_invalid` needs a value, like `on_invalid = report_invalid`"]
        );
    }

    #[test]
    fn the_kind_of_handler() {
        assert_eq!(parse_ok(quote!()).kind(false), Kind::Pull);
        assert_eq!(parse_ok(quote!(core)).kind(false), Kind::Core);
        assert_eq!(parse_ok(quote!()).kind(true), Kind::Request);
        assert_eq!(parse_ok(quote!(core)).kind(true), Kind::Request);
        // An invalid `core` still makes a core handler.
        let mut errors = Errors::default();
        assert_eq!(parse(quote!(core = 1), &mut errors).kind(false), Kind::Core);
    }

    #[test]
    fn pull_options_conflict_with_core() {
        assert_eq!(
            parse_err(quote!(core, batch = 2, source = "a", keep_alive = false)),
            [
                "`batch` configures a JetStream pull consumer, so it cannot be used with `core`: \
              remove it",
                "`source` configures a JetStream pull consumer, so it cannot be used with `core`: \
              remove it",
                "`keep_alive` configures a JetStream pull consumer, so it cannot be used with \
              `core`: remove it",
            ]
        );
        let errors = parse_err(quote!(
            core,
            stream = "S",
            consumer = "c",
            backoff = "1s",
            max_backoff = "2s",
            allow_other_types
        ));
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert_eq!(
            parse_err(quote!(queue_group = "workers")),
            [
                "`queue_group` needs `core`: only core NATS handlers and request handlers join \
              queue groups; write `core, queue_group = \"workers\"`"
            ]
        );
        assert_eq!(
            parse_err(quote!(schemas = "s")),
            ["`schemas` is only used to check `event = \"...\"`; remove it, or name the event"]
        );
    }

    #[test]
    fn options_of_every_kind() {
        // Concurrency and the hook apply to every kind of handler.
        parse_ok(quote!(concurrency = 4, on_invalid = report));
        parse_ok(quote!(
            core,
            queue_group = "g",
            concurrency = 4,
            on_invalid = report
        ));
        let options = request_ok(quote!(
            queue_group = "g",
            concurrency = 4,
            on_invalid = report
        ));
        assert_eq!(options.kind(true), Kind::Request);
    }

    #[test]
    fn request_handlers_receive_on_core_nats() {
        assert_eq!(
            request_err(quote!(core, queue_group = "g")),
            [
                "a request handler (it returns `Result<Reply, E>`) always receives on core NATS: \
              remove `core`"
            ]
        );
        assert_eq!(
            request_err(quote!(batch = 2, allow_other_types)),
            [
                "`batch` configures a JetStream pull consumer, so it cannot be used with a \
              request handler (it returns `Result<Reply, E>`), which receives on core NATS: \
              remove it",
                "`allow_other_types` configures a JetStream pull consumer, so it cannot be used \
              with a request handler (it returns `Result<Reply, E>`), which receives on core \
              NATS: remove it",
            ]
        );
        // An invalid `core` is one error.
        assert_eq!(request_err(quote!(core = true)).len(), 1);
    }

    #[test]
    fn an_invalid_option_does_not_cascade() {
        assert_eq!(
            parse_err(quote!(core = true, queue_group = "workers")),
            ["`core` is a flag: write `core`, optionally with `queue_group = \"...\"`"]
        );
        let errors = parse_err(quote!(event = "Bad", schemas = "s"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        let errors = parse_err(quote!(core, batch = 0, backoff = "x"));
        assert_eq!(errors.len(), 2, "{errors:?}");
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
