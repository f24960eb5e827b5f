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
        // The name as text (host invoke) or as a JSON string (the Lambda API's payload).
        let conn = ion::db::connect(input.trim().trim_matches('"'))?;
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

    /// Adds one to counter `name` (`:counter/name`, `:counter/value`) as the database
    /// before the transaction has it, once per request id (`:inc/id`): a retried
    /// increment whose first try committed does nothing. The shared-database tests run
    /// it from every node at once.
    #[ion::tx_fn(name = "inc")]
    pub fn inc(db: &ion::Db, args: &[Edn]) -> Result<Edn, Error> {
        let [Edn::Str(name), Edn::Str(id)] = args else {
            return Err(Error::incorrect("inc takes a counter name and a request id"));
        };
        let first = |index: &str, components: String| -> Result<Option<Vec<Edn>>, Error> {
            let request = read(&format!("{{:index :{index} :components [{components}] :limit 1}}")).map_err(|e| Error::fault(e.to_string()))?;
            let datoms = db.datoms(&request)?;
            Ok(match &datoms {
                Edn::Vector(ds) => ds.first().and_then(|d| match d {
                    Edn::Vector(fields) => Some(fields.clone()),
                    _ => None,
                }),
                _ => None,
            })
        };
        if first("avet", format!(":inc/id {}", quote(id)))?.is_some() {
            return Ok(Edn::Vector(Vec::new()));
        }
        let value = match first("avet", format!(":counter/name {}", quote(name)))? {
            Some(d) => match first("eavt", format!("{} :counter/value", ion::edn::print(&d[0])))? {
                Some(v) => match v.get(2) {
                    Some(Edn::Int(n)) => *n,
                    _ => 0,
                },
                None => 0,
            },
            None => 0,
        };
        let text = format!(
            "[{{:counter/name {} :counter/value {}}} {{:inc/id {}}}]",
            quote(name),
            value + 1,
            quote(id)
        );
        read(&text).map_err(|e| Error::fault(e.to_string()))
    }

    /// The shared counter: input `inc ID` commits `[hostile/inc "c" ID]` to database
    /// `shared` and answers `t=T v=V` (the transaction's basis and the counter after
    /// it); input `read` answers the same for the database as this node has it now.
    #[ion::lambda]
    pub fn counter(input: &str, _ctx: &Context) -> Result<String, Error> {
        let input = input.trim().trim_matches('"');
        let conn = ion::db::connect("shared")?;
        let db = match input.split_once(' ') {
            Some(("inc", id)) => {
                let tx = format!("[[hostile/inc \"c\" {}]]", quote(id));
                conn.transact(&read(&tx).map_err(|e| Error::fault(e.to_string()))?)?.db_after
            }
            _ if input == "read" => conn.db(),
            _ => return Err(Error::incorrect(format!("counter takes `inc ID` or `read`, not {input:?}"))),
        };
        Ok(format!("t={} v={}", db.basis_t(), counter_value(&db)?))
    }

    fn quote(text: &str) -> String {
        ion::edn::print(&ion::edn::string(text))
    }

    fn counter_value(db: &ion::Db) -> Result<i64, Error> {
        let pulled = db.pull(&read("[:counter/value]").expect("valid EDN"), &read("[:counter/name \"c\"]").expect("valid EDN"));
        Ok(match &pulled {
            Ok(Edn::Map(m)) => m.values().find_map(|v| if let Edn::Int(n) = v { Some(*n) } else { None }).unwrap_or(0),
            _ => 0,
        })
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

    /// `truthy?` after spinning 50 µs: a query function slow enough per row that no
    /// batching makes 100,000 rows quick.
    #[ion::query_fn(name = "slow-truthy?")]
    pub fn slow_truthy(args: &[Edn]) -> Result<Edn, Error> {
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_micros(50) {
            std::hint::spin_loop();
        }
        truthy(args)
    }

    /// The web ion behind API Gateway, ionized inside the guest.
    #[ion::lambda]
    pub fn ionized(input: &str, _ctx: &Context) -> Result<String, Error> {
        ion::ionize(web, input)
    }

    /// Routes: `/echo` answers the request map, `/bytes` all 256 byte values, `/cookies`
    /// two set-cookie headers, `/sleep?ms=N` waits, `/fail` a conflict, `/panic` panics,
    /// `/status?code=N` an empty response with that status, `/calls` the
    /// instance's call count.
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
            "/deep" => {
                let n: usize = request.query_param("n").and_then(|n| n.parse().ok()).unwrap_or(1000);
                Ok(Response::new(200).header("content-type", "application/edn").body(nested("[", "]", n).into_bytes()))
            }
            "/fail" => Err(Error::conflict("the order changed under you").with("hostile/order-id", Edn::Int(42))),
            "/panic" => panic!("web boom"),
            "/calls" => Ok(Response::text(200, count_call().to_string())),
            "/counter" => {
                let conn = ion::db::connect("shared")?;
                let db = conn.db();
                Ok(Response::text(200, format!("t={} v={}", db.basis_t(), counter_value(&db)?)))
            }
            "/status" => {
                let code = request.query_param("code").and_then(|c| c.parse().ok()).unwrap_or(200);
                Ok(Response::new(code))
            }
            other => Ok(Response::text(404, format!("no route {other}"))),
        }
    }

    /// Casts `{:msg "flood"}` a million times in one call, going on past refusals, and
    /// answers `{:ok n :refused n :first-refusal [category message]}`.
    #[ion::lambda]
    pub fn cast_flood(_input: &str, _ctx: &Context) -> Result<String, Error> {
        use ion::__private::bindings::ion::host::cast;
        Ok(tally((0..1_000_000).map(|_| cast::event(r#"{:msg "flood"}"#))))
    }

    /// Casts one metric under each of 9,000 distinct names (:m/n0 … :m/n8999, or in the
    /// namespace a string input names: `"b7"` casts :b7/n0 …), going on past refusals, and
    /// answers `{:ok n :refused n :first-refusal [category message]}`.
    #[ion::lambda]
    pub fn metric_names(input: &str, _ctx: &Context) -> Result<String, Error> {
        use ion::__private::bindings::ion::host::cast;
        let ns = match input.trim() {
            s if s.starts_with('"') => s.trim_matches('"').to_owned(),
            _ => "m".to_owned(),
        };
        Ok(tally((0..9_000).map(|i| cast::metric(&format!("{{:name :{ns}/n{i} :value 1 :units :count}}")))))
    }

    /// `{:ok n :refused n :first-refusal [category message]}` of raw host calls, printed.
    fn tally(calls: impl Iterator<Item = Result<(), ion::__private::bindings::ion::host::types::IonError>>) -> String {
        let (mut ok, mut refused, mut first) = (0i64, 0i64, Edn::Nil);
        for call in calls {
            match call {
                Ok(()) => ok += 1,
                Err(e) => {
                    refused += 1;
                    if first == Edn::Nil {
                        first = outcome::<()>(Err(e));
                    }
                }
            }
        }
        let map = [("ok", Edn::Int(ok)), ("refused", Edn::Int(refused)), ("first-refusal", first)];
        ion::edn::print(&Edn::Map(map.into_iter().map(|(k, v)| (ion::edn::keyword(k), v)).collect()))
    }

    /// A query that runs far past the call's 1 s: an ion query function that takes 50 µs
    /// on each of 100,000 rows (5 s). Answers `[category message]` of the `q`, printed.
    #[ion::lambda]
    pub fn slow_q(_input: &str, _ctx: &Context) -> Result<String, Error> {
        use ion::__private::bindings::ion::host::db;
        let numbers: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
        let numbers = format!("[{}]", numbers.join(" "));
        let query = "[:find (count ?x) . :in [?x ...] :where [(hostile/slow-truthy? ?x)]]";
        Ok(ion::edn::print(&outcome(db::q(query, &[db::QueryArg::Value(numbers)]))))
    }

    /// `["ok" what]` or `[category message]` for one raw host call.
    fn outcome<T: std::fmt::Debug>(r: Result<T, ion::__private::bindings::ion::host::types::IonError>) -> Edn {
        let (a, b) = match r {
            Ok(v) => ("ok".to_string(), format!("{v:?}")),
            Err(e) => (format!("{:?}", e.category).to_lowercase().replace("category::", ""), e.message),
        };
        Edn::Vector(vec![ion::edn::string(a), ion::edn::string(b)])
    }

    /// Calls host imports with garbage through the raw WIT bindings (what a hostile ion in
    /// any language can send): text that is not EDN, EDN of the wrong shape. Its input is
    /// the name of a scratch database to create. Answers a map of each call to
    /// `[category message]`.
    #[ion::lambda]
    pub fn garbage(input: &str, _ctx: &Context) -> Result<String, Error> {
        use ion::__private::bindings::ion::host::{cast, db};
        let name = input.trim().trim_matches('"');
        db::create_database(name).map_err(|e| Error::fault(e.message))?;
        let conn = db::connect(name).map_err(|e| Error::fault(e.message))?;
        let value = conn.db();
        let mut out = std::collections::BTreeMap::new();
        let mut put = |k: &str, v: Edn| {
            out.insert(ion::edn::keyword(k), v);
        };
        put("cast-not-edn", outcome(cast::event("{:msg \"unclosed")));
        put("cast-not-a-map", outcome(cast::event("[1 2 3]")));
        put("cast-two-forms", outcome(cast::alert("{:msg \"a\"} {:msg \"b\"}")));
        put("metric-bad-name", outcome(cast::metric("{:name \"latency\" :value 1}")));
        put("connect-empty-name", outcome(db::connect("").map(|_| ())));
        put("q-not-edn", outcome(db::q("[:find ?e :where [?e", &[])));
        put("q-not-a-query", outcome(db::q("42", &[])));
        put("q-bad-arg", outcome(db::q("[:find ?x :in ?x]", &[db::QueryArg::Value("#{".into())])));
        put("transact-not-edn", outcome(conn.transact("[[:db/add").map(|_| ())));
        put("transact-not-tx-data", outcome(conn.transact("{:not :a-list}").map(|_| ())));
        put("as-of-garbage", outcome(value.as_of("\"yesterday\"").map(|_| ())));
        put("pull-not-edn", outcome(value.pull("{:selector")));
        put("datoms-bad-index", outcome(value.datoms("{:index :nope}")));
        put("tx-range-not-edn", outcome(conn.tx_range("{:start")));
        Ok(ion::edn::print(&Edn::Map(out)))
    }

    /// `depth` collections inside each other around `1`, as text: `[[[1]]]`, `{:k {:k 1}}`.
    fn nested(open: &str, close: &str, depth: usize) -> String {
        format!("{}1{}", open.repeat(depth), close.repeat(depth))
    }

    /// Hands a value nested `depth` deep to one host import through the raw WIT bindings,
    /// as any language could (the SDK's own reader would refuse it first). Input: EDN
    /// `[via depth db-name]`; answers `[category message]` for the import's answer.
    /// `"result"` answers the nested text itself as this lambda's result.
    #[ion::lambda]
    pub fn deep(input: &str, _ctx: &Context) -> Result<String, Error> {
        use ion::__private::bindings::ion::host::{cast, db};
        let args = read(input)?;
        let (via, depth, name) = match &args {
            Edn::Vector(v) => match v.as_slice() {
                [Edn::Str(via), Edn::Int(depth), Edn::Str(name)] => (via.to_string(), *depth as usize, name.to_string()),
                _ => return Err(Error::incorrect("deep takes [via depth db-name]")),
            },
            _ => return Err(Error::incorrect("deep takes [via depth db-name]")),
        };
        let vector = nested("[", "]", depth);
        if via == "result" {
            return Ok(vector);
        }
        db::create_database(&name).map_err(|e| Error::fault(e.message))?;
        let conn = db::connect(&name).map_err(|e| Error::fault(e.message))?;
        let value = conn.db();
        let answer = match via.as_str() {
            "cast" => outcome(cast::event(&format!("{{:msg \"deep\" :hostile/v {vector}}}"))),
            "metric" => outcome(cast::metric(&format!("{{:name :deep :value 1 :units {vector}}}"))),
            "q-arg" => outcome(db::q(
                "[:find ?y . :in $ ?x :where [(identity ?x) ?y]]",
                &[db::QueryArg::Db(&value), db::QueryArg::Value(vector)],
            )),
            "q-query" => outcome(db::q(&format!("[:find ?y . :where [(ground {vector}) ?y]]"), &[])),
            "q-clauses" => outcome(db::q(
                &format!("[:find ?e :where {}]", nested("(or (and [?e :db/doc \"x\"] ", "))", depth / 2).replace('1', "[?e :db/ident :x]")),
                &[],
            )),
            "q-fn" => outcome(db::q(
                "[:find ?r . :in ?n :where [(hostile/deep-result ?n) ?r]]",
                &[db::QueryArg::Value(depth.to_string())],
            )),
            "tx-fn" => outcome(conn.transact(&format!("[[hostile/tx-deep {depth}]]")).map(|_| ())),
            "transact" => outcome(conn.transact(&format!("[[:db/add \"e\" :db/doc {vector}]]")).map(|_| ())),
            "transact-map" => outcome(conn.transact(&format!("[{}]", nested("{:db/doc \"x\" :hostile/child ", "}", depth))).map(|_| ())),
            "with" => outcome(value.with(&format!("[[:db/add \"e\" :db/doc {vector}]]")).map(|_| ())),
            "pull" => outcome(value.pull(&format!("{{:selector [{}] :eid :db/doc}}", nested("{:db/doc [", "]}", depth / 2).replace('1', ":db/ident")))),
            "datoms" => outcome(value.datoms(&format!("{{:index :eavt :components [{vector}]}}"))),
            "as-of" => outcome(value.as_of(&vector).map(|_| ())),
            other => return Err(Error::incorrect(format!("deep: unknown via {other}"))),
        };
        Ok(ion::edn::print(&answer))
    }

    /// A transaction function that answers tx-data nested as deep as its argument says.
    #[ion::tx_fn(name = "tx-deep")]
    pub fn tx_deep(_db: &ion::Db, args: &[Edn]) -> Result<Edn, Error> {
        match args {
            [Edn::Int(n)] => Ok(Edn::Vector(vec![(0..*n).fold(Edn::Int(1), |inner, _| Edn::Vector(vec![inner]))])),
            _ => Err(Error::incorrect("tx-deep takes a depth")),
        }
    }

    /// A query function that answers a vector nested as deep as its argument says.
    #[ion::query_fn(name = "deep-result")]
    pub fn deep_result(args: &[Edn]) -> Result<Edn, Error> {
        match args {
            [Edn::Int(n)] => Ok((0..*n).fold(Edn::Int(1), |inner, _| Edn::Vector(vec![inner]))),
            _ => Err(Error::incorrect("deep-result takes a depth")),
        }
    }

    /// Calls a database method on a connection handle the host never gave out.
    #[ion::lambda]
    pub fn bad_handle(_input: &str, _ctx: &Context) -> Result<String, Error> {
        use ion::__private::bindings::ion::host::db;
        // SAFETY: deliberately not safe: the handle is forged to see the host refuse it.
        let forged = unsafe { db::Connection::from_handle(0xdead) };
        Ok(forged.db().basis_t().to_string())
    }

    /// Tries to reach past the WIT imports: the file system, the environment, arguments
    /// and the network (its input is the port of a loopback TCP listener). Answers a map
    /// of each attempt to `["allowed" what]` or `["denied" error]`; `:env` and `:args` to
    /// what the ion sees.
    #[ion::lambda]
    pub fn escape(input: &str, _ctx: &Context) -> Result<String, Error> {
        use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
        let port: u16 = input
            .trim()
            .trim_matches('"')
            .parse()
            .map_err(|_| Error::incorrect(format!("escape takes the port of a loopback listener, got {input}")))?;
        fn tried<T>(r: std::io::Result<T>, show: impl FnOnce(T) -> String) -> Edn {
            let (a, b) = match r {
                Ok(v) => ("allowed", show(v)),
                Err(e) => ("denied", format!("{:?}: {e}", e.kind())),
            };
            Edn::Vector(vec![ion::edn::string(a), ion::edn::string(b)])
        }
        let strings = |v: Vec<String>| Edn::Vector(v.into_iter().map(ion::edn::string).collect());
        let map = [
            ("read-dir-root", tried(std::fs::read_dir("/"), |d| format!("{} entries", d.count()))),
            ("read-passwd", tried(std::fs::read("/etc/passwd"), |b| format!("{} bytes", b.len()))),
            ("write-tmp", tried(std::fs::write("/tmp/ion-escape", b"x"), |_| "written".into())),
            ("read-dir-dot", tried(std::fs::read_dir("."), |d| format!("{} entries", d.count()))),
            ("tcp-connect", tried(TcpStream::connect(("127.0.0.1", port)), |s| format!("{:?}", s.peer_addr()))),
            ("tcp-listen", tried(TcpListener::bind("127.0.0.1:0"), |l| format!("{:?}", l.local_addr()))),
            ("udp-send", tried(UdpSocket::bind("127.0.0.1:0").and_then(|u| u.send_to(b"x", ("127.0.0.1", port))), |n| format!("{n} bytes"))),
            ("dns", tried(("localhost", port).to_socket_addrs(), |a| format!("{:?}", a.collect::<Vec<_>>()))),
            ("env", strings(std::env::vars().map(|(k, v)| format!("{k}={v}")).collect())),
            ("args", strings(std::env::args().collect())),
        ];
        Ok(ion::edn::print(&Edn::Map(map.into_iter().map(|(k, v)| (ion::edn::keyword(k), v)).collect())))
    }

    /// Calls this instance has served (a module-level counter), for instance reuse.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

    fn count_call() -> u64 {
        CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    }

    /// Answers how many calls this instance has served, this one included (1 in a fresh
    /// instance), and logs the call's input.
    #[ion::lambda]
    pub fn calls(input: &str, _ctx: &Context) -> Result<String, Error> {
        let n = count_call();
        println!("call {n} input {input}");
        Ok(n.to_string())
    }

    /// A query function answering how many calls its instance has served: the calls of
    /// one query share an instance.
    #[ion::query_fn(name = "instance-calls")]
    pub fn instance_calls(_args: &[Edn]) -> Result<Edn, Error> {
        Ok(Edn::Int(count_call() as i64))
    }
}
