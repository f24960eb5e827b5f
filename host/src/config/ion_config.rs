//! `ion-config.edn`: the app's name, the functions it allows, its lambdas and its HTTP
//! Direct entry point, with the reference's defaults.

use super::error::{ConfigError, Problem};
use super::read::{Reader, join};
use ion_edn::Edn;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// AWS limits a Lambda function name (`{group}-{name}`) to 64 characters.
pub const MAX_LAMBDA_NAME_LEN: usize = 64;
/// AWS Lambda's longest timeout.
const MAX_TIMEOUT_SECS: i64 = 900;

/// A fully qualified function name, `namespace/name`, as a Clojure symbol in the config.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FnName(String);

impl FnName {
    /// Parses `ns/name`: both parts non-empty, no whitespace.
    pub fn parse(text: &str) -> Option<FnName> {
        let (ns, name) = text.split_once('/')?;
        let ok = |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c == '/');
        (ok(ns) && ok(name)).then(|| FnName(text.to_owned()))
    }
    /// The name as written: `ion.starter/echo`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FnName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many calls of one lambda may run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConcurrencyLimit {
    /// At most this many; the next is refused as `busy`.
    Reserved(u32),
    /// `:none`: no reserved concurrency, bounded only by the node.
    None,
}

/// The `:integration` of a lambda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// `:api-gateway/proxy`: the lambda takes API Gateway proxy events and its `:fn` is a web ion.
    ApiGatewayProxy,
}

/// One entry of `:lambdas`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LambdaConfig {
    /// The key under `:lambdas`, without the colon: `echo`.
    pub name: String,
    /// `:fn`, the ion function called.
    pub fn_name: FnName,
    /// `:description`, default "".
    pub description: String,
    /// `:timeout-secs`, default 60.
    pub timeout_secs: u32,
    /// `:concurrency-limit`, default 20.
    pub concurrency_limit: ConcurrencyLimit,
    /// `:integration`, default none.
    pub integration: Option<Integration>,
}

/// `:http-direct`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpDirectConfig {
    /// `:handler-fn`, the web ion that takes every request.
    pub handler_fn: FnName,
    /// `:pending-ops-queue-length`, default 100.
    pub pending_ops_queue_length: u32,
    /// `:processing-concurrency`, default 16.
    pub processing_concurrency: u32,
    /// `:pending-ops-exceeded-message`, default "Throttled".
    pub pending_ops_exceeded_message: String,
    /// `:pending-ops-exceeded-code`, default 429.
    pub pending_ops_exceeded_code: u16,
}

/// A validated `ion-config.edn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IonConfig {
    /// `:app-name`.
    pub app_name: String,
    /// `:allow`: transaction and query functions (and predicates) that may be called.
    pub allow: Vec<FnName>,
    /// `:xforms`: functions that pull patterns may name in `:xform`.
    pub xforms: Vec<FnName>,
    /// `:lambdas`, by name.
    pub lambdas: BTreeMap<String, LambdaConfig>,
    /// `:http-direct`.
    pub http_direct: Option<HttpDirectConfig>,
    /// `:instance-reuse`: `None` (the default) is a fresh instance per call.
    pub instance_reuse: Option<super::reuse::InstanceReuse>,
}

const TOP_KEYS: &[&str] = &[
    "app-name",
    "allow",
    "xforms",
    "lambdas",
    "http-direct",
    "instance-reuse",
];
const LAMBDA_KEYS: &[&str] = &[
    "fn",
    "description",
    "timeout-secs",
    "concurrency-limit",
    "integration",
];
const HTTP_DIRECT_KEYS: &[&str] = &[
    "handler-fn",
    "pending-ops-queue-length",
    "processing-concurrency",
    "pending-ops-exceeded-message",
    "pending-ops-exceeded-code",
];

