//! Reading a Datalog query (map or vector form) into its parts: find elements and spec,
//! `:keys`/`:strs`/`:syms`, `:with`, `:in` bindings and `:where` clauses. Every error
//! quotes the part it is about.

use ion_anomaly::{Category, IonError};
use ion_edn::Edn;

pub(crate) fn incorrect(msg: String) -> IonError {
    IonError::new(Category::Incorrect, msg)
}

/// An element of `:find`.
#[derive(Debug, Clone)]
pub enum FindElem {
    /// `?x`
    Var(String),
    /// `(pull ?e pattern)`
    Pull(String, Edn<'static>),
    /// `(agg args… ?x)`: name, constant args, variable.
    Agg(String, Vec<Edn<'static>>, String),
}

/// The shape of the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `:find ?a ?b` — a set of tuples.
    Relation,
    /// `:find [?a ...]`
    Coll,
    /// `:find [?a ?b]`
    Tuple,
    /// `:find ?a .`
    Scalar,
}

/// One `:in` binding.
#[derive(Debug, Clone)]
pub enum InBinding {
    /// `$` or `$name`.
    Source(String),
    /// `%`
    Rules,
    /// A pull pattern's name, a plain symbol: `(pull ?e pattern)`.
    Pattern(String),
    /// A binding form: `?x`, `[?x ...]`, `[?x ?y]`, `[[?x ?y]]`, nested at will
    /// (`[[?k ?v] ...]`).
    Form(Edn<'static>),
}

/// A parsed query.
#[derive(Debug, Clone)]
pub struct Query {
    /// `:find` elements.
    pub find: Vec<FindElem>,
    /// Result shape.
    pub shape: Shape,
    /// `:keys`/`:strs`/`:syms` names, with their kind (`k`, `t` or `y`).
    pub keys: Option<(char, Vec<String>)>,
    /// `:with` variables.
    pub with: Vec<String>,
    /// `:in` bindings (default `$`).
    pub inputs: Vec<InBinding>,
    /// `:where` clauses.
    pub clauses: Vec<Edn<'static>>,
}

pub(crate) fn owned(v: &Edn<'_>) -> Edn<'static> {
    ion_edn::read(&ion_edn::print(v)).unwrap_or(Edn::Nil)
}

/// Whether `s` names a variable.
pub fn is_var(e: &Edn<'_>) -> Option<String> {
    match e {
        Edn::Symbol(s) if s.starts_with('?') => Some(s.to_string()),
        _ => None,
    }
}

/// Reads a query in map form `{:find … :where …}` or vector form `[:find … :where …]`.
pub fn parse(q: &Edn<'_>) -> Result<Query, IonError> {
    let mut sections: Vec<(String, Vec<Edn<'static>>)> = Vec::new();
    match q {
        Edn::Map(m) => {
            for (k, v) in m {
                let Edn::Key(k) = k else {
                    return Err(incorrect(format!(
                        "query keys are keywords, found {}",
                        ion_edn::print(k)
                    )));
                };
                let items = match v {
                    Edn::Vector(items) | Edn::List(items) => items.iter().map(owned).collect(),
                    other => vec![owned(other)],
                };
                sections.push((k.to_string(), items));
            }
        }
        Edn::Vector(items) | Edn::List(items) => {
            for item in items {
                match item {
                    Edn::Key(k) => sections.push((k.to_string(), Vec::new())),
                    other => match sections.last_mut() {
                        Some((_, v)) => v.push(owned(other)),
                        None => {
                            return Err(incorrect(format!(
                                "a query starts with :find, found {}",
                                ion_edn::print(other)
                            )));
                        }
                    },
                }
            }
        }
        other => {
            return Err(incorrect(format!(
                "a query is a map or a vector, found {}",
                ion_edn::print(other)
            )));
        }
    }
    let mut query = Query {
        find: Vec::new(),
        shape: Shape::Relation,
        keys: None,
        with: Vec::new(),
        inputs: Vec::new(),
        clauses: Vec::new(),
    };
    let mut saw_find = false;
    for (name, items) in sections {
        match name.as_str() {
            "find" => {
                saw_find = true;
                parse_find(&items, &mut query)?;
            }
            "keys" | "strs" | "syms" => {
                let names = items
                    .iter()
                    .map(|i| match i {
                        Edn::Symbol(s) | Edn::Str(s) | Edn::Key(s) => Ok(s.to_string()),
                        o => Err(incorrect(format!(
                            ":{name} takes names, found {}",
                            ion_edn::print(o)
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let kind = match name.as_str() {
                    "keys" => 'k',
                    "strs" => 't',
                    _ => 'y',
                };
                query.keys = Some((kind, names));
            }
            "with" => {
                for i in &items {
                    query.with.push(is_var(i).ok_or_else(|| {
                        incorrect(format!(
                            ":with takes variables, found {}",
                            ion_edn::print(i)
                        ))
                    })?);
                }
            }
            "in" => {
                for i in &items {
                    query.inputs.push(parse_in(i)?);
                }
            }
            "where" => query.clauses = items.iter().map(clause_form).collect(),
            other => {
                return Err(incorrect(format!(
                    "unknown query section :{other} (known: :find :keys :strs :syms :with :in :where)"
                )));
            }
        }
    }
    if !saw_find || query.find.is_empty() {
        return Err(incorrect(
            "a query needs :find with at least one element".into(),
        ));
    }
    if query.inputs.is_empty() {
        query.inputs.push(InBinding::Source("$".into()));
    }
    if let Some((_, names)) = &query.keys
        && names.len() != query.find.len()
    {
        return Err(incorrect(format!(
            ":keys names {} values, :find has {}",
            names.len(),
            query.find.len()
        )));
    }
    Ok(query)
}

fn parse_find(items: &[Edn<'static>], q: &mut Query) -> Result<(), IonError> {
    match items {
        [one, Edn::Symbol(dot)] if dot == "." => {
            q.shape = Shape::Scalar;
            q.find.push(find_elem(one)?);
        }
        [Edn::Vector(inner)]
            if inner.len() == 2 && matches!(&inner[1], Edn::Symbol(s) if s == "...") =>
        {
            q.shape = Shape::Coll;
            q.find.push(find_elem(&inner[0])?);
        }
        [Edn::Vector(inner)] => {
            q.shape = Shape::Tuple;
            for i in inner {
                q.find.push(find_elem(i)?);
            }
        }
        items => {
            for i in items {
                q.find.push(find_elem(i)?);
            }
        }
    }
    Ok(())
}

fn find_elem(e: &Edn<'static>) -> Result<FindElem, IonError> {
    if let Some(v) = is_var(e) {
        return Ok(FindElem::Var(v));
    }
    let Edn::List(items) = e else {
        return Err(incorrect(format!(
            "unknown :find element {}",
            ion_edn::print(e)
        )));
    };
    match items.as_slice() {
        [Edn::Symbol(p), var, pattern] if p == "pull" => Ok(FindElem::Pull(
            is_var(var).ok_or_else(|| {
                incorrect(format!(
                    "pull in :find takes a variable: {}",
                    ion_edn::print(e)
                ))
            })?,
            pattern.clone(),
        )),
        [Edn::Symbol(f), args @ .., var] => {
            let var = is_var(var).ok_or_else(|| {
                incorrect(format!(
                    "an aggregate ends with a variable: {}",
                    ion_edn::print(e)
                ))
            })?;
            Ok(FindElem::Agg(f.to_string(), args.to_vec(), var))
        }
        _ => Err(incorrect(format!(
            "unknown :find element {}",
            ion_edn::print(e)
        ))),
    }
}

fn parse_in(e: &Edn<'static>) -> Result<InBinding, IonError> {
    match e {
        Edn::Symbol(s) if s.starts_with('$') => Ok(InBinding::Source(s.to_string())),
        Edn::Symbol(s) if s == "%" => Ok(InBinding::Rules),
        Edn::Symbol(s) if !s.starts_with('?') && s != "_" && s != "..." => {
            Ok(InBinding::Pattern(s.to_string()))
        }
        form => {
            check_form(form, e)?;
            Ok(InBinding::Form(form.clone()))
        }
    }
}

/// Checks a binding form: variables, `_`, `[form ...]`, `[form form …]`.
pub(crate) fn check_form(form: &Edn<'_>, whole: &Edn<'_>) -> Result<(), IonError> {
    let bad = || {
        incorrect(format!(
            "bad binding form {}: expected ?var, _, [form ...], [form …] or [[form …]]",
            ion_edn::print(whole)
        ))
    };
    match form {
        Edn::Symbol(s) if s == "_" || s.starts_with('?') => Ok(()),
        Edn::Vector(items)
            if items.len() == 2 && matches!(&items[1], Edn::Symbol(s) if s == "...") =>
        {
            check_form(&items[0], whole)
        }
        Edn::Vector(items) if !items.is_empty() => {
            items.iter().try_for_each(|i| check_form(i, whole))
        }
        _ => Err(bad()),
    }
}

/// A clause in the one form evaluation reads. Datomic's grammar writes rule calls, `not`,
/// `not-join`, `or`, `or-join` and `and` in brackets (`[not [?e :age 37]]`,
/// `[movie-year ?title 1991]`) as well as in parentheses. A vector whose first term, after
/// an optional source, is a plain symbol can only be one of those: a data pattern's entity
/// is a variable, `_` or a constant, and no constant is a plain symbol. Such a vector is
/// read as its list form, and the clauses nested in `not`, `or` and `and` likewise.
pub(crate) fn clause_form(clause: &Edn<'static>) -> Edn<'static> {
    let (Edn::Vector(items) | Edn::List(items)) = clause else {
        return clause.clone();
    };
    let start = usize::from(matches!(items.first(), Some(Edn::Symbol(s)) if s.starts_with('$')));
    let op = match items.get(start) {
        Some(Edn::Symbol(op)) if !op.starts_with('?') && !op.starts_with('$') && op != "_" => {
            op.as_ref()
        }
        // A data pattern, an expression clause, or a form evaluation will refuse.
        _ => return clause.clone(),
    };
    // Where the nested clauses start: after the op, and after a join's variables.
    let nested = match op {
        "not" | "or" | "and" => Some(start + 1),
        "not-join" | "or-join" => Some(start + 2),
        _ => None,
    };
    let items = items
        .iter()
        .enumerate()
        .map(|(i, item)| match nested {
            Some(from) if i >= from => clause_form(item),
            _ => item.clone(),
        })
        .collect();
    Edn::List(items)
}
