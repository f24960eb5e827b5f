//! Datomic's ion-starter, ported: an echo lambda, the tutorial schema, items by type as a
//! lambda and as a web handler, a transaction function, a query function and an xform.

#[ion::app(namespace = "ion.starter")]
mod starter {
    use ion::edn::{keyword, read, string};
    use ion::{Arg, Context, Db, Edn, Error, Request, Response};

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
        let json: serde_json::Value =
            serde_json::from_str(input).map_err(|e| Error::incorrect(format!("input is not JSON: {e}")))?;
        let Some(item_type) = json.get("type").and_then(|t| t.as_str()) else {
            return Err(Error::incorrect("input needs a \"type\" string, e.g. {\"type\": \"shirt\"}"));
        };
        Ok(ion::edn::print(&items_by_type_query(item_type)?))
    }

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
            _ => Ok(Response::text(404, format!("no route for {} {}", request.request_method, request.uri))),
        }
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

    /// Items of one type, from the tutorial database.
    fn items_by_type_query(item_type: &str) -> Result<Edn, Error> {
        let conn = ion::db::connect(DB_NAME)?;
        let query = read("[:find ?sku ?size ?color :in $ ?type :where [?e :inv/type ?type] [?e :inv/sku ?sku] [?e :inv/size ?size] [?e :inv/color ?color]]")
            .map_err(|e| Error::fault(e.to_string()))?;
        ion::db::q(&query, &[Arg::Db(conn.db()), Arg::Value(keyword(item_type))])
    }
}
