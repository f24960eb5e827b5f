//! Data patterns that share their entity, read together: consecutive patterns of a run
//! over one source whose entity is the same bound variable (`[?e :name ?n] [?e :age ?a]`
//! once `?e` is bound) take each row's entity datoms from one EAVT read, and extend that
//! row pattern by pattern before the next row is read. One index read per entity, not
//! one per pattern, and no map of entities kept between the patterns.

use super::bind;
use super::eval::Ctx;
use super::flat::Flat;
use super::parse::is_var;
use super::scan::resolve_with;
use super::slots::{Slot, attr_once, known_terms, push_extended, slots_of};
use crate::value::{Value, ValueType};
use crate::value_db::{Components, Index};
use ion_anomaly::IonError;
use ion_edn::Edn;

/// A pattern's attribute, resolved (`scan::attr_of`).
type Attr = Option<(i64, ValueType)>;

impl Ctx<'_> {
    /// How many of `clauses`, from the first, form a group over `src` in `rel`: data
    /// patterns over `src` of 1 to 5 well-formed terms whose entity is the first one's
    /// variable, bound in `rel`.
    pub(super) fn group_len(&self, clauses: &[Edn<'static>], src: &str, rel: &Flat) -> usize {
        let entity = |clause: &Edn<'static>| -> Option<String> {
            let (s, terms) = self.db_pattern(clause)?;
            let ok = s == src
                && (1..=5).contains(&terms.len())
                && terms.iter().all(|t| {
                    is_var(t).is_some()
                        || matches!(t, Edn::Symbol(s) if s == "_")
                        || bind::constant(t).is_ok()
                });
            ok.then(|| is_var(&terms[0])).flatten()
        };
        let Some(e) = clauses.first().and_then(entity) else {
            return 0;
        };
        if rel.col(&e).is_none() {
            return 0;
        }
        clauses
            .iter()
            .take_while(|c| entity(c).as_ref() == Some(&e))
            .count()
    }

    /// `rel` extended by the group `clauses` over `src` (see `group_len`).
    pub(super) fn extend_group(
        &mut self,
        clauses: &[Edn<'static>],
        src: &str,
        rel: Flat,
    ) -> Result<Flat, IonError> {
        let db = self.source(src)?.clone();
        let mut vars = rel.vars.clone();
        // Each pattern: its clause, slots, and its attribute once known.
        let mut steps: Vec<(&Edn<'static>, Vec<Slot>, Option<Attr>)> = Vec::new();
        for clause in clauses {
            let Some((_, terms)) = self.db_pattern(clause) else {
                continue;
            };
            steps.push((clause, slots_of(terms, &mut vars)?, None));
        }
        let mut out = Flat {
            vars,
            len: 0,
            vals: Vec::new(),
        };
        let (mut entity, mut known) = (Vec::new(), Vec::with_capacity(5));
        // The rows of the input row so far, and the next pattern's.
        let (mut now, mut next): (Vec<Value>, Vec<Value>) = (Vec::new(), Vec::new());
        let mut built = 0;
        for i in 0..rel.len {
            if i % 1024 == 0 {
                self.check_deadline()?;
            }
            now.clear();
            now.extend_from_slice(rel.row(i));
            let mut n = 1;
            let mut w = rel.vars.len();
            for (k, (clause, slots, attr)) in steps.iter_mut().enumerate() {
                next.clear();
                let mut m = 0;
                for p in 0..n {
                    let row = &now[p * w..(p + 1) * w];
                    known_terms(slots, row, &mut known);
                    let a = attr_once(attr, &db, slots, &known, clause)?;
                    let r = resolve_with(&db, &known, clause, a)?;
                    if k == 0 && p == 0 {
                        // The entity is the same for every pattern and row of this input row.
                        entity.clear();
                        let c = Components {
                            e: r.c.e,
                            ..Default::default()
                        };
                        db.datoms_into(Index::Eavt, &c, &mut entity)?;
                    }
                    for d in entity.iter().filter(|d| r.accepts(d)) {
                        if push_extended(&mut next, row, slots, d) {
                            m += 1;
                        }
                    }
                }
                built += m;
                std::mem::swap(&mut now, &mut next);
                n = m;
                w += slots.iter().filter(|s| matches!(s, Slot::New)).count();
                if n == 0 {
                    break;
                }
            }
            out.vals.extend_from_slice(&now[..n * w]);
            out.len += n;
        }
        self.rows_built += built;
        Ok(out)
    }
}
