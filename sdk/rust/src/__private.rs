//! What `#[ion::app]` expands to calls into: the WIT bindings, the `App` trait an app
//! implements, and the conversions between WIT types and SDK types. Not a public API.

pub use wit_bindgen;

#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "ion:host/ion-app",
        pub_export_macro: true,
        export_macro_name: "__export_ion_app",
        default_bindings_module: "::ion::__private::bindings",
        runtime_path: "::ion::__private::wit_bindgen::rt",
    });
}

use crate::{Arg, Context, Db, Edn, Error, Request, Response};
use bindings::exports::ion::host as ex;
use bindings::ion::host::types as wt;

pub use wt::FnKind;

/// One exported function, as `describe` reports it.
pub struct FnDecl {
    pub name: &'static str,
    pub kind: FnKind,
    pub doc: Option<&'static str>,
}

/// Implemented by the type `#[ion::app]` generates; each method answers `None` for a name
/// the app does not define.
pub trait App {
    fn fns() -> Vec<FnDecl>;
    fn init() -> Result<(), Error>;
    fn lambda(name: &str, input: &str, ctx: &Context) -> Option<Result<Vec<u8>, Error>>;
    fn web(name: &str, request: &Request) -> Option<Result<Response, Error>>;
    fn tx_fn(name: &str, db: &Db<'_>, args: &[Edn]) -> Option<Result<Edn, Error>>;
    fn query_fn(name: &str, args: &[Arg<'_>]) -> Option<Result<Edn, Error>>;
    fn xform(name: &str, value: Edn) -> Option<Result<Edn, Error>>;
}

fn not_found(kind: &str, name: &str) -> wt::IonError {
    to_wit(Error::not_found(format!(
        "this component defines no {kind} named {name}"
    )))
}

/// Converts an SDK error to the WIT record.
pub fn to_wit(e: Error) -> wt::IonError {
    use crate::Category as C;
    let category = match e.category {
        C::Incorrect => wt::Category::Incorrect,
        C::Forbidden => wt::Category::Forbidden,
        C::NotFound => wt::Category::NotFound,
        C::Conflict => wt::Category::Conflict,
        C::Fault => wt::Category::Fault,
        C::Unavailable => wt::Category::Unavailable,
        C::Busy => wt::Category::Busy,
        C::Interrupted => wt::Category::Interrupted,
        C::Unsupported => wt::Category::Unsupported,
    };
    let data = (!e.data.is_empty()).then(|| ion_edn::print(&Edn::Map(e.data)));
    wt::IonError {
        category,
        message: e.message,
        data,
    }
}

/// Converts a WIT error (from a host call) to an SDK error.
pub fn from_wit(e: wt::IonError) -> Error {
    use crate::Category as C;
    let category = match e.category {
        wt::Category::Incorrect => C::Incorrect,
        wt::Category::Forbidden => C::Forbidden,
        wt::Category::NotFound => C::NotFound,
        wt::Category::Conflict => C::Conflict,
        wt::Category::Fault => C::Fault,
        wt::Category::Unavailable => C::Unavailable,
        wt::Category::Busy => C::Busy,
        wt::Category::Interrupted => C::Interrupted,
        wt::Category::Unsupported => C::Unsupported,
    };
    let data = match e.data.as_deref().map(ion_edn::read).as_ref() {
        Some(Ok(Edn::Map(m))) => m.clone(),
        _ => Default::default(),
    };
    Error {
        category,
        message: e.message,
        data,
    }
}

/// Reads EDN the host sent; a malformed value is the caller's mistake.
pub fn read_arg(text: &str, what: &str) -> Result<Edn, wt::IonError> {
    ion_edn::read(text)
        .map_err(|e| to_wit(Error::incorrect(format!("{what} is not valid EDN: {e}"))))
}

impl<T: App> ex::describe::Guest for T {
    fn describe() -> wt::AppDescription {
        let fns = T::fns()
            .into_iter()
            .map(|f| wt::FnDecl {
                name: f.name.into(),
                kind: f.kind,
                doc: f.doc.map(Into::into),
            })
            .collect();
        wt::AppDescription {
            sdk: crate::SDK.into(),
            fns,
        }
    }
}

impl<T: App> ex::lifecycle::Guest for T {
    fn init() -> Result<(), wt::IonError> {
        T::init().map_err(to_wit)
    }
}

impl<T: App> ex::lambda::Guest for T {
    fn handle(
        name: String,
        input: String,
        context: ex::lambda::Context,
    ) -> Result<Vec<u8>, wt::IonError> {
        let ctx = Context::from_wit(context);
        T::lambda(&name, &input, &ctx)
            .ok_or_else(|| not_found("lambda", &name))?
            .map_err(to_wit)
    }
}

impl<T: App> ex::web::Guest for T {
    fn handle(name: String, request: ex::web::Request) -> Result<ex::web::Response, wt::IonError> {
        let request = Request::from_wit(request);
        let response = T::web(&name, &request)
            .ok_or_else(|| not_found("web ion", &name))?
            .map_err(to_wit)?;
        Ok(response.into_wit())
    }
}

impl<T: App> ex::tx_fn::Guest for T {
    fn call(
        name: String,
        db: &bindings::ion::host::db::Database,
        args: Vec<String>,
    ) -> Result<String, wt::IonError> {
        let args = args
            .iter()
            .enumerate()
            .map(|(i, a)| read_arg(a, &format!("argument {i}")))
            .collect::<Result<Vec<_>, _>>()?;
        let db = Db::borrowed(db);
        let tx = T::tx_fn(&name, &db, &args)
            .ok_or_else(|| not_found("transaction function", &name))?
            .map_err(to_wit)?;
        Ok(ion_edn::print(&tx))
    }
}

impl<T: App> ex::query_fn::Guest for T {
    fn call(
        name: String,
        args: Vec<bindings::ion::host::db::FnArg>,
    ) -> Result<String, wt::IonError> {
        let args = args
            .into_iter()
            .enumerate()
            .map(|(i, a)| Arg::from_wit(a, i))
            .collect::<Result<Vec<_>, _>>()?;
        let value = T::query_fn(&name, &args)
            .ok_or_else(|| not_found("query function", &name))?
            .map_err(to_wit)?;
        Ok(ion_edn::print(&value))
    }
}

impl<T: App> ex::query_fn_batch::Guest for T {
    fn call_batch(name: String, rows: Vec<Vec<String>>) -> Result<Vec<String>, wt::IonError> {
        rows.iter()
            .map(|row| {
                let args = row
                    .iter()
                    .enumerate()
                    .map(|(i, a)| read_arg(a, &format!("argument {i}")).map(Arg::Value))
                    .collect::<Result<Vec<_>, _>>()?;
                let value = T::query_fn(&name, &args)
                    .ok_or_else(|| not_found("query function", &name))?
                    .map_err(to_wit)?;
                Ok(ion_edn::print(&value))
            })
            .collect()
    }
}

impl<T: App> ex::xform::Guest for T {
    fn call(name: String, value: String) -> Result<String, wt::IonError> {
        let value = read_arg(&value, "the xform's value")?;
        let out = T::xform(&name, value)
            .ok_or_else(|| not_found("xform", &name))?
            .map_err(to_wit)?;
        Ok(ion_edn::print(&out))
    }
}

/// What a lambda may return: bytes or text.
pub trait LambdaOutput {
    fn into_bytes(self) -> Vec<u8>;
}
impl LambdaOutput for Vec<u8> {
    fn into_bytes(self) -> Vec<u8> {
        self
    }
}
impl LambdaOutput for String {
    fn into_bytes(self) -> Vec<u8> {
        self.into_bytes()
    }
}
impl LambdaOutput for &str {
    fn into_bytes(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl LambdaOutput for serde_json::Value {
    fn into_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

/// What a query function, transaction function or xform may return: anything that is
/// EDN data.
pub trait IntoEdn {
    fn into_edn(self) -> Edn;
}
impl IntoEdn for Edn {
    fn into_edn(self) -> Edn {
        self
    }
}
impl IntoEdn for bool {
    fn into_edn(self) -> Edn {
        Edn::Bool(self)
    }
}
impl IntoEdn for i64 {
    fn into_edn(self) -> Edn {
        Edn::Int(self)
    }
}
impl IntoEdn for f64 {
    fn into_edn(self) -> Edn {
        Edn::Double(self.into())
    }
}
impl IntoEdn for String {
    fn into_edn(self) -> Edn {
        Edn::Str(self.into())
    }
}
impl IntoEdn for Vec<Edn> {
    fn into_edn(self) -> Edn {
        Edn::Vector(self)
    }
}
impl<T: IntoEdn> IntoEdn for Option<T> {
    fn into_edn(self) -> Edn {
        self.map_or(Edn::Nil, IntoEdn::into_edn)
    }
}

/// Adapts a lambda's return value.
pub fn lambda_out<T: LambdaOutput, E: Into<Error>>(r: Result<T, E>) -> Result<Vec<u8>, Error> {
    r.map(LambdaOutput::into_bytes).map_err(Into::into)
}

/// Adapts an EDN-returning ion's return value.
pub fn edn_out<T: IntoEdn, E: Into<Error>>(r: Result<T, E>) -> Result<Edn, Error> {
    r.map(IntoEdn::into_edn).map_err(Into::into)
}

/// Adapts a web ion's return value.
pub fn web_out<E: Into<Error>>(r: Result<Response, E>) -> Result<Response, Error> {
    r.map_err(Into::into)
}

/// Query functions take either plain values (`&[Edn]`) or arguments that may be databases
/// (`&[Arg]`); this picks the call by the function's signature.
pub trait QueryHandler<Marker> {
    fn call_with(self, args: &[Arg<'_>]) -> Result<Edn, Error>;
}

/// Marker: the function takes `&[Edn]`.
pub struct PlainArgs;
/// Marker: the function takes `&[Arg]`.
pub struct DbArgs;

impl<F, T, E> QueryHandler<(PlainArgs, T, E)> for F
where
    F: FnOnce(&[Edn]) -> Result<T, E>,
    T: IntoEdn,
    E: Into<Error>,
{
    fn call_with(self, args: &[Arg<'_>]) -> Result<Edn, Error> {
        let values = args
            .iter()
            .enumerate()
            .map(|(i, a)| match a {
                Arg::Value(v) => Ok(v.clone()),
                Arg::Db(_) => Err(Error::incorrect(format!(
                    "argument {i} is a database; this query function takes values only"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        edn_out(self(&values))
    }
}

impl<F, T, E> QueryHandler<(DbArgs, T, E)> for F
where
    F: FnOnce(&[Arg<'_>]) -> Result<T, E>,
    T: IntoEdn,
    E: Into<Error>,
{
    fn call_with(self, args: &[Arg<'_>]) -> Result<Edn, Error> {
        edn_out(self(args))
    }
}

/// Calls a query function by its signature.
pub fn query_call<M, F: QueryHandler<M>>(f: F, args: &[Arg<'_>]) -> Result<Edn, Error> {
    f.call_with(args)
}
