//! `#[polyn::handler]`: from the options and the function to a unit struct
//! that implements `polyn::Handler`, or to the fallback and the errors.

use std::path::{Path, PathBuf};

use proc_macro2::{Group, Ident, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{AttrStyle, Attribute, ItemFn, LitStr, Type};

use crate::ast::{self, ArgKind, Handler};
use crate::attr::{self, Kind, Options};
use crate::errors::Errors;
use crate::names::SchemaDir;

/// Expands `#[polyn::handler(args)] item`.
pub(crate) fn handler(args: TokenStream, item: TokenStream) -> TokenStream {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    let compiled = std::env::var_os(polyn_naming::SCHEMAS_DIR_ENV).map(PathBuf::from);
    let folders = Folders {
        manifest_dir: manifest_dir.as_deref(),
        compiled: compiled.as_deref(),
    };
    expand(args, item, folders)
}

/// Where a handler's crate is and which schemas folder its build script
/// compiled.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Folders<'a> {
    /// The crate's folder (`None`: the current folder); a `schemas = "..."`
    /// path is relative to it.
    pub(crate) manifest_dir: Option<&'a Path>,
    /// `POLYN_SCHEMAS_DIR`, which polyn-build sets for the crate.
    pub(crate) compiled: Option<&'a Path>,
}

/// [`handler`], with the crate's folders.
pub(crate) fn expand(args: TokenStream, item: TokenStream, folders: Folders<'_>) -> TokenStream {
    let Ok(function) = syn::parse2::<ItemFn>(item.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[polyn::handler]` goes on an `async fn` taking a `polyn::Event<T>`",
        );
        let error = error.into_compile_error();
        return quote!(#item #error);
    };
    let mut errors = Errors::default();
    let options = attr::parse(args, &mut errors);
    let handler = ast::analyse(&function, &mut errors);
    attr::cross_check(&options, options.kind(handler.reply.is_some()), &mut errors);
    let binding = bind_event(&options, &handler, folders, &mut errors);
    match (errors.finish(), binding) {
        (None, Some(binding)) => generate(&function, &handler, &options, &binding),
        (error, _) => {
            let error = error.unwrap_or_else(|| {
                syn::Error::new(Span::call_site(), "the handler's event could not be found")
            });
            fallback(&function, &handler, &options, &error)
        }
    }
}

/// Where the handler's event comes from.
#[derive(Debug)]
enum Binding<'a> {
    /// `Event<T>`: `T` names the event and decodes it.
    Typed(&'a Type),
    /// `Event` with `event = "name"`, found in the schemas folder.
    Dynamic { name: LitStr, schema: PathBuf },
}

fn bind_event<'a>(
    options: &Options,
    handler: &'a Handler,
    folders: Folders<'_>,
    errors: &mut Errors,
) -> Option<Binding<'a>> {
    let event = handler.event.as_ref()?;
    match (&event.data, &options.event) {
        (Some(data), None) => Some(Binding::Typed(data)),
        (Some(_), Some(named)) => {
            errors.push(syn::Error::new_spanned(
                &named.tokens,
                "`event = \"...\"` names the event of an untyped `polyn::Event`; this handler \
                 takes an `Event<T>`, whose type `T` names the event: remove `event`",
            ));
            None
        }
        // An invalid `event` option is already reported.
        (None, None) if options.is_given("event") => None,
        (None, None) => {
            errors.push(syn::Error::new_spanned(
                &event.ty,
                "an untyped `polyn::Event` needs the event's name, as in \
                 `#[polyn::handler(event = \"user.created.v1\")]`; or take a `polyn::Event<T>` \
                 whose `T` is generated from the schema by polyn-build",
            ));
            None
        }
        (None, Some(named)) => {
            let dir = folders.manifest_dir.unwrap_or_else(|| Path::new("."));
            let explicit = options.schemas.as_ref().map(|s| &s.value);
            let found = SchemaDir::find(
                dir,
                explicit.map(LitStr::value).as_deref(),
                folders.compiled,
            )
            .map_err(|message| {
                let span = explicit.map_or_else(|| named.value.span(), LitStr::span);
                syn::Error::new(span, message)
            })
            .and_then(|schemas| {
                schemas
                    .check(&named.value.value())
                    .map(Path::to_owned)
                    .map_err(|message| syn::Error::new(named.value.span(), message))
            });
            let schema = errors.check(found)?;
            Some(Binding::Dynamic {
                name: named.value.clone(),
                schema,
            })
        }
    }
}

