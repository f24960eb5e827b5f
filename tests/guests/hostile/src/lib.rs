//! Misbehaving ions for the host's tests: each shows one way an ion can fail, and the
//! host must contain it to that one call.

#[ion::app(namespace = "hostile")]
mod hostile {
    use ion::edn::read;
    use ion::{Context, Edn, Error};

    /// Fails the app's start-up when the environment map says `{:fail-init true}`.
    #[ion::init]
    pub fn init() -> Result<(), Error> {
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

    /// Casts the EDN map in its input as an event, or reports the host's refusal.
    #[ion::lambda]
    pub fn cast(input: &str, _ctx: &Context) -> Result<String, Error> {
        let map = read(input).map_err(|e| Error::incorrect(e.to_string()))?;
        ion::cast::event(&map)?;
        Ok("cast".into())
    }

    /// Fails with a conflict carrying data.
    #[ion::lambda]
    pub fn fail(_input: &str, _ctx: &Context) -> Result<String, Error> {
        Err(Error::conflict("the order changed under you").with("hostile/order-id", Edn::Int(42)))
    }

    #[ion::lambda]
    pub fn params(_input: &str, _ctx: &Context) -> Result<String, Error> {
        let params = ion::get_params("/datomic-shared/test/hostile/")?;
        Ok(format!("{params:?}"))
    }

    #[ion::query_fn(name = "truthy?")]
    pub fn truthy(args: &[Edn]) -> Result<Edn, Error> {
        Ok(match args {
            [Edn::Nil] | [Edn::Bool(false)] => Edn::Bool(false),
            [_] => Edn::Bool(true),
            _ => return Err(Error::incorrect("truthy? takes one argument").with("hostile/arity", Edn::Int(args.len() as i64))),
        })
    }

}
