//! The kind of entry point a call goes through (lambda, web ion, transaction function,
//! query function, xform, plain wasi:http handler): the `kind` label of its metrics and
//! span, and the plural the "exports no …" error names. Owns only these names; what a
//! call does is `entry`'s and `wasi_http`'s.

/// How a call reaches an ion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CallKind {
    /// A lambda (`:lambdas` without an integration).
    Lambda,
    /// A web ion (HTTP Direct or an API Gateway proxy lambda).
    Web,
    /// A transaction function.
    TxFn,
    /// A query function.
    QueryFn,
    /// An xform.
    Xform,
    /// A plain wasi:http/proxy component's handler.
    Http,
}

impl CallKind {
    /// Every kind, for tables made when an app loads.
    pub const ALL: [CallKind; 6] = [
        CallKind::Lambda,
        CallKind::Web,
        CallKind::TxFn,
        CallKind::QueryFn,
        CallKind::Xform,
        CallKind::Http,
    ];

    /// The `kind` label of the call's metrics and span.
    pub fn label(self) -> &'static str {
        match self {
            CallKind::Lambda => "lambda",
            CallKind::Web => "web",
            CallKind::TxFn => "tx-fn",
            CallKind::QueryFn => "query-fn",
            CallKind::Xform => "xform",
            CallKind::Http => "http",
        }
    }

    /// What a component lacking this entry point does not export, as the `not-found`
    /// error says it: "the component exports no {exports}".
    pub fn exports(self) -> &'static str {
        match self {
            CallKind::Lambda => "lambda ions",
            CallKind::Web => "web ions",
            CallKind::TxFn => "transaction functions",
            CallKind::QueryFn => "query functions",
            CallKind::Xform => "xforms",
            CallKind::Http => "wasi:http/incoming-handler",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CallKind;

    /// The labels are metric series names dashboards query, and the plurals are error
    /// text clients match: both must stay as they are.
    #[test]
    fn every_kind_keeps_its_label_and_its_plural() {
        let names: Vec<(&str, &str)> = CallKind::ALL
            .iter()
            .map(|k| (k.label(), k.exports()))
            .collect();
        assert_eq!(
            names,
            [
                ("lambda", "lambda ions"),
                ("web", "web ions"),
                ("tx-fn", "transaction functions"),
                ("query-fn", "query functions"),
                ("xform", "xforms"),
                ("http", "wasi:http/incoming-handler"),
            ]
        );
    }
}
