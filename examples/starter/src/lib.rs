//! Datomic's ion-starter, ported: an echo lambda, the tutorial schema, items by type as a
//! lambda and as a web handler, a transaction function, a query function and an xform.
//!
//! Beyond the tutorial, the starter shows the rest of the SDK (errors of every category,
//! the Lambda context, the request map, env, params, cast, EDN) — the "starter contract"
//! in docs/conformance.md that the Python and JavaScript starters implement too, and that
//! one conformance suite checks in all three languages.

#[ion::app(namespace = "ion.starter")]
mod starter {
    use ion::edn::{keyword, read, string};
    use ion::{Arg, Category, Context, Db, Edn, Error, Request, Response};
    use std::collections::BTreeMap;

    /// The schema of the Datomic docs tutorial's inventory.
    const SCHEMA: &str = r#"[{:db/ident :inv/sku :db/valueType :db.type/string :db/unique :db.unique/identity :db/cardinality :db.cardinality/one}
 {:db/ident :inv/color :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/size :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/type :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :inv/count :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]"#;

    /// The database the tutorial's items live in.
    const DB_NAME: &str = "datomic-docs-tutorial";

    /// Echos input
    #[ion::lambda]
    pub fn echo(input: &str, _ctx: &Context) -> Result<String, Error> {
        Ok(input.to_owned())
    }

    /// returns the schema for the Datomic docs tutorial
    #[ion::lambda]
    pub fn get_schema(_input: &str, _ctx: &Context) -> Result<String, Error> {
        Ok(SCHEMA.to_owned())
    }

    /// Lambda handler that returns items by type: input `{"type": "shirt"}`.
    #[ion::lambda]
    pub fn get_items_by_type(input: &str, _ctx: &Context) -> Result<String, Error> {
        let json = json_input(input)?;
        let Some(item_type) = json.get("type").and_then(|t| t.as_str()) else {
            return Err(Error::incorrect("input needs a \"type\" string, e.g. {\"type\": \"shirt\"}"));
        };
        Ok(ion::edn::print(&items_by_type_query(item_type)?))
    }

    /// Calls this instance has served (see the `/instance` route).
    static INSTANCE_CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    /// The web entry point: `GET /` says hello, `GET /items?type=shirt` lists items.
    #[ion::web]
    pub fn web(request: &Request) -> Result<Response, Error> {
        match (request.request_method.as_str(), request.uri.as_str()) {
            ("get", "/") => Ok(Response::text(200, "Hello from ion.starter")),
            ("get", "/items") => {
                let Some(item_type) = request.query_param("type") else {
                    return Ok(Response::text(400, "missing query parameter: type"));
                };
                Ok(Response::edn(200, &items_by_type_query(&item_type)?))
            }
            ("post", "/echo") => Ok(Response::new(200)
                .header("content-type", request.header("content-type").unwrap_or("application/octet-stream"))
                .body(request.body.clone().unwrap_or_default())),
            ("get", "/request") => Ok(Response::edn(200, &request_edn(request))),
            ("get", "/instance") => {
                // Module state: with :instance-reuse in ion-config.edn an instance serves
                // many calls and this count grows; without it, every call is an instance's
                // first. Keep costly things (parsed config, clients) in statics the same way.
                let calls = INSTANCE_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                Ok(Response::edn(200, &Edn::Map([(keyword("calls"), Edn::Int(calls as i64))].into_iter().collect())))
            }
            ("get", "/env") => Ok(Response::edn(
                200,
                &Edn::Map([(keyword("env"), ion::get_env()), (keyword("app-info"), ion::get_app_info())].into_iter().collect()),
            )),
            ("get", "/params") => {
                let params = match request.query_param("path") {
                    Some(path) => ion::get_params(&path)?,
                    None => ion::get_app_params()?,
                };
                Ok(Response::edn(200, &Edn::Map(params.into_iter().map(|(k, v)| (string(k), string(v))).collect())))
            }
            ("post", "/cast") => {
                let data = read(&request.body_text()).map_err(|e| Error::incorrect(format!("the body is not EDN: {e}")))?;
                match request.query_param("kind").as_deref() {
                    Some("event") => ion::cast::event(&data)?,
                    Some("alert") => ion::cast::alert(&data)?,
                    Some("metric") => ion::cast::metric(&data)?,
                    Some("dev") => ion::cast::dev(&data)?,
                    other => return Err(Error::incorrect(format!("kind must be event, alert, metric or dev; got {other:?}"))),
                }
                Ok(Response::new(204))
            }
            ("get", "/fail") => Err(failure(
                &request.query_param("category").unwrap_or_default(),
                &request.query_param("message").unwrap_or_default(),
            )),
            ("post", "/edn") => {
                let value = read(&request.body_text()).map_err(|e| Error::incorrect(format!("the body is not EDN: {e}")))?;
                Ok(Response::edn(200, &value))
            }
            ("get", "/crash") => panic!("boom"),
            _ => Ok(Response::text(404, format!("no route for {} {}", request.request_method, request.uri))),
        }
    }

    /// Fails with the anomaly category its input names: `{"category": "busy", "message": "…"}`.
    #[ion::lambda]
    pub fn fail(input: &str, _ctx: &Context) -> Result<String, Error> {
        let json = json_input(input)?;
        let text = |key: &str| json.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        Err(failure(&text("category"), &text("message")))
    }

