//! Plain `wasi:http/proxy` components as HTTP Direct handlers, so existing wasi:http apps
//! run unchanged. The one place the runtime sees HTTP types: wasi:http is HTTP. Each
//! request gets a fresh instance under the same deadline and limits as any ion, or, with
//! `:instance-reuse`, an instance kept from an earlier request (see `reuse`): the
//! handler's instance goes back to the pool once `handle` returns.

use super::app::{DEFAULT_CALL_TIMEOUT, LoadedApp};
use super::reuse::Keep;
use crate::anomaly::{Category, IonError};
use bytes::Bytes;
use hyper::body::Body;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::Proxy;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;

/// The name `ion-config.edn` gives a wasi:http component's handler:
/// `:http-direct {:handler-fn wasi:http/incoming-handler}`.
pub const WASI_HTTP_HANDLER: &str = "wasi:http/incoming-handler";

impl LoadedApp {
    /// True when the component is a plain wasi:http/proxy component.
    pub fn is_wasi_http(&self) -> bool {
        self.proxy
    }

    /// Serves one HTTP request with the wasi:http component; counted in the metrics up to
    /// the response head.
    pub async fn handle_wasi_http<B>(
        &self,
        req: hyper::Request<B>,
        request_id: &str,
    ) -> Result<hyper::Response<HyperOutgoingBody>, IonError>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        let started = std::time::Instant::now();
        let result = self.handle_wasi_http_unmeasured(req, request_id).await;
        crate::metrics::metrics().call(
            &self.ion_metrics(WASI_HTTP_HANDLER, super::call_kind::CallKind::Http),
            started.elapsed(),
            result.as_ref().err().map(|e| e.category.name()),
            0,
        );
        result
    }

    async fn handle_wasi_http_unmeasured<B>(
        &self,
        req: hyper::Request<B>,
        request_id: &str,
    ) -> Result<hyper::Response<HyperOutgoingBody>, IonError>
    where
        B: Body<Data = Bytes> + Send + 'static,
        B::Error: Into<wasmtime_wasi_http::Error>,
    {
        if !self.proxy {
            return Err(IonError::new(
                Category::NotFound,
                "the component is not a wasi:http component",
            ));
        }
        let pool = self.reuse.clone();
        let (mut live, instance, uses) = self
            .instance_for(
                pool.as_deref().map(Keep::Pool),
                request_id,
                WASI_HTTP_HANDLER,
                DEFAULT_CALL_TIMEOUT,
            )
            .await?;
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let setup = (|| {
            let proxy = Proxy::new(&mut live.store, &instance)?;
            let req = live
                .store
                .data_mut()
                .http()
                .new_incoming_request(Scheme::Http, req)?;
            let out = live.store.data_mut().http().new_response_outparam(sender)?;
            wasmtime::Result::Ok((proxy, req, out))
        })();
        let (proxy, req, out) = setup.map_err(|e| live.error(e))?;
        // The handler runs in its own task: it may go on streaming the body after the
        // response head is sent. Its instance is kept (with reuse) only once it returns.
        let task = tokio::spawn(async move {
            match proxy
                .wasi_http_incoming_handler()
                .call_handle(&mut live.store, req, out)
                .await
            {
                Ok(()) => {
                    if let Some(pool) = &pool {
                        drop(live.log.detach());
                        Keep::Pool(pool).finish(live, instance, uses + 1, None);
                    }
                    Ok(())
                }
                Err(e) => {
                    let (err, why) = live.failure(e);
                    if let Some(pool) = &pool {
                        Keep::Pool(pool).finish(live, instance, uses + 1, Some(why));
                    }
                    Err(err)
                }
            }
        });
        match receiver.await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(code)) => Err(IonError::new(
                Category::Fault,
                format!("{WASI_HTTP_HANDLER} answered with error code {code:?}"),
            )),
            Err(_) => match task.await {
                Ok(Ok(())) => Err(IonError::new(
                    Category::Fault,
                    format!("{WASI_HTTP_HANDLER} returned without setting a response"),
                )),
                Ok(Err(e)) => Err(e),
                Err(e) => Err(IonError::new(
                    Category::Fault,
                    format!("{WASI_HTTP_HANDLER} task failed: {e}"),
                )),
            },
        }
    }
}