/// The function's attributes, by the item they go on.
struct Attrs<'a> {
    /// `#[doc]`, lint levels and `#[cfg]`: on the struct.
    on_struct: Vec<&'a Attribute>,
    /// `#[cfg]`: on every item (the function is in one of them).
    cfg: Vec<&'a Attribute>,
    /// Everything else, and lint levels again: on the function (`#[cfg]`
    /// is on its `impl`).
    on_function: Vec<Attribute>,
}

impl<'a> Attrs<'a> {
    fn split(attrs: &'a [Attribute]) -> Self {
        let mut split = Attrs {
            on_struct: Vec::new(),
            cfg: Vec::new(),
            on_function: Vec::new(),
        };
        for attr in attrs {
            let path = attr.path();
            let is = |name: &str| path.is_ident(name);
            if matches!(attr.style, AttrStyle::Inner(_)) {
                split.on_function.push(attr.clone());
            } else if is("doc") {
                split.on_struct.push(attr);
            } else if is("cfg") {
                split.on_struct.push(attr);
                split.cfg.push(attr);
            } else if is("allow") || is("warn") || is("deny") || is("forbid") {
                split.on_struct.push(attr);
                split.on_function.push(attr.clone());
            } else {
                split.on_function.push(attr.clone());
            }
        }
        split
    }
}

/// The struct named after the function, and its inherent `call`: the
/// function itself, for unit tests.
fn struct_and_call(function: &ItemFn, attrs: &Attrs<'_>) -> TokenStream {
    let name = &function.sig.ident;
    let vis = &function.vis;
    let on_struct = &attrs.on_struct;
    let cfg = &attrs.cfg;
    let mut call = function.clone();
    call.attrs.clone_from(&attrs.on_function);
    call.sig.ident = Ident::new("call", name.span());
    quote! {
        #(#on_struct)*
        #[allow(non_camel_case_types)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug)]
        #vis struct #name;

        #(#cfg)*
        impl #name {
            /// The handler function itself, to call directly (in unit tests, for example).
            // Polyn needs an `async fn`, awaiting or not.
            #[allow(clippy::unused_async)]
            #call
        }
    }
}

