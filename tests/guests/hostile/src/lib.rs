//! Misbehaving ions for the host's tests: each shows one way an ion can fail, and the
//! host must contain it to that one call.

#[ion::app(namespace = "hostile")]
mod hostile {
    use ion::edn::read;
    use ion::{Context, Edn, Error, Request, Response};

    /// Fails the app's start-up when the environment map says `{:fail-init true}`, and
    /// panics in it with `{:panic-init true}`.
    #[ion::init]
    pub fn init() -> Result<(), Error> {
        if let Some(Edn::Bool(true)) = ion::edn::get(&ion::get_env(), "panic-init") {
            panic!("init boom");
        }
        match ion::edn::get(&ion::get_env(), "fail-init") {
            Some(Edn::Bool(true)) => Err(Error::fault("init refused: the environment map asks for :fail-init")),
            _ => Ok(()),
        }
    }

    #[ion::lambda]
    pub fn ok(_input: &str, _ctx: &Context) -> Result<String, Error> {
        Ok("ok".into())
    }

    #[ion::lambda]
    pub fn panic(_input: &str, _ctx: &Context) -> Result<String, Error> {
        panic!("boom")
    }

    #[ion::lambda]
    pub fn spin(_input: &str, _ctx: &Context) -> Result<String, Error> {
        let mut n: u64 = 0;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }

    #[ion::lambda]
    pub fn hog(_input: &str, _ctx: &Context) -> Result<String, Error> {
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        loop {
            blocks.push(vec![1u8; 1 << 20]);
            std::hint::black_box(&blocks);
        }
    }

    #[ion::lambda]
    pub fn recurse(input: &str, _ctx: &Context) -> Result<String, Error> {
        #[allow(unconditional_recursion)]
        fn deeper(n: u64, pad: [u8; 256]) -> u64 {
            std::hint::black_box(pad);
            deeper(n + 1, pad) + 1
        }
        Ok(deeper(input.len() as u64, [0; 256]).to_string())
    }

    /// Writes 3 MiB to stdout, past the host's 1 MiB output cap, then answers.
    #[ion::lambda]
    pub fn chatty(_input: &str, _ctx: &Context) -> Result<String, Error> {
        let line = "x".repeat(1023);
        for _ in 0..3 * 1024 {
            println!("{line}");
        }
        Ok("still here".into())
    }

    /// Answers `[env-map app-info]`.
    #[ion::lambda]
    pub fn env(_input: &str, _ctx: &Context) -> Result<String, Error> {
        Ok(ion::edn::print(&Edn::Vector(vec![ion::get_env(), ion::get_app_info()])))
    }

    /// Answers the Lambda context map.
    #[ion::lambda]
    pub fn context(_input: &str, ctx: &Context) -> Result<String, Error> {
        Ok(ion::edn::print(&ctx.to_edn()))
    }

    /// Casts the EDN map in its input (or in a JSON string that is its input) as an event,
    /// or reports the host's refusal.
    #[ion::lambda]
    pub fn cast(input: &str, _ctx: &Context) -> Result<String, Error> {
        let mut map = read(input).map_err(|e| Error::incorrect(e.to_string()))?;
        if let Edn::Str(inner) = &map {
            map = read(inner).map_err(|e| Error::incorrect(e.to_string()))?;
        }
        // A map with :name is a metric, any other an event.
        if ion::edn::get(&map, "name").is_some() {
            ion::cast::metric(&map)?;
        } else {
            ion::cast::event(&map)?;
        }
        Ok("cast".into())
    }

    /// Fails with a conflict carrying data.
    #[ion::lambda]
    pub fn fail(_input: &str, _ctx: &Context) -> Result<String, Error> {
        Err(Error::conflict("the order changed under you").with("hostile/order-id", Edn::Int(42)))
    }

    /// Answers the parameters under the path in its input (a JSON string) as an EDN map.
    #[ion::lambda]
    pub fn params(input: &str, _ctx: &Context) -> Result<String, Error> {
        let path = input.trim().trim_matches('"');
        Ok(params_edn(ion::get_params(path)?))
    }

    /// Answers the app's own parameters (get-app-params) as an EDN map.
    #[ion::lambda]
    pub fn app_params(_input: &str, _ctx: &Context) -> Result<String, Error> {
        Ok(params_edn(ion::get_app_params()?))
    }

    fn params_edn(params: std::collections::BTreeMap<String, String>) -> String {
        let map = params.into_iter().map(|(k, v)| (ion::edn::string(k), ion::edn::string(v))).collect();
        ion::edn::print(&Edn::Map(map))
    }

