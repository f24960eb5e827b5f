//! `#[ion::app]`: reads the functions marked `#[ion::lambda]`, `#[ion::web]`,
//! `#[ion::tx_fn]`, `#[ion::query_fn]`, `#[ion::xform]` and `#[ion::init]` inside a
//! module and generates the component's exports: `describe` and a dispatch by name for each
//! kind. Thin on purpose: every conversion lives in `ion::__private`, which the generated
//! code calls.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Item, ItemFn, ItemMod, Lit, Meta, MetaNameValue, Token};

const KINDS: [&str; 6] = ["lambda", "web", "tx_fn", "query_fn", "xform", "init"];

/// Marks a module whose functions are the app's ions. Argument: `namespace = "my.app"`
/// (default: the module's name), which prefixes every function's exported name.
#[proc_macro_attribute]
pub fn app(args: TokenStream, item: TokenStream) -> TokenStream {
    match expand(args.into(), item) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

macro_rules! marker {
    ($($name:ident),*) => {$(
        #[doc = concat!("Marks a function as a `", stringify!($name), "` ion; only valid inside an `#[ion::app]` module.")]
        #[proc_macro_attribute]
        pub fn $name(_args: TokenStream, item: TokenStream) -> TokenStream {
            let mut out: TokenStream2 = syn::Error::new(
                Span::call_site(),
                concat!("#[ion::", stringify!($name), "] must be on a function inside an #[ion::app] module"),
            )
            .to_compile_error();
            out.extend(TokenStream2::from(item));
            out.into()
        }
    )*};
}
marker!(lambda, web, tx_fn, query_fn, xform, init);

struct Ion {
    kind: &'static str,
    ident: syn::Ident,
    name: String,
    doc: Option<String>,
}

fn expand(args: TokenStream2, item: TokenStream) -> syn::Result<TokenStream2> {
    let mut module: ItemMod = syn::parse(item)?;
    let mut namespace = module.ident.to_string().replace('_', "-");
    for meta in Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse2(args)? {
        if meta.path.is_ident("namespace") {
            namespace = string_value(&meta.value)?;
        } else {
            return Err(syn::Error::new_spanned(
                meta.path,
                "unknown argument; expected `namespace = \"my.app\"`",
            ));
        }
    }
    let Some((_, items)) = module.content.as_mut() else {
        return Err(syn::Error::new_spanned(
            &module,
            "#[ion::app] needs an inline module: `mod name { ... }`",
        ));
    };
    let mut ions = Vec::new();
    for item in items.iter_mut() {
        if let Item::Fn(f) = item
            && let Some(ion) = take_marker(f, &namespace)?
        {
            ions.push(ion);
        }
    }
    if ions.iter().filter(|i| i.kind == "init").count() > 1 {
        return Err(syn::Error::new(
            Span::call_site(),
            "an app has at most one #[ion::init] function",
        ));
    }
    let m = &module.ident;
    let decls = ions.iter().filter(|i| i.kind != "init").map(|i| {
        let (name, kind) = (&i.name, kind_variant(i.kind));
        let doc = match &i.doc {
            Some(d) => quote!(Some(#d)),
            None => quote!(None),
        };
        quote!(::ion::__private::FnDecl { name: #name, kind: ::ion::__private::FnKind::#kind, doc: #doc })
    });
    let arms = |kind: &str, call: &dyn Fn(&syn::Ident) -> TokenStream2| -> Vec<TokenStream2> {
        ions.iter()
            .filter(|i| i.kind == kind)
            .map(|i| {
                let (name, body) = (&i.name, call(&i.ident));
                quote!(#name => Some(#body),)
            })
            .collect()
    };
    let lambda = arms(
        "lambda",
        &|f| quote!(::ion::__private::lambda_out(#m::#f(input, ctx))),
    );
    let web = arms(
        "web",
        &|f| quote!(::ion::__private::web_out(#m::#f(request))),
    );
    let tx_fn = arms(
        "tx_fn",
        &|f| quote!(::ion::__private::edn_out(#m::#f(db, args))),
    );
    let query_fn = arms(
        "query_fn",
        &|f| quote!(::ion::__private::query_call(#m::#f, args)),
    );
    let xform = arms(
        "xform",
        &|f| quote!(::ion::__private::edn_out(#m::#f(value))),
    );
    let init = match ions.iter().find(|i| i.kind == "init") {
        Some(i) => {
            let f = &i.ident;
            quote!(#m::#f().map_err(::core::convert::Into::into))
        }
        None => quote!(Ok(())),
    };
    Ok(quote! {
        #module

        #[doc(hidden)]
        pub struct __IonApp;

        #[allow(unused_variables, unreachable_patterns)]
        impl ::ion::__private::App for __IonApp {
            fn fns() -> ::std::vec::Vec<::ion::__private::FnDecl> {
                ::std::vec![#(#decls),*]
            }
            fn init() -> ::core::result::Result<(), ::ion::Error> {
                #init
            }
            fn lambda(name: &str, input: &str, ctx: &::ion::Context) -> Option<::core::result::Result<::std::vec::Vec<u8>, ::ion::Error>> {
                match name { #(#lambda)* _ => None }
            }
            fn web(name: &str, request: &::ion::Request) -> Option<::core::result::Result<::ion::Response, ::ion::Error>> {
                match name { #(#web)* _ => None }
            }
            fn tx_fn(name: &str, db: &::ion::Db<'_>, args: &[::ion::Edn]) -> Option<::core::result::Result<::ion::Edn, ::ion::Error>> {
                match name { #(#tx_fn)* _ => None }
            }
            fn query_fn(name: &str, args: &[::ion::Arg<'_>]) -> Option<::core::result::Result<::ion::Edn, ::ion::Error>> {
                match name { #(#query_fn)* _ => None }
            }
            fn xform(name: &str, value: ::ion::Edn) -> Option<::core::result::Result<::ion::Edn, ::ion::Error>> {
                match name { #(#xform)* _ => None }
            }
        }

        ::ion::__private::bindings::__export_ion_app!(__IonApp with_types_in ::ion::__private::bindings);
    })
}

/// Removes the ion marker from `f`, returning what it declares.
fn take_marker(f: &mut ItemFn, namespace: &str) -> syn::Result<Option<Ion>> {
    let mut found = None;
    let mut kept = Vec::new();
    for attr in f.attrs.drain(..) {
        let last = attr
            .path()
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        match KINDS.iter().find(|k| **k == last) {
            Some(kind) if found.is_none() => found = Some((*kind, attr)),
            Some(_) => {
                return Err(syn::Error::new_spanned(
                    attr,
                    "a function can be only one kind of ion",
                ));
            }
            None => kept.push(attr),
        }
    }
    f.attrs = kept;
    let Some((kind, attr)) = found else {
        return Ok(None);
    };
    let mut local = f.sig.ident.to_string().replace('_', "-");
    if let Meta::List(list) = &attr.meta {
        for meta in
            list.parse_args_with(Punctuated::<MetaNameValue, Token![,]>::parse_terminated)?
        {
            if meta.path.is_ident("name") {
                local = string_value(&meta.value)?;
            } else {
                return Err(syn::Error::new_spanned(
                    meta.path,
                    "unknown argument; expected `name = \"...\"`",
                ));
            }
        }
    }
    let name = if local.contains('/') {
        local
    } else {
        format!("{namespace}/{local}")
    };
    Ok(Some(Ion {
        kind,
        ident: f.sig.ident.clone(),
        name,
        doc: doc_of(&f.attrs),
    }))
}

fn kind_variant(kind: &str) -> syn::Ident {
    let v = match kind {
        "lambda" => "Lambda",
        "web" => "Web",
        "tx_fn" => "TxFn",
        "query_fn" => "QueryFn",
        _ => "Xform",
    };
    syn::Ident::new(v, Span::call_site())
}

fn string_value(e: &Expr) -> syn::Result<String> {
    match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.value()),
        other => Err(syn::Error::new_spanned(other, "expected a string literal")),
    }
}

/// The first line of the function's doc comment.
fn doc_of(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|a| match &a.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => {
            string_value(&nv.value).ok().map(|s| s.trim().to_owned())
        }
        _ => None,
    })
}