/// `impl<__S: Clone + Send + Sync + 'static> Handler<__S>` when the
/// function takes no state; else `impl Handler<S>`.
fn state_generics(handler: &Handler) -> (TokenStream, TokenStream) {
    match &handler.state {
        Some(state) => (TokenStream::new(), quote!(#state)),
        None => (
            quote!(<__S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static>),
            quote!(__S),
        ),
    }
}

/// The `HandlerSpec` the options describe, for the event named by
/// `event_name`.
fn spec(options: &Options, kind: Kind, event_name: &TokenStream) -> TokenStream {
    let private = quote!(__polyn::__private);
    let mut spec = quote!(#private::HandlerSpec::new(#event_name));
    for (method, value) in [
        ("source", &options.source),
        ("stream", &options.stream),
        ("consumer", &options.consumer),
    ] {
        if let Some(setting) = value {
            let method = Ident::new(method, Span::call_site());
            let value = &setting.value;
            spec.extend(quote!(.#method(#value)));
        }
    }
    for (method, value) in [
        ("concurrency", &options.concurrency),
        ("batch", &options.batch),
        ("prefetch", &options.prefetch),
    ] {
        if let Some(setting) = value {
            let method = Ident::new(method, Span::call_site());
            let mut count = Literal::usize_unsuffixed(setting.value.value);
            count.set_span(setting.value.span);
            spec.extend(quote!(.#method(#count)));
        }
    }
    if let Some((base, max)) = options.backoff_millis() {
        let (base, max) = (Literal::u64_unsuffixed(base), Literal::u64_unsuffixed(max));
        spec.extend(quote!(.backoff(
            #private::Duration::from_millis(#base),
            #private::Duration::from_millis(#max),
        )));
    }
    if let Some(keep_alive) = &options.keep_alive {
        let keep_alive = &keep_alive.value;
        spec.extend(quote!(.keep_alive(#keep_alive)));
    }
    if let Some(dead_letters) = &options.dead_letters {
        let dead_letters = &dead_letters.value;
        spec.extend(quote!(.dead_letters(#dead_letters)));
    }
    if options.allow_other_types.is_some() {
        spec.extend(quote!(.allow_other_types()));
    }
    if let Some(hook) = &options.on_invalid {
        // A function of the wrong type is one error, on its path.
        let path = &hook.value;
        let span = path.span();
        let annotated = respan(
            quote!(let __polyn_hook: fn(&#private::InvalidMessage) =),
            span,
        );
        let end = respan(quote!(; __polyn_hook), span);
        spec.extend(quote!(.on_invalid({ #annotated #path #end })));
    }
    let queue_group = match &options.queue_group {
        Some(group) => {
            let group = &group.value;
            quote!(::core::option::Option::Some(::std::string::String::from(#group)))
        }
        None => quote!(::core::option::Option::None),
    };
    match kind {
        Kind::Pull => {}
        Kind::Core => spec.extend(quote!(.core(#queue_group))),
        Kind::Request => spec.extend(quote!(.request(#queue_group))),
    }
    spec
}

fn generate(
    function: &ItemFn,
    handler: &Handler,
    options: &Options,
    binding: &Binding<'_>,
) -> TokenStream {
    let import_crate = options.import_crate();
    let private = quote!(__polyn::__private);
    let name = &function.sig.ident;
    let attrs = Attrs::split(&function.attrs);
    let cfg = &attrs.cfg;
    let struct_and_call = struct_and_call(function, &attrs);
    let (impl_generics, state) = state_generics(handler);
    let kind = options.kind(handler.reply.is_some());

    // `event_name` is the only place that needs `T: EventType`, spanned at
    // `T`, so a type that is not an event type is one error, pointing at
    // it. `bind` checks it again (the same error, reported once), so that
    // the binder's bounds on `T`, which it implies, are not reported.
    let (mut helpers, event_name, check_event, data) = match binding {
        Binding::Typed(data) => {
            let name = quote_spanned!(data.span()=> __polyn_event_type::<#data>());
            let helpers = quote! {
                fn __polyn_event_type<__T: #private::EventType>() -> &'static str {
                    #private::event_name::<__T>()
                }
            };
            let check = quote!(let _: &'static str = #name;);
            (helpers, name, check, quote!(#data))
        }
        Binding::Dynamic { name, schema } => {
            // Rebuilds the crate when the schema changes or disappears.
            let schema = LitStr::new(&schema.to_string_lossy(), name.span());
            let helpers = quote!(
                const _: &[u8] = ::core::include_bytes!(#schema);
            );
            (
                helpers,
                quote!(#name),
                TokenStream::new(),
                quote!(#private::Value),
            )
        }
    };
    let spec = spec(options, kind, &event_name);

    let args = handler.args.iter().map(|arg| match arg.kind {
        ArgKind::Event => quote_spanned!(arg.span=> __polyn_event),
        ArgKind::Context => quote_spanned!(arg.span=> __polyn_context),
        ArgKind::State => {
            let state = quote!(__polyn::State);
            quote_spanned!(arg.span=> #state(__polyn_state))
        }
        // Reported: no expansion is generated.
        ArgKind::Unsupported => quote_spanned!(arg.span=> ::core::unreachable!()),
    });
    // The handler is bound through a local function (`__polyn_bind`) that
    // has the binder's bounds, with the event and reply types given
    // explicitly, spanned at the user's types: a bound one of them misses
    // is reported there, where the macro's own check (`T: EventType`, which
    // implies the rest) already is, so it is reported once. A future that
    // is not `Send` is one error, on the function name.
    let (bind_functions, generics, result) = match (kind, &handler.reply) {
        (Kind::Request, Some(reply)) => {
            // A reply that is not an event type is one error, on the reply
            // type; an error that is not one, on the error type (on the
            // return type for a `Result<Reply>` alias). (A local function: a
            // user-spanned path could trip the user's lints.)
            let reply_ty = quote!(#reply);
            let error_ty =
                ast::error_type(function).map_or_else(|| quote!(_), |error| quote!(#error));
            let output = ast::output_span(function);
            let callee = respan(quote!(__polyn_reply), output);
            let output = respan(quote!((__polyn_output)), output);
            let reply = quote!(#callee::<#reply_ty, #error_ty> #output);
            let functions = quote! {
                fn __polyn_reply<__R: #private::EventType, __E: ::core::convert::Into<#private::BoxError>>(
                    result: ::core::result::Result<__R, __E>,
                ) -> ::core::result::Result<__R, #private::BoxError> {
                    #private::reply(result)
                }

                fn __polyn_bind<__Q, __R, __S, __H, __F>(
                    binder: #private::Binder<__S>,
                    handler: __H,
                ) -> #private::BoxFuture<'static, ::core::result::Result<#private::Bound, #private::Error>>
                where
                    __Q: #private::serde::de::DeserializeOwned + ::core::marker::Send + 'static,
                    __R: #private::EventType,
                    __S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
                    __H: ::core::ops::Fn(#private::Event<__Q>, #private::Context, __S) -> __F
                        + ::core::marker::Send
                        + ::core::marker::Sync
                        + 'static,
                    __F: ::core::future::Future<Output = ::core::result::Result<__R, #private::BoxError>>
                        + ::core::marker::Send
                        + 'static,
                {
                    ::std::boxed::Box::pin(binder.request(handler))
                }
            };
            (functions, quote!(#data, #reply_ty, _, _, _), reply)
        }
        _ => {
            // An unsupported return type is one error, on the return type.
            let outcome = respan(
                quote!(__polyn_outcome(__polyn_output)),
                ast::output_span(function),
            );
            let method = Ident::new(
                if kind == Kind::Core { "core" } else { "pull" },
                Span::call_site(),
            );
            let functions = quote! {
                fn __polyn_outcome<__R: #private::IntoOutcome>(
                    result: __R,
                ) -> ::core::result::Result<#private::Outcome, #private::BoxError> {
                    #private::outcome(result)
                }

                fn __polyn_bind<__T, __S, __H, __F>(
                    binder: #private::Binder<__S>,
                    handler: __H,
                ) -> #private::BoxFuture<'static, ::core::result::Result<#private::Bound, #private::Error>>
                where
                    __T: #private::serde::de::DeserializeOwned + ::core::marker::Send + 'static,
                    __S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static,
                    __H: ::core::ops::Fn(#private::Event<__T>, #private::Context, __S) -> __F
                        + ::core::marker::Send
                        + ::core::marker::Sync
                        + 'static,
                    __F: ::core::future::Future<Output = ::core::result::Result<#private::Outcome, #private::BoxError>>
                        + ::core::marker::Send
                        + 'static,
                {
                    ::std::boxed::Box::pin(binder.#method(handler))
                }
            };
            (functions, quote!(#data, _, _, _), outcome)
        }
    };
    helpers.extend(bind_functions);
    let bind = quote_spanned! {name.span()=>
        #check_event
        __polyn_bind::<#generics>(
            __polyn_binder,
            |__polyn_event: #private::Event<#data>,
             __polyn_context: #private::Context,
             __polyn_state: #state| async move {
                let __polyn_output = #name::call(#(#args),*).await;
                #result
            },
        )
    };

    quote! {
        #struct_and_call

        #(#cfg)*
        const _: () = {
            #import_crate

            #helpers

            #[automatically_derived]
            impl #impl_generics #private::Handler<#state> for #name {
                fn spec(&self) -> #private::HandlerSpec {
                    #spec
                }

                fn bind(
                    &self,
                    __polyn_binder: #private::Binder<#state>,
                ) -> #private::BoxFuture<'static, ::core::result::Result<#private::Bound, #private::Error>> {
                    #bind
                }
            }
        };
    }
}

/// `tokens`, all with `span`, so that an error about them points there.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The code emitted with the errors: the function itself when it is a
/// method, else the struct and its `call` (so the function is still
/// checked, and IDEs keep working) with a `Handler` impl that is never run,
/// so the errors are the only ones.
fn fallback(
    function: &ItemFn,
    handler: &Handler,
    options: &Options,
    error: &syn::Error,
) -> TokenStream {
    let error = error.to_compile_error();
    if handler.keep_original {
        return quote!(#function #error);
    }
    let import_crate = options.import_crate();
    let private = quote!(__polyn::__private);
    let name = &function.sig.ident;
    let attrs = Attrs::split(&function.attrs);
    let cfg = &attrs.cfg;
    let struct_and_call = struct_and_call(function, &attrs);
    let (impl_generics, state) = state_generics(handler);
    quote! {
        #struct_and_call

        #(#cfg)*
        const _: () = {
            #import_crate

            #[automatically_derived]
            impl #impl_generics #private::Handler<#state> for #name {
                fn spec(&self) -> #private::HandlerSpec {
                    ::core::unreachable!()
                }

                fn bind(
                    &self,
                    _: #private::Binder<#state>,
                ) -> #private::BoxFuture<'static, ::core::result::Result<#private::Bound, #private::Error>> {
                    ::core::unreachable!()
                }
            }
        };

        #error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_dir() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// This crate, as if its build script had compiled the workspace's
    /// `schemas/`.
    fn folders() -> Folders<'static> {
        static COMPILED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
        Folders {
            manifest_dir: Some(manifest_dir()),
            compiled: Some(COMPILED.get_or_init(|| manifest_dir().join("../schemas"))),
        }
    }

    fn expand_str(args: TokenStream, item: TokenStream) -> String {
        let tokens = expand(args, item, folders());
        syn::parse2::<syn::File>(tokens.clone()).expect("the expansion is valid Rust");
        tokens.to_string()
    }

    fn squash(tokens: TokenStream) -> String {
        tokens.to_string()
    }

    /// `text` without whitespace nor trailing commas, so that the layout
    /// of the expected tokens does not matter.
    fn normalize(text: &str) -> String {
        let mut text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        for close in [")", "]", "}", ">"] {
            text = text.replace(&format!(",{close}"), close);
        }
        text
    }

    /// Whether the expansion `out` contains `expected`, whatever the layout.
    fn has(out: &str, expected: TokenStream) -> bool {
        normalize(out).contains(&normalize(&expected.to_string()))
    }

    #[test]
    fn a_typed_handler_with_state_and_context() {
        let out = expand_str(
            quote!(source = "billing", concurrency = 8),
            quote! {
                /// Stores widgets.
                pub async fn on_widget(
                    event: polyn::Event<WidgetsCreatedV1>,
                    ctx: polyn::Context,
                    polyn::State(db): polyn::State<Db>,
                ) -> Result<(), MyError> { db.store(event).await }
            },
        );
        for expected in [
            quote!(#[doc = r" Stores widgets."] #[allow(non_camel_case_types)]),
            quote!(
                pub struct on_widget;
            ),
            quote!(
                pub async fn call(
                    event: polyn::Event<WidgetsCreatedV1>,
                    ctx: polyn::Context,
                    polyn::State(db): polyn::State<Db>,
                ) -> Result<(), MyError> {
                    db.store(event).await
                }
            ),
            quote!(
                use ::polyn as __polyn;
            ),
            quote!(impl __polyn::__private::Handler<Db> for on_widget),
            quote!(
                fn spec(&self) -> __polyn::__private::HandlerSpec {
                    __polyn::__private::HandlerSpec::new(__polyn_event_type::<WidgetsCreatedV1>())
                        .source("billing")
                        .concurrency(8)
                }
            ),
            quote!(
                fn bind(
                    &self,
                    __polyn_binder: __polyn::__private::Binder<Db>,
                ) -> __polyn::__private::BoxFuture<
                    'static,
                    ::core::result::Result<__polyn::__private::Bound, __polyn::__private::Error>,
                > {
                    let _: &'static str = __polyn_event_type::<WidgetsCreatedV1>();
                    __polyn_bind::<WidgetsCreatedV1, _, _, _>(
                        __polyn_binder,
                        |__polyn_event: __polyn::__private::Event<WidgetsCreatedV1>,
                         __polyn_context: __polyn::__private::Context,
                         __polyn_state: Db| async move {
                            let __polyn_output = on_widget::call(
                                __polyn_event,
                                __polyn_context,
                                __polyn::State(__polyn_state),
                            )
                            .await;
                            __polyn_outcome(__polyn_output)
                        },
                    )
                }
            ),
            quote!(::std::boxed::Box::pin(binder.pull(handler))),
        ] {
            assert!(
                has(&out, expected.clone()),
                "missing `{expected}` in\n{out}"
            );
        }
        assert!(
            out.contains("impl on_widget { # [doc = r\" The handler function itself"),
            "{out}"
        );
    }

    #[test]
    fn without_state_the_handler_is_generic_over_it() {
        let out = expand_str(
            quote!(),
            quote!(
                async fn f(e: Event<A>) {}
            ),
        );
        assert!(
            has(
                &out,
                quote!(
                    impl<__S: ::core::clone::Clone + ::core::marker::Send + ::core::marker::Sync + 'static>
                        __polyn::__private::Handler<__S> for f
                )
            ),
            "{out}"
        );
        assert!(
            has(
                &out,
                quote!(__polyn_binder: __polyn::__private::Binder<__S>)
            ),
            "{out}"
        );
        assert!(
            has(
                &out,
                quote!(
                    __polyn_state: __S| async move {
                        let __polyn_output = f::call(__polyn_event).await;
                        __polyn_outcome(__polyn_output)
                    }
                )
            ),
            "{out}"
        );
        assert!(
            has(
                &out,
                quote!(
                    struct f;
                )
            ),
            "{out}"
        );
        assert!(!out.contains("pub"), "{out}");
    }

    #[test]
    fn a_dynamic_handler_is_checked_against_the_schemas() {
        let out = expand_str(
            quote!(event = "user.created.v1", core, queue_group = "workers"),
            quote!(
                async fn f(event: polyn::Event) {}
            ),
        );
        assert!(
            has(
                &out,
                quote!(
                    HandlerSpec::new("user.created.v1").core(::core::option::Option::Some(
                        ::std::string::String::from("workers")
                    ))
                )
            ),
            "{out}"
        );
        assert!(out.contains("include_bytes !"), "{out}");
        assert!(out.contains("user.created.v1.json"), "{out}");
        assert!(!out.contains("__polyn_event_type"), "{out}");
        assert!(
            has(
                &out,
                quote!(__polyn_bind::<__polyn::__private::Value, _, _, _>)
            ),
            "{out}"
        );
        assert!(
            has(
                &out,
                quote!(
                    __polyn_event: __polyn::__private::Event<__polyn::__private::Value>
                )
            ),
            "{out}"
        );
        assert!(has(&out, quote!(binder.core(handler))), "{out}");

        let out = expand_str(
            quote!(event = "user.created.v2"),
            quote!(
                async fn f(event: polyn::Event) {}
            ),
        );
        assert!(out.contains("did you mean `user.created.v1`?"), "{out}");
    }

    #[test]
    fn a_request_handler() {
        let out = expand_str(
            quote!(queue_group = "calculators", concurrency = 4),
            quote!(
                async fn multiply(
                    event: Event<CalcMultRequestV1>,
                    ctx: Context,
                ) -> Result<CalcMultResponseV1, MyError> {
                    todo!()
                }
            ),
        );
        for expected in [
            quote!(
                __polyn::__private::HandlerSpec::new(__polyn_event_type::<CalcMultRequestV1>())
                    .concurrency(4)
                    .request(::core::option::Option::Some(::std::string::String::from(
                        "calculators"
                    )))
            ),
            quote!(__polyn_bind::<CalcMultRequestV1, CalcMultResponseV1, _, _, _>),
            quote!(__polyn_reply::<CalcMultResponseV1, MyError>(__polyn_output)),
            quote!(::std::boxed::Box::pin(binder.request(handler))),
            quote!(__R: __polyn::__private::EventType),
        ] {
            assert!(
                has(&out, expected.clone()),
                "missing `{expected}` in\n{out}"
            );
        }
        assert!(!out.contains("__polyn_outcome"), "{out}");

        // A `Result<Reply>` alias: the error type is inferred.
        let out = expand_str(
            quote!(event = "calc.mult.request.v1"),
            quote!(
                async fn multiply(event: Event) -> anyhow::Result<CalcMultResponseV1> {
                    todo!()
                }
            ),
        );
        assert!(
            has(
                &out,
                quote!(
                    HandlerSpec::new("calc.mult.request.v1").request(::core::option::Option::None)
                )
            ),
            "{out}"
        );
        assert!(
            has(
                &out,
                quote!(__polyn_reply::<CalcMultResponseV1, _>(__polyn_output))
            ),
            "{out}"
        );
    }

    #[test]
    fn runtime_options_go_into_the_spec() {
        let out = expand_str(
            quote!(
                backoff = "250ms",
                max_backoff = "2m",
                keep_alive = false,
                allow_other_types,
                on_invalid = hooks::report,
                batch = 2,
            ),
            quote!(
                async fn f(e: Event<A>) {}
            ),
        );
        assert!(
            has(
                &out,
                quote!(
                    HandlerSpec::new(__polyn_event_type::<A>())
                        .batch(2)
                        .backoff(
                            __polyn::__private::Duration::from_millis(250),
                            __polyn::__private::Duration::from_millis(120000),
                        )
                        .keep_alive(false)
                        .allow_other_types()
                        .on_invalid({
                            let __polyn_hook: fn(&__polyn::__private::InvalidMessage) =
                                hooks::report;
                            __polyn_hook
                        })
                )
            ),
            "{out}"
        );
        assert!(has(&out, quote!(binder.pull(handler))), "{out}");

        // One duration: the other is the default.
        let out = expand_str(
            quote!(max_backoff = "10s"),
            quote!(
                async fn f(e: Event<A>) {}
            ),
        );
        assert!(
            has(
                &out,
                quote!(.backoff(
                    __polyn::__private::Duration::from_millis(1000),
                    __polyn::__private::Duration::from_millis(10000),
                ))
            ),
            "{out}"
        );
        let out = expand_str(
            quote!(),
            quote!(
                async fn f(e: Event<A>) {}
            ),
        );
        assert!(!out.contains("backoff"), "{out}");
    }

    #[test]
    fn kind_errors_need_the_function() {
        let out = expand_str(
            quote!(core, batch = 2),
            quote!(
                async fn f(e: Event<A>) -> Result<Reply, E> {
                    todo!()
                }
            ),
        );
        assert!(
            out.contains("a request handler (it returns `Result<Reply, E>`) always receives"),
            "{out}"
        );
        assert!(
            out.contains("so it cannot be used with a request handler"),
            "{out}"
        );
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }

    #[test]
    fn the_crate_can_be_renamed() {
        let out = expand_str(
            quote!(crate = "my::polyn", core),
            quote!(
                async fn f(e: Event<A>, polyn::State(s): State<S>) {}
            ),
        );
        assert!(
            has(
                &out,
                quote!(
                    use my::polyn as __polyn;
                )
            ),
            "{out}"
        );
        assert!(
            has(&out, quote!(impl __polyn::__private::Handler<S> for f)),
            "{out}"
        );
        assert!(has(&out, quote!(__polyn::State(__polyn_state))), "{out}");
        assert!(
            has(&out, quote!(.core(::core::option::Option::None))),
            "{out}"
        );
        assert!(!out.contains("use :: polyn"), "{out}");
    }

    #[test]
    fn attributes_are_split_between_the_struct_and_the_function() {
        let out = expand_str(
            quote!(),
            quote! {
                /// Docs.
                #[cfg(feature = "x")]
                #[allow(clippy::too_many_lines)]
                #[tracing::instrument]
                async fn f(e: Event<A>) { #![allow(unused)] }
            },
        );
        let struct_part = &out[..out.find("struct f").expect("struct")];
        assert!(struct_part.contains("Docs"), "{out}");
        assert!(struct_part.contains("cfg"), "{out}");
        assert!(struct_part.contains("too_many_lines"), "{out}");
        assert!(!struct_part.contains("instrument"), "{out}");
        let call = &out[out.find("impl f").expect("impl")..];
        assert!(
            call.starts_with("impl f") && out.contains("# [cfg (feature = \"x\")] impl f"),
            "{out}"
        );
        assert!(call.contains("tracing :: instrument"), "{out}");
        assert!(call.contains("# ! [allow (unused)]"), "{out}");
        assert_eq!(out.matches("Docs").count(), 1, "{out}");
        assert_eq!(out.matches("cfg").count(), 3, "{out}");
    }

    #[test]
    fn errors_come_with_the_fallback() {
        let out = expand_str(
            quote!(flavor = "x"),
            quote!(
                async fn f(e: Event<A>, polyn::State(s): State<S>) -> u8 {
                    1
                }
            ),
        );
        assert!(out.contains("compile_error !"), "{out}");
        assert!(out.contains("unknown option `flavor`"), "{out}");
        assert!(
            out.contains("impl f { # [doc = r\" The handler function itself"),
            "{out}"
        );
        assert!(
            has(
                &out,
                quote!(
                    async fn call(e: Event<A>, polyn::State(s): State<S>) -> u8 {
                        1
                    }
                )
            ),
            "{out}"
        );
        assert!(
            has(&out, quote!(impl __polyn::__private::Handler<S> for f)),
            "{out}"
        );
        assert!(
            has(
                &out,
                quote!(
                    fn bind(
                        &self,
                        _: __polyn::__private::Binder<S>,
                    ) -> __polyn::__private::BoxFuture<
                        'static,
                        ::core::result::Result<
                            __polyn::__private::Bound,
                            __polyn::__private::Error,
                        >,
                    > {
                        ::core::unreachable!()
                    }
                )
            ),
            "{out}"
        );
        assert_eq!(out.matches("unreachable").count(), 2, "{out}");
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    }

    #[test]
    fn every_error_is_reported() {
        let out = expand_str(
            quote!(flavor = "x", batch = 0),
            quote!(
                fn f<T>(e: Event<T>, x: u8) {}
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 5, "{out}");
    }

    #[test]
    fn a_method_is_given_back_as_it_was() {
        let item = quote!(
            async fn f(&self, e: Event<A>) {}
        );
        let out = expand_str(quote!(), item.clone());
        assert!(out.starts_with(&squash(item)), "{out}");
        assert!(!out.contains("struct"), "{out}");
    }

    #[test]
    fn something_else_than_a_function() {
        let out = expand(
            quote!(),
            quote!(
                struct S;
            ),
            folders(),
        )
        .to_string();
        assert!(out.starts_with("struct S ;"), "{out}");
        assert!(out.contains("goes on an `async fn`"), "{out}");
    }

    #[test]
    fn event_and_typed_events_do_not_mix() {
        let out = expand_str(
            quote!(event = "user.created.v1"),
            quote!(
                async fn f(e: Event<A>) {}
            ),
        );
        assert!(out.contains("names the event of an untyped"), "{out}");
        let out = expand_str(
            quote!(),
            quote!(
                async fn f(e: Event) {}
            ),
        );
        assert!(out.contains("needs the event's name"), "{out}");
    }

    #[test]
    fn schema_folder_problems_point_at_the_right_option() {
        let out = expand_str(
            quote!(event = "user.created.v1", schemas = "nowhere"),
            quote!(
                async fn f(e: Event) {}
            ),
        );
        assert!(out.contains("schemas folder `"), "{out}");
        let lonely = std::env::temp_dir().join(format!("polyn-macros-none-{}", std::process::id()));
        std::fs::create_dir_all(&lonely).expect("mkdir");
        let out = expand(
            quote!(event = "user.created.v1", schemas = "."),
            quote!(
                async fn f(e: Event) {}
            ),
            Folders {
                manifest_dir: Some(&lonely),
                compiled: None,
            },
        )
        .to_string();
        // A folder without the schema: the error names the event.
        assert!(out.contains("no schema named `user.created.v1`"), "{out}");
        std::fs::remove_dir_all(&lonely).expect("cleanup");
    }
}