    /// Connects to the database named by its input, writes a doc entity (and calls the
    /// app's own tx-fn in the same transaction), and reads it back with pull from the
    /// database after: the ion side of the db interface.
    #[ion::lambda]
    pub fn db_roundtrip(input: &str, _ctx: &Context) -> Result<String, Error> {
        let edn = |text: &str| read(text).expect("valid EDN");
        let conn = ion::db::connect(input)?;
        let report = conn.transact(&edn(r#"[{:db/id "d" :db/doc "written by an ion"} [hostile/tx-basis]]"#))?;
        let e = match &report.tempids {
            Edn::Map(m) => m.iter().find(|(k, _)| matches!(k, Edn::Str(s) if s == "d")).map(|(_, v)| v.clone()),
            _ => None,
        }
        .ok_or_else(|| Error::fault("no tempid d in the tx report"))?;
        let pulled = report.db_after.pull(&edn("[:db/doc]"), &e)?;
        let before = report.db_before.pull(&edn("[:db/doc]"), &e)?;
        Ok(format!("{} {} t={}", ion::edn::print(&pulled), ion::edn::print(&before), report.db_after.basis_t()))
    }

    /// A transaction function that fails.
    #[ion::tx_fn(name = "tx-throws")]
    pub fn tx_throws(_db: &ion::Db, _args: &[Edn]) -> Result<Edn, Error> {
        Err(Error::conflict("tx-throws refuses on purpose"))
    }

    /// A transaction function that returns something that is not tx-data.
    #[ion::tx_fn(name = "tx-bad-data")]
    pub fn tx_bad_data(_db: &ion::Db, _args: &[Edn]) -> Result<Edn, Error> {
        Ok(Edn::Str("not tx-data".into()))
    }

    /// A transaction function that calls itself without end.
    #[ion::tx_fn(name = "tx-forever")]
    pub fn tx_forever(_db: &ion::Db, _args: &[Edn]) -> Result<Edn, Error> {
        Ok(read("[[hostile/tx-forever]]").expect("valid EDN"))
    }

    /// Exported, but not in :allow.
    #[ion::tx_fn(name = "tx-hidden")]
    pub fn tx_hidden(_db: &ion::Db, _args: &[Edn]) -> Result<Edn, Error> {
        Ok(read("[]").expect("valid EDN"))
    }

    /// Records the basis of the database it was given (the one before the transaction)
    /// as the transaction's :db/doc.
    #[ion::tx_fn(name = "tx-basis")]
    pub fn tx_basis(db: &ion::Db, _args: &[Edn]) -> Result<Edn, Error> {
        Ok(read(&format!("[[:db/add \"datomic.tx\" :db/doc \"before {}\"]]", db.basis_t())).expect("valid EDN"))
    }

    /// `[0 1 … n-1]`: a query function for a collection binding.
    #[ion::query_fn]
    pub fn range(args: &[Edn]) -> Result<Edn, Error> {
        match args {
            [Edn::Int(n)] if (0..=1000).contains(n) => Ok(Edn::Vector((0..*n).map(Edn::Int).collect())),
            _ => Err(Error::incorrect("range takes a count from 0 to 1000")),
        }
    }

    #[ion::query_fn(name = "truthy?")]
    pub fn truthy(args: &[Edn]) -> Result<Edn, Error> {
        Ok(match args {
            [Edn::Nil] | [Edn::Bool(false)] => Edn::Bool(false),
            [_] => Edn::Bool(true),
            _ => return Err(Error::incorrect("truthy? takes one argument").with("hostile/arity", Edn::Int(args.len() as i64))),
        })
    }


    /// The web ion behind API Gateway, ionized inside the guest.
    #[ion::lambda]
    pub fn ionized(input: &str, _ctx: &Context) -> Result<String, Error> {
        ion::ionize(web, input)
    }

    /// Routes: `/echo` answers the request map, `/bytes` all 256 byte values, `/cookies`
    /// two set-cookie headers, `/sleep?ms=N` waits, `/fail` a conflict, `/panic` panics,
    /// `/status?code=N` an empty response with that status.
    #[ion::web]
    pub fn web(request: &Request) -> Result<Response, Error> {
        match request.uri.as_str() {
            "/echo" => {
                let mut map = request.to_edn();
                if let (Edn::Map(m), Some(body)) = (&mut map, &request.body) {
                    m.insert(ion::edn::keyword("body-length"), Edn::Int(body.len() as i64));
                }
                Ok(Response::edn(200, &map))
            }
            "/body" => Ok(Response::new(200)
                .header("content-type", request.header("content-type").unwrap_or("application/octet-stream"))
                .body(request.body.clone().unwrap_or_default())),
            "/bytes" => Ok(Response::new(200).header("content-type", "application/octet-stream").body((0..=255u8).collect::<Vec<u8>>())),
            "/cookies" => Ok(Response::text(200, "two cookies").header("set-cookie", "a=1; Path=/").header("set-cookie", "b=2; Path=/")),
            "/sleep" => {
                let ms: u64 = request.query_param("ms").and_then(|m| m.parse().ok()).unwrap_or(100);
                std::thread::sleep(std::time::Duration::from_millis(ms));
                Ok(Response::text(200, format!("slept {ms} ms")))
            }
            "/fail" => Err(Error::conflict("the order changed under you").with("hostile/order-id", Edn::Int(42))),
            "/panic" => panic!("web boom"),
            "/status" => {
                let code = request.query_param("code").and_then(|c| c.parse().ok()).unwrap_or(200);
                Ok(Response::new(code))
            }
            other => Ok(Response::text(404, format!("no route {other}"))),
        }
    }
}