impl IonConfig {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<IonConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            source: path.to_owned(),
            problems: vec![Problem {
                key_path: String::new(),
                found: None,
                expected: format!("a readable ion-config.edn file ({e})"),
            }],
        })?;
        Self::parse(&text, path)
    }

    /// Validates `text`; `source` names it in errors.
    pub fn parse(text: &str, source: &Path) -> Result<IonConfig, ConfigError> {
        let fail = |problems| ConfigError {
            source: source.to_owned(),
            problems,
        };
        let doc = ion_edn::read(text).map_err(|e| {
            fail(vec![Problem {
                key_path: String::new(),
                found: None,
                expected: format!("one EDN map, but the EDN is malformed at {e}"),
            }])
        })?;
        let mut r = Reader::default();
        let config = read_config(&mut r, &doc);
        match config {
            Some(c) if r.problems.is_empty() => Ok(c),
            _ => Err(fail(r.problems)),
        }
    }

    /// Checks what depends on the compute group: every `{group}-{lambda}` name must be at
    /// most 64 characters.
    pub fn validate_for_group(&self, group: &str) -> Result<(), Vec<Problem>> {
        let problems: Vec<Problem> = self
            .lambdas
            .values()
            .filter_map(|l| {
                let full = format!("{group}-{}", l.name);
                (full.len() > MAX_LAMBDA_NAME_LEN).then(|| Problem {
                    key_path: format!(":lambdas :{}", l.name),
                    found: Some(format!("\"{full}\" ({} characters) in group \"{group}\"", full.len())),
                    expected: format!("a lambda name that, with the compute group's name, is at most {MAX_LAMBDA_NAME_LEN} characters"),
                })
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The lambda whose full name is `function_name` (`{group}-{name}`) in `group`.
    pub fn lambda_by_function_name(
        &self,
        group: &str,
        function_name: &str,
    ) -> Option<&LambdaConfig> {
        let name = function_name.strip_prefix(group)?.strip_prefix('-')?;
        self.lambdas.get(name)
    }
}

fn read_config(r: &mut Reader, doc: &Edn<'static>) -> Option<IonConfig> {
    let entries = r.map("", doc, TOP_KEYS)?;
    let get = |k: &str| entries.iter().find(|(name, _)| *name == k).map(|(_, v)| *v);
    let app_name = match get("app-name") {
        Some(v) => r
            .string(":app-name", v, true)
            .and_then(|name| app_name_ok(r, v, name)),
        None => {
            r.problem(":app-name", None, "a non-empty string naming the app");
            None
        }
    };
    let allow = get("allow")
        .map(|v| fn_names(r, ":allow", v))
        .unwrap_or_default();
    let xforms = get("xforms")
        .map(|v| fn_names(r, ":xforms", v))
        .unwrap_or_default();
    let lambdas = get("lambdas").map(|v| lambdas(r, v)).unwrap_or_default();
    let http_direct = get("http-direct").and_then(|v| http_direct(r, v));
    let instance_reuse = get("instance-reuse").and_then(|v| super::reuse::read(r, v));
    Some(IonConfig {
        app_name: app_name?,
        allow,
        xforms,
        lambdas,
        http_direct,
        instance_reuse,
    })
}

/// True for a non-empty name of letters, digits, '-', '_' and '.': what may stand as one
/// segment of a parameter path or a lambda's name, such as an app name or a path prefix.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn app_name_ok(r: &mut Reader, v: &Edn<'_>, name: String) -> Option<String> {
    if is_plain_name(&name) {
        Some(name)
    } else {
        r.problem(
            ":app-name",
            Some(v),
            "letters, digits, '-', '_' or '.' only (it names parameter paths and lambdas)",
        );
        None
    }
}

fn fn_name(r: &mut Reader, path: &str, v: &Edn<'_>) -> Option<FnName> {
    match v {
        Edn::Symbol(s) => FnName::parse(s).or_else(|| {
            r.problem(path, Some(v), "a fully qualified symbol, namespace/name");
            None
        }),
        other => {
            r.problem(
                path,
                Some(other),
                "a fully qualified symbol, namespace/name",
            );
            None
        }
    }
}

fn fn_names(r: &mut Reader, path: &str, v: &Edn<'static>) -> Vec<FnName> {
    let Edn::Vector(items) = v else {
        r.problem(path, Some(v), "a vector of fully qualified symbols");
        return Vec::new();
    };
    let mut out: Vec<FnName> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path} {i}");
        if let Some(name) = fn_name(r, &at, item) {
            if out.contains(&name) {
                r.problem(
                    &at,
                    Some(item),
                    format!("each name once; {name} is already listed"),
                );
            } else {
                out.push(name);
            }
        }
    }
    out
}

fn lambdas(r: &mut Reader, v: &Edn<'static>) -> BTreeMap<String, LambdaConfig> {
    let mut out = BTreeMap::new();
    let Edn::Map(entries) = v else {
        r.problem(
            ":lambdas",
            Some(v),
            "a map from lambda names (keywords) to lambda configurations",
        );
        return out;
    };
    for (k, cfg) in entries {
        let name = match k {
            Edn::Key(name) if lambda_name_ok(name) => name.to_string(),
            other => {
                r.problem(
                    ":lambdas",
                    Some(other),
                    "lambda names as unqualified keywords of letters, digits, '-' and '_'",
                );
                continue;
            }
        };
        let path = format!(":lambdas :{name}");
        if let Some(l) = lambda(r, &path, name.clone(), cfg) {
            out.insert(name, l);
        }
    }
    out
}

