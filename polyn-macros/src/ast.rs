//! What a handler function takes and returns, checked for the shapes Polyn
//! can call: an `async fn` with no generics and no `self`, taking one
//! `Event`, and at most one `Context` and one `State<S>`, in any order; and
//! whether it answers requests, by its return type.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, GenericArgument, ItemFn, Pat, PathArguments, ReturnType, Safety, Type, TypePath};

use crate::errors::Errors;

const ARGUMENTS: &str =
    "a handler takes `polyn::Event<T>`, and optionally `polyn::Context` and `polyn::State<S>`";

/// What Polyn passes for one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArgKind {
    /// The event (typed or dynamic).
    Event,
    /// The delivery's `polyn::Context`.
    Context,
    /// `polyn::State(state)`.
    State,
    /// Not something Polyn can pass (already reported).
    Unsupported,
}

/// One argument of the handler.
#[derive(Debug)]
pub(crate) struct Arg {
    pub(crate) kind: ArgKind,
    /// The span of the argument's type, where type errors should point.
    pub(crate) span: Span,
}

/// The event argument.
#[derive(Debug)]
pub(crate) struct EventArg {
    /// `T` of `Event<T>`; `None` for a dynamic `Event` / `Event<Value>`.
    pub(crate) data: Option<Type>,
    /// The whole argument type, where errors about the event point.
    pub(crate) ty: Type,
}

/// A handler function, as far as it could be understood.
#[derive(Debug)]
pub(crate) struct Handler {
    pub(crate) args: Vec<Arg>,
    pub(crate) event: Option<EventArg>,
    /// `S` of `State<S>`.
    pub(crate) state: Option<Type>,
    /// `Reply` of a `Result<Reply, E>` return type: the handler answers
    /// requests with it (see [`reply_type`]).
    pub(crate) reply: Option<Type>,
    /// Whether a failed expansion must give back the function as it was,
    /// rather than the fallback handler: a function with `self` is a method,
    /// where no struct can be declared.
    pub(crate) keep_original: bool,
}

/// Analyses `function`, adding every problem to `errors`.
pub(crate) fn analyse(function: &ItemFn, errors: &mut Errors) -> Handler {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span,
            "the `async` keyword is missing: a Polyn handler is an `async fn`",
        ));
    }
    if let Safety::Unsafe(unsafe_token) = &sig.safety {
        errors.push(syn::Error::new(
            unsafe_token.span,
            "a Polyn handler cannot be `unsafe`",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a Polyn handler cannot have an `extern` ABI",
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &sig.generics,
            "a Polyn handler cannot be generic: it is called with one concrete event type \
             (and state type)",
        ));
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            "a Polyn handler cannot have a `where` clause",
        ));
    }
    let mut handler = Handler {
        args: Vec::new(),
        event: None,
        state: None,
        reply: match &sig.output {
            ReturnType::Type(_, ty) => reply_type(ty).cloned(),
            ReturnType::Default => None,
        },
        keep_original: false,
    };
    let mut context_seen = false;
    for input in &sig.inputs {
        let pat_type = match input {
            FnArg::Receiver(receiver) => {
                handler.keep_original = true;
                errors.push(syn::Error::new_spanned(
                    receiver,
                    "a Polyn handler cannot take `self`: write it as a free `async fn`, and \
                     give it shared data with a `polyn::State<S>` argument",
                ));
                continue;
            }
            FnArg::Typed(pat_type) => pat_type,
        };
        if let Pat::Ident(pat) = &*pat_type.pat
            && pat.ident == sig.ident
        {
            handler.keep_original = true;
            errors.push(syn::Error::new_spanned(
                &pat.ident,
                format!(
                    "this argument has the name of its handler: `{}` becomes a unit struct, \
                     which the argument cannot shadow; rename one of them",
                    sig.ident
                ),
            ));
        }
        let ty = &*pat_type.ty;
        let span = ty.span();
        let kind = match classify(ty) {
            Ok(Kind::Event(data)) => {
                if handler.event.is_some() {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        "a handler takes one event: this is a second `Event` argument",
                    ));
                    ArgKind::Unsupported
                } else {
                    handler.event = Some(EventArg {
                        data,
                        ty: ty.clone(),
                    });
                    ArgKind::Event
                }
            }
            Ok(Kind::Context) => {
                if context_seen {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        "a handler takes at most one `Context`: this is a second one",
                    ));
                    ArgKind::Unsupported
                } else {
                    context_seen = true;
                    ArgKind::Context
                }
            }
            Ok(Kind::State(state)) => {
                if handler.state.is_some() {
                    errors.push(syn::Error::new_spanned(
                        ty,
                        "a handler takes at most one `State`: put everything it needs in one \
                         state type",
                    ));
                    ArgKind::Unsupported
                } else {
                    handler.state = Some(state);
                    ArgKind::State
                }
            }
            Err(error) => {
                errors.push(error);
                ArgKind::Unsupported
            }
        };
        handler.args.push(Arg { kind, span });
    }
    if handler.event.is_none() && !handler.args.iter().any(|a| a.kind == ArgKind::Unsupported) {
        errors.push(syn::Error::new(
            sig.paren_token.span.join(),
            "a handler takes the event it handles: add an argument `event: polyn::Event<T>`",
        ));
    }
    handler
}