    /// Returns the Lambda context it was given, as JSON.
    #[ion::lambda]
    pub fn context(_input: &str, ctx: &Context) -> Result<String, Error> {
        let edn_text = |v: &Option<Edn>| v.as_ref().map(|v| serde_json::Value::from(ion::edn::print(v)));
        Ok(serde_json::json!({
            "awsRequestId": ctx.aws_request_id,
            "functionName": ctx.function_name,
            "functionVersion": ctx.function_version,
            "invokedFunctionArn": ctx.invoked_function_arn,
            "logGroupName": ctx.log_group_name,
            "logStreamName": ctx.log_stream_name,
            "memoryLimitInMB": ctx.memory_limit_in_mb,
            "deadlineMs": ctx.deadline_ms,
            "remainingTimeInMillis": ctx.remaining_time_in_millis(),
            "identity": edn_text(&ctx.identity),
            "clientContext": edn_text(&ctx.client_context),
        })
        .to_string())
    }

    /// Transaction fn that creates data to make a new item: args sku, size, color, type.
    #[ion::tx_fn]
    pub fn create_item(_db: &Db, args: &[Edn]) -> Result<Edn, Error> {
        let [sku, size, color, item_type] = args else {
            return Err(Error::incorrect(format!("create-item takes sku, size, color and type; got {} arguments", args.len())));
        };
        let as_keyword = |v: &Edn| match v {
            Edn::Str(s) => Ok(keyword(s)),
            Edn::Key(_) => Ok(v.clone()),
            other => Err(Error::incorrect(format!("expected a string or keyword, got {}", ion::edn::print(other)))),
        };
        let item = [
            (keyword("inv/sku"), sku.clone()),
            (keyword("inv/size"), as_keyword(size)?),
            (keyword("inv/color"), as_keyword(color)?),
            (keyword("inv/type"), as_keyword(item_type)?),
        ];
        Ok(Edn::Vector(vec![Edn::Map(item.into_iter().collect())]))
    }

    /// Query fn example: is this item featured? This would be a good place for some clever AI.
    #[ion::query_fn(name = "feature-item?")]
    pub fn feature_item(args: &[Arg]) -> Result<bool, Error> {
        match args.iter().rev().find_map(Arg::value) {
            Some(Edn::Str(sku)) => Ok(sku.ends_with('1')),
            Some(other) => Err(Error::incorrect(format!("feature-item? takes an sku string, got {}", ion::edn::print(other)))),
            None => Err(Error::incorrect("feature-item? takes an sku string")),
        }
    }

    /// Xform: turns a keyword such as `:dress-shoe` into a display name, "Dress shoe".
    #[ion::xform]
    pub fn display_name(value: Edn) -> Result<Edn, Error> {
        match &value {
            Edn::Key(k) => {
                let name = k.rsplit('/').next().unwrap_or_default().replace('-', " ");
                let mut chars = name.chars();
                let first = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
                Ok(string(first + chars.as_str()))
            }
            Edn::Nil => Ok(Edn::Nil),
            other => Err(Error::incorrect(format!("display-name takes a keyword, got {}", ion::edn::print(other)))),
        }
    }

    /// A lambda's input read as JSON; input that is not JSON is `incorrect`.
    fn json_input(input: &str) -> Result<serde_json::Value, Error> {
        serde_json::from_str(input).map_err(|e| Error::incorrect(format!("input is not JSON: {e}")))
    }

    /// An error of the category named (as in the WIT contract), with `message`.
    fn failure(category: &str, message: &str) -> Error {
        match Category::from_name(category) {
            Some(c) => Error::new(c, message).with("ion.starter/category", string(c.name())),
            None => Error::incorrect(format!("unknown category: {category}")),
        }
    }

    /// The request as this SDK sees it, for `GET /request`.
    fn request_edn(request: &Request) -> Edn {
        let opt_str = |v: &Option<String>| v.as_ref().map_or(Edn::Nil, |s| string(s.as_str()));
        let headers = request
            .headers
            .iter()
            .map(|(k, v)| Edn::Vector(vec![string(k.as_str()), string(v.as_str())]))
            .collect();
        let fields: BTreeMap<Edn, Edn> = [
            ("request-method", keyword(&request.request_method)),
            ("uri", string(request.uri.as_str())),
            ("query-string", opt_str(&request.query_string)),
            ("headers", Edn::Vector(headers)),
            ("protocol", string(request.protocol.as_str())),
            ("remote-addr", string(request.remote_addr.as_str())),
            ("scheme", keyword(&request.scheme)),
            ("server-name", string(request.server_name.as_str())),
            ("server-port", request.server_port.map_or(Edn::Nil, |p| Edn::Int(p.into()))),
            ("body-length", Edn::Int(request.body.as_ref().map_or(0, Vec::len) as i64)),
        ]
        .into_iter()
        .map(|(k, v)| (keyword(k), v))
        .collect();
        Edn::Map(fields)
    }

    /// Items of one type, from the tutorial database.
    fn items_by_type_query(item_type: &str) -> Result<Edn, Error> {
        let conn = ion::db::connect(DB_NAME)?;
        let query = read("[:find ?sku ?size ?color :in $ ?type :where [?e :inv/type ?type] [?e :inv/sku ?sku] [?e :inv/size ?size] [?e :inv/color ?color]]")
            .map_err(|e| Error::fault(e.to_string()))?;
        ion::db::q(&query, &[Arg::Db(conn.db()), Arg::Value(keyword(item_type))])
    }
}