fn lambda_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn lambda(r: &mut Reader, path: &str, name: String, v: &Edn<'static>) -> Option<LambdaConfig> {
    let entries = r.map(path, v, LAMBDA_KEYS)?;
    let mut fn_name_v = None;
    let mut l = LambdaConfig {
        name,
        fn_name: FnName(String::new()),
        description: String::new(),
        timeout_secs: 60,
        concurrency_limit: ConcurrencyLimit::Reserved(20),
        integration: None,
    };
    let before = r.problems.len();
    for (key, value) in entries {
        let at = join(path, &format!(":{key}"));
        match key {
            "fn" => fn_name_v = fn_name(r, &at, value),
            "description" => l.description = r.string(&at, value, false).unwrap_or_default(),
            "timeout-secs" => {
                let expected =
                    format!("a positive integer of at most {MAX_TIMEOUT_SECS} (seconds)");
                l.timeout_secs = r
                    .int_in(&at, value, 1, MAX_TIMEOUT_SECS, &expected)
                    .unwrap_or(0) as u32;
            }
            "concurrency-limit" => {
                l.concurrency_limit = match value {
                    Edn::Key(k) if k == "none" => ConcurrencyLimit::None,
                    _ => ConcurrencyLimit::Reserved(
                        r.int_in(
                            &at,
                            value,
                            1,
                            i64::from(u32::MAX),
                            "a positive integer or :none",
                        )
                        .unwrap_or(0) as u32,
                    ),
                }
            }
            "integration" => match value {
                Edn::Key(k) if k == "api-gateway/proxy" => {
                    l.integration = Some(Integration::ApiGatewayProxy)
                }
                other => r.problem(
                    &at,
                    Some(other),
                    ":api-gateway/proxy (the only integration supported)",
                ),
            },
            _ => unreachable!("Reader::map admits only LAMBDA_KEYS"),
        }
    }
    if !entries_has(v, "fn") {
        r.problem(
            &join(path, ":fn"),
            None,
            "a fully qualified symbol naming the ion function",
        );
    }
    l.fn_name = fn_name_v?;
    (r.problems.len() == before).then_some(l)
}

fn entries_has(map: &Edn<'_>, key: &str) -> bool {
    ion_edn::get(map, key).is_some()
}

fn http_direct(r: &mut Reader, v: &Edn<'static>) -> Option<HttpDirectConfig> {
    let path = ":http-direct";
    let entries = r.map(path, v, HTTP_DIRECT_KEYS)?;
    let before = r.problems.len();
    let mut handler = None;
    let mut h = HttpDirectConfig {
        handler_fn: FnName(String::new()),
        pending_ops_queue_length: 100,
        processing_concurrency: 16,
        pending_ops_exceeded_message: "Throttled".into(),
        pending_ops_exceeded_code: 429,
    };
    for (key, value) in entries {
        let at = join(path, &format!(":{key}"));
        match key {
            "handler-fn" => handler = fn_name(r, &at, value),
            "pending-ops-queue-length" => {
                h.pending_ops_queue_length = r
                    .int_in(&at, value, 0, i64::from(u32::MAX), "a non-negative integer")
                    .unwrap_or(0) as u32
            }
            "processing-concurrency" => {
                h.processing_concurrency = r
                    .int_in(&at, value, 1, i64::from(u32::MAX), "a positive integer")
                    .unwrap_or(0) as u32
            }
            "pending-ops-exceeded-message" => {
                h.pending_ops_exceeded_message = r.string(&at, value, false).unwrap_or_default()
            }
            "pending-ops-exceeded-code" => {
                h.pending_ops_exceeded_code = r
                    .int_in(&at, value, 100, 599, "an HTTP status code (100 to 599)")
                    .unwrap_or(0) as u16
            }
            _ => unreachable!("Reader::map admits only HTTP_DIRECT_KEYS"),
        }
    }
    if !entries_has(v, "handler-fn") {
        r.problem(
            ":http-direct :handler-fn",
            None,
            "a fully qualified symbol naming the web ion",
        );
    }
    h.handler_fn = handler?;
    (r.problems.len() == before).then_some(h)
}