/// The return type, or `()`'s span (the function name) when there is none.
pub(crate) fn output_span(function: &ItemFn) -> Span {
    match &function.sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => function.sig.ident.span(),
    }
}

/// The reply type of a request handler: `Reply` when `output` is
/// `Result<Reply, E>` (or an alias with one argument, `Result<Reply>`), and
/// `Reply` is neither `()` nor `Outcome`, which are the outcomes of an event
/// handler. Recognised by the last path segments, `Result` and `Outcome`.
pub(crate) fn reply_type(output: &Type) -> Option<&Type> {
    let (ok, _) = result_types(output)?;
    let is_unit = matches!(ungroup(ok), Type::Tuple(tuple) if tuple.elems.is_empty());
    let is_outcome = last_segment(ok).is_some_and(|last| last.ident == "Outcome");
    (!is_unit && !is_outcome).then_some(ok)
}

/// `E` of a `Result<T, E>` return type.
pub(crate) fn error_type(function: &ItemFn) -> Option<&Type> {
    match &function.sig.output {
        ReturnType::Type(_, ty) => result_types(ty)?.1,
        ReturnType::Default => None,
    }
}

/// `T` and `E` of `Result<T, E>`; `T` alone of an alias `Result<T>`.
fn result_types(output: &Type) -> Option<(&Type, Option<&Type>)> {
    let last = last_segment(output)?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(angle) = &last.arguments else {
        return None;
    };
    let mut types = angle.args.iter().map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match (types.next(), types.next(), types.next()) {
        (Some(Some(ok)), None, None) => Some((ok, None)),
        (Some(Some(ok)), Some(Some(error)), None) => Some((ok, Some(error))),
        _ => None,
    }
}

/// `ty` without invisible groups and parentheses.
fn ungroup(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => ungroup(&group.elem),
        Type::Paren(paren) => ungroup(&paren.elem),
        other => other,
    }
}

/// The last segment of a plain path type.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ungroup(ty) {
        Type::Path(TypePath {
            qself: None, path, ..
        }) => path.segments.last(),
        _ => None,
    }
}

enum Kind {
    Event(Option<Type>),
    Context,
    State(Type),
}

/// What an argument type is, by the last segment of its path.
fn classify(ty: &Type) -> syn::Result<Kind> {
    let unsupported =
        || syn::Error::new_spanned(ty, format!("unsupported argument type: {ARGUMENTS}"));
    let path = match ty {
        Type::Group(group) => return classify(&group.elem),
        Type::Paren(paren) => return classify(&paren.elem),
        Type::Reference(reference) => {
            return Err(if classify(&reference.elem).is_ok() {
                syn::Error::new_spanned(ty, "handler arguments are passed by value: remove the `&`")
            } else {
                unsupported()
            });
        }
        Type::Path(TypePath {
            qself: None, path, ..
        }) => path,
        _ => return Err(unsupported()),
    };
    let Some(last) = path.segments.last() else {
        return Err(unsupported());
    };
    let arguments = match &last.arguments {
        PathArguments::None => Vec::new(),
        PathArguments::AngleBracketed(angle) => angle.args.iter().collect(),
        PathArguments::Parenthesized(_) => return Err(unsupported()),
    };
    let single_type = || match arguments.as_slice() {
        [GenericArgument::Type(ty)] => Some(ty.clone()),
        _ => None,
    };
    if last.ident == "Event" {
        if arguments.is_empty() {
            return Ok(Kind::Event(None));
        }
        let data = single_type().ok_or_else(|| {
            syn::Error::new_spanned(ty, "expected `Event<T>`, with one event type `T`")
        })?;
        Ok(Kind::Event((!is_value(&data)).then_some(data)))
    } else if last.ident == "Context" {
        if !arguments.is_empty() {
            return Err(syn::Error::new_spanned(
                ty,
                "`polyn::Context` takes no type argument",
            ));
        }
        Ok(Kind::Context)
    } else if last.ident == "State" {
        let state = single_type().ok_or_else(|| {
            syn::Error::new_spanned(ty, "`State` needs the state type: `polyn::State<S>`")
        })?;
        Ok(Kind::State(state))
    } else {
        Err(unsupported())
    }
}

