//! Web ions: the reference's Ring-style request and response maps as Rust types.

use crate::__private::bindings::exports::ion::host::web as wit;
use crate::Edn;
use std::collections::BTreeMap;

/// An HTTP request (the reference's web ion input map).
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The verb, lower case: `get`, `post`.
    pub request_method: String,
    /// The path, without the query string.
    pub uri: String,
    /// The query string without `?`.
    pub query_string: Option<String>,
    /// Headers in order, names lower case; repeats kept.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Option<Vec<u8>>,
    /// `HTTP/1.1`.
    pub protocol: String,
    /// The caller's address.
    pub remote_addr: String,
    /// `http` or `https`.
    pub scheme: String,
    /// The host name addressed.
    pub server_name: String,
    /// The port addressed.
    pub server_port: Option<u16>,
    /// Under an API Gateway proxy: the raw event JSON.
    pub api_gateway_json: Option<String>,
    /// Under an API Gateway proxy: the event as EDN.
    pub api_gateway_data: Option<Edn>,
}

impl Request {
    pub(crate) fn from_wit(r: wit::Request) -> Request {
        Request {
            request_method: r.request_method,
            uri: r.uri,
            query_string: r.query_string,
            headers: r.headers,
            body: r.body,
            protocol: r.protocol,
            remote_addr: r.remote_addr,
            scheme: r.scheme,
            server_name: r.server_name,
            server_port: r.server_port,
            api_gateway_json: r.api_gateway_json,
            api_gateway_data: r.api_gateway_data.and_then(|t| ion_edn::read(&t).ok()),
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text (empty when absent; invalid bytes replaced).
    pub fn body_text(&self) -> String {
        self.body
            .as_deref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_string.as_deref()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k) == name).then(|| decode(v))
        })
    }

    /// The request as the reference's map: `{:request-method :get :uri "/" :headers {…} …}`;
    /// repeated headers are joined with ", " as Ring does.
    pub fn to_edn(&self) -> Edn {
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in &self.headers {
            headers
                .entry(k.clone())
                .and_modify(|e| *e = format!("{e}, {v}"))
                .or_insert_with(|| v.clone());
        }
        let mut m = BTreeMap::new();
        let mut put = |k: &str, v: Edn| {
            m.insert(ion_edn::keyword(k), v);
        };
        put("request-method", ion_edn::keyword(&self.request_method));
        put("uri", ion_edn::string(self.uri.clone()));
        if let Some(q) = &self.query_string {
            put("query-string", ion_edn::string(q.clone()));
        }
        put(
            "headers",
            Edn::Map(
                headers
                    .into_iter()
                    .map(|(k, v)| (ion_edn::string(k), ion_edn::string(v)))
                    .collect(),
            ),
        );
        put("protocol", ion_edn::string(self.protocol.clone()));
        put("remote-addr", ion_edn::string(self.remote_addr.clone()));
        put("scheme", ion_edn::keyword(&self.scheme));
        put("server-name", ion_edn::string(self.server_name.clone()));
        if let Some(p) = self.server_port {
            put("server-port", Edn::Int(p.into()));
        }
        if self.body.is_some() {
            put("body", ion_edn::string(self.body_text()));
        }
        Edn::Map(m)
    }
}

/// Decodes `%XX` escapes and `+` (as a space) in a query-string component.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs web handler `handler` as a lambda behind an API Gateway proxy, as Datomic's
/// `datomic.ion.lambda.api-gateway/ionize`: `event` is the API Gateway event (REST API
/// payload 1.0 or HTTP API payload 2.0); the answer is the proxy response JSON. The
/// request carries the raw event in `api_gateway_json` and its EDN in `api_gateway_data`.
///
/// ```ignore
/// #[ion::lambda]
/// pub fn items_by_type_ionize(input: &str, _ctx: &Context) -> Result<String, Error> {
///     ion::ionize(items_by_type, input)
/// }
/// ```
pub fn ionize(
    handler: impl FnOnce(&Request) -> Result<Response, crate::Error>,
    event: &str,
) -> Result<String, crate::Error> {
    let g = ion_apigw::parse_event(event).map_err(|e| crate::Error::incorrect(e.to_string()))?;
    let request = Request {
        request_method: g.method,
        uri: g.path,
        query_string: g.query_string,
        headers: g.headers,
        body: g.body,
        protocol: g.protocol,
        remote_addr: g.remote_addr,
        scheme: g.scheme,
        server_name: g.server_name,
        server_port: g.server_port,
        api_gateway_data: ion_edn::read(&g.data).ok(),
        api_gateway_json: Some(g.json),
    };
    let response = handler(&request)?;
    let response = ion_apigw::GatewayResponse {
        status: response.status,
        headers: response.headers,
        body: response.body,
    };
    Ok(ion_apigw::response_json(g.version, &response))
}

/// An HTTP response (the reference's web ion output map).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Headers; names may repeat (several `set-cookie`).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `text/plain; charset=utf-8` response.
    pub fn text(status: u16, body: impl Into<String>) -> Response {
        Response::new(status)
            .header("content-type", "text/plain; charset=utf-8")
            .body(body.into().into_bytes())
    }

    /// An `application/edn` response.
    pub fn edn(status: u16, body: &Edn) -> Response {
        Response::new(status)
            .header("content-type", "application/edn")
            .body(ion_edn::print(body).into_bytes())
    }

    /// An `application/json` response.
    pub fn json(status: u16, body: &serde_json::Value) -> Response {
        Response::new(status)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
    }

    /// Adds a header (a name may be added more than once).
    pub fn header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    pub(crate) fn into_wit(self) -> wit::Response {
        wit::Response {
            status: self.status,
            headers: self.headers,
            body: self.body,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(query: &str) -> Request {
        Request {
            request_method: "get".into(),
            uri: "/".into(),
            query_string: Some(query.into()),
            headers: vec![("x-a".into(), "1".into()), ("x-a".into(), "2".into())],
            body: None,
            protocol: "HTTP/1.1".into(),
            remote_addr: "127.0.0.1".into(),
            scheme: "http".into(),
            server_name: "localhost".into(),
            server_port: Some(80),
            api_gateway_json: None,
            api_gateway_data: None,
        }
    }

    #[test]
    fn query_params_are_decoded() {
        let r = request("type=dress%20shoe&q=a+b&bad=%zz&t=%");
        assert_eq!(r.query_param("type").as_deref(), Some("dress shoe"));
        assert_eq!(r.query_param("q").as_deref(), Some("a b"));
        assert_eq!(r.query_param("bad").as_deref(), Some("%zz"));
        assert_eq!(r.query_param("t").as_deref(), Some("%"));
        assert_eq!(r.query_param("missing"), None);
    }

    #[test]
    fn the_ring_map_joins_repeated_headers() {
        let edn = ion_edn::print(&request("a=1").to_edn());
        assert!(edn.contains(r#":headers {"x-a" "1, 2"}"#), "{edn}");
        assert!(edn.contains(":request-method :get"), "{edn}");
        assert!(edn.contains(r#":query-string "a=1""#), "{edn}");
    }
}