/// `Value` or `serde_json::Value`: the payload of a dynamic event.
fn is_value(ty: &Type) -> bool {
    match ty {
        Type::Group(group) => is_value(&group.elem),
        Type::Path(TypePath {
            qself: None, path, ..
        }) => path.segments.last().is_some_and(|last| {
            last.ident == "Value" && matches!(last.arguments, PathArguments::None)
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use quote::{ToTokens, quote};

    use super::*;

    fn analyse_ok(function: proc_macro2::TokenStream) -> Handler {
        let function: ItemFn = syn::parse2(function).expect("a function");
        let mut errors = Errors::default();
        let handler = analyse(&function, &mut errors);
        if let Some(error) = errors.finish() {
            panic!("unexpected error: {error}");
        }
        handler
    }

    fn analyse_err(function: proc_macro2::TokenStream) -> (Vec<String>, Handler) {
        let function: ItemFn = syn::parse2(function).expect("a function");
        let mut errors = Errors::default();
        let handler = analyse(&function, &mut errors);
        let messages = errors
            .finish()
            .expect("an error")
            .into_iter()
            .map(|error| error.to_string())
            .collect();
        (messages, handler)
    }

    fn kinds(handler: &Handler) -> Vec<ArgKind> {
        handler.args.iter().map(|arg| arg.kind).collect()
    }

    #[test]
    fn a_typed_handler_with_everything() {
        let handler = analyse_ok(quote! {
            async fn on_widget(
                polyn::State(db): polyn::State<Db>,
                event: polyn::Event<events::WidgetsCreatedV1>,
                ctx: Context,
            ) -> Result<(), Error> {}
        });
        assert_eq!(
            kinds(&handler),
            [ArgKind::State, ArgKind::Event, ArgKind::Context]
        );
        let data = handler.event.expect("event").data.expect("typed");
        assert_eq!(
            data.to_token_stream().to_string(),
            "events :: WidgetsCreatedV1"
        );
        assert_eq!(
            handler.state.expect("state").to_token_stream().to_string(),
            "Db"
        );
        assert!(!handler.keep_original);
    }

    #[test]
    fn dynamic_events() {
        for function in [
            quote!(
                async fn f(event: Event) {}
            ),
            quote!(
                async fn f(event: polyn::Event<Value>) {}
            ),
            quote!(
                async fn f(event: polyn::Event<serde_json::Value>) {}
            ),
        ] {
            let handler = analyse_ok(function);
            assert!(handler.event.expect("event").data.is_none());
            assert!(handler.state.is_none());
        }
    }

    #[test]
    fn the_function_shape() {
        let (errors, _) = analyse_err(quote!(
            fn f(event: Event<T>) {}
        ));
        assert_eq!(
            errors,
            ["the `async` keyword is missing: a Polyn handler is an `async fn`"]
        );
        let (errors, _) = analyse_err(quote!(
            async unsafe fn f(event: Event<T>) {}
        ));
        assert_eq!(errors, ["a Polyn handler cannot be `unsafe`"]);
        let (errors, _) = analyse_err(quote!(
            async extern "C" fn f(event: Event<T>) {}
        ));
        assert_eq!(errors, ["a Polyn handler cannot have an `extern` ABI"]);
        let (errors, _) = analyse_err(quote!(
            async fn f<T>(event: Event<T>) {}
        ));
        assert!(
            errors[0].starts_with("a Polyn handler cannot be generic"),
            "{errors:?}"
        );
        let (errors, _) = analyse_err(quote!(
            async fn f(event: Event<T>)
            where
                T: Copy,
            {
            }
        ));
        assert_eq!(errors, ["a Polyn handler cannot have a `where` clause"]);
    }

    #[test]
    fn self_keeps_the_original_function() {
        let (errors, handler) = analyse_err(quote!(
            async fn f(&self, event: Event<T>) {}
        ));
        assert!(
            errors[0].starts_with("a Polyn handler cannot take `self`"),
            "{errors:?}"
        );
        assert!(handler.keep_original);
    }

    #[test]
    fn an_argument_named_like_the_handler() {
        let (errors, handler) = analyse_err(quote!(
            async fn event(event: Event<T>) {}
        ));
        assert!(
            errors[0].starts_with("this argument has the name of its handler"),
            "{errors:?}"
        );
        assert!(handler.keep_original);
    }

    #[test]
    fn argument_problems() {
        let (errors, _) = analyse_err(quote!(
            async fn f(ctx: Context) {}
        ));
        assert_eq!(
            errors,
            ["a handler takes the event it handles: add an argument `event: polyn::Event<T>`"]
        );
        let (errors, _) = analyse_err(quote!(
            async fn f(a: Event<A>, b: Event<B>) {}
        ));
        assert_eq!(
            errors,
            ["a handler takes one event: this is a second `Event` argument"]
        );
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A>, a: Context, b: Context) {}
        ));
        assert_eq!(
            errors,
            ["a handler takes at most one `Context`: this is a second one"]
        );
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A>, a: State<A>, State(b): State<B>) {}
        ));
        assert!(
            errors[0].starts_with("a handler takes at most one `State`"),
            "{errors:?}"
        );
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A>, db: Db) {}
        ));
        assert_eq!(
            errors,
            [
                "unsupported argument type: a handler takes `polyn::Event<T>`, and optionally \
              `polyn::Context` and `polyn::State<S>`"
            ]
        );
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A>, ctx: &Context) {}
        ));
        assert_eq!(
            errors,
            ["handler arguments are passed by value: remove the `&`"]
        );
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A, B>) {}
        ));
        assert_eq!(errors, ["expected `Event<T>`, with one event type `T`"]);
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A>, s: State) {}
        ));
        assert_eq!(errors, ["`State` needs the state type: `polyn::State<S>`"]);
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A>, c: Context<X>) {}
        ));
        assert_eq!(errors, ["`polyn::Context` takes no type argument"]);
        let (errors, _) = analyse_err(quote!(
            async fn f(e: Event<A>, c: <X as Y>::Context) {}
        ));
        assert!(
            errors[0].starts_with("unsupported argument type"),
            "{errors:?}"
        );
    }

    fn reply_of(output: proc_macro2::TokenStream) -> Option<String> {
        let output: Type = syn::parse2(output).expect("a type");
        reply_type(&output).map(|reply| reply.to_token_stream().to_string())
    }

    #[test]
    fn a_result_with_a_reply_makes_a_request_handler() {
        assert_eq!(
            reply_of(quote!(Result<CalcMultResponseV1, MyError>)).as_deref(),
            Some("CalcMultResponseV1")
        );
        assert_eq!(
            reply_of(quote!(::core::result::Result<events::Reply, String>)).as_deref(),
            Some("events :: Reply")
        );
        assert_eq!(
            reply_of(quote!(anyhow::Result<Reply>)).as_deref(),
            Some("Reply")
        );
        // Not an event type, but a reply all the same: the compiler says so.
        assert_eq!(
            reply_of(quote!(Result<String, E>)).as_deref(),
            Some("String")
        );
    }

    #[test]
    fn outcomes_are_not_replies() {
        for output in [
            quote!(()),
            quote!(Outcome),
            quote!(String),
            quote!(Result<(), E>),
            quote!(Result<((())), E>),
            quote!(std::io::Result<()>),
            quote!(Result<Outcome, E>),
            quote!(Result<polyn::Outcome, E>),
            quote!(Result),
            quote!(Result<A, B, C>),
            quote!(Result<'a, E>),
            quote!(<X as Y>::Result<A, E>),
            quote!(Option<Reply>),
        ] {
            assert_eq!(reply_of(output.clone()), None, "{output}");
        }
    }

    #[test]
    fn the_error_type() {
        let error_of = |function: proc_macro2::TokenStream| {
            let function: ItemFn = syn::parse2(function).expect("a function");
            error_type(&function).map(|error| error.to_token_stream().to_string())
        };
        assert_eq!(
            error_of(quote!(
                async fn f(e: Event<A>) -> Result<Reply, my::Error> {}
            ))
            .as_deref(),
            Some("my :: Error")
        );
        assert_eq!(
            error_of(quote!(
                async fn f(e: Event<A>) -> anyhow::Result<Reply> {}
            )),
            None
        );
        assert_eq!(
            error_of(quote!(
                async fn f(e: Event<A>) {}
            )),
            None
        );
    }

    #[test]
    fn the_reply_is_found_by_analyse() {
        let handler = analyse_ok(quote!(
            async fn f(e: Event<CalcMultRequestV1>, ctx: Context) -> Result<CalcMultResponseV1, E> {
            }
        ));
        assert_eq!(
            handler.reply.expect("reply").to_token_stream().to_string(),
            "CalcMultResponseV1"
        );
        for function in [
            quote!(
                async fn f(e: Event<A>) {}
            ),
            quote!(
                async fn f(e: Event<A>) -> Result<(), E> {}
            ),
        ] {
            assert!(analyse_ok(function).reply.is_none());
        }
    }

    #[test]
    fn every_problem_is_reported_once() {
        let (errors, _) = analyse_err(quote!(
            fn f<T>(db: Db) {}
        ));
        assert_eq!(errors.len(), 3, "{errors:?}");
    }
}
