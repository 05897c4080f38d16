//! CPU shares stored as what the other shares do not already say. A CPU's (or a core's) shares
//! of the interval add up to 100 and its `busy` is `100 − idle − iowait`, so within rounding
//! `idle` is `100 − busy − iowait` and `user` is `busy − nice − system − irq − softirq − steal`:
//! a block keeps such a column as its integer steps' difference from that sum of the other
//! columns as stored (a column of −1, 0 and 1 where the figure took ~20 bits a row), when that
//! is smaller. Read back, the values are the same, step for step.

/// A column stored as its steps' difference from `constant + Σ ±column`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Derivation {
    pub(crate) constant: i64,
    /// The columns added (`false`) or subtracted (`true`), by index in the block.
    pub(crate) terms: Vec<(usize, bool)>,
}

impl Derivation {
    /// The value the terms say for a row, `None` if one of them is missing.
    pub(crate) fn predict(&self, term: impl Fn(usize) -> Option<f64>) -> Option<f64> {
        let mut sum = self.constant as f64;
        for &(j, minus) in &self.terms {
            let v = term(j)?;
            sum = if minus { sum - v } else { sum + v };
        }
        sum.is_finite().then_some(sum)
    }
}

/// The derivations possible among a block's float figures (`names`: name, is a float), by the
/// index of the column they give. Every term is a column no derivation gives.
pub(crate) fn derivations(names: &[(&str, bool)]) -> Vec<(usize, Derivation)> {
    let find = |cpu: &str, field: &str| {
        let plain = format!("{cpu}.{field}");
        let own = format!("~{plain}");
        names.iter().position(|&(n, float)| float && (n == plain || n == own))
    };
    let mut out = Vec::new();
    for (i, &(name, float)) in names.iter().enumerate() {
        let bare = name.strip_prefix('~').unwrap_or(name);
        let Some((cpu, field)) = bare.rsplit_once('.') else { continue };
        if !float || !is_cpu(cpu) {
            continue;
        }
        let (constant, plus, minus): (i64, &[&str], &[&str]) = match field {
            "idle" => (100, &[], &["busy", "iowait"]),
            "user" => (0, &["busy"], &["nice", "system", "irq", "softirq", "steal"]),
            _ => continue,
        };
        let terms: Option<Vec<(usize, bool)>> = plus
            .iter()
            .map(|f| find(cpu, f).map(|j| (j, false)))
            .chain(minus.iter().map(|f| find(cpu, f).map(|j| (j, true))))
            .collect();
        if let Some(terms) = terms {
            out.push((i, Derivation { constant, terms }));
        }
    }
    out
}

/// `cpu` or `cpu<N>`: the CPU figures' prefixes.
pub(crate) fn is_cpu(prefix: &str) -> bool {
    prefix.strip_prefix("cpu").is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_and_user_of_the_cpu_and_each_core_are_derived_from_the_other_shares() {
        let fields = ["busy", "user", "nice", "system", "iowait", "irq", "softirq", "steal", "idle"];
        let mut names: Vec<String> = fields.iter().map(|f| format!("cpu.{f}")).collect();
        names.extend(fields.iter().map(|f| if *f == "busy" { "cpu3.busy".to_string() } else { format!("~cpu3.{f}") }));
        names.push("~cpu4.idle".into()); // cpu4 has no busy: not derived
        names.push("mem.idle".into());
        let named: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), true)).collect();
        let d = derivations(&named);
        let at = |n: &str| names.iter().position(|x| x == n).unwrap_or(usize::MAX);
        let given: Vec<&str> = d.iter().map(|(i, _)| names[*i].as_str()).collect();
        assert_eq!(given, ["cpu.user", "cpu.idle", "~cpu3.user", "~cpu3.idle"]);
        let idle = &d.iter().find(|(i, _)| *i == at("~cpu3.idle")).map(|x| x.1.clone());
        assert_eq!(
            idle.as_ref().map(|x| (x.constant, x.terms.clone())),
            Some((100, vec![(at("cpu3.busy"), true), (at("~cpu3.iowait"), true)]))
        );
        let targets: Vec<usize> = d.iter().map(|(i, _)| *i).collect();
        assert!(d.iter().flat_map(|(_, x)| &x.terms).all(|(j, _)| !targets.contains(j)), "no term is derived");
        // Integer columns are never derived nor terms.
        let ints: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), false)).collect();
        assert!(derivations(&ints).is_empty());
    }

    #[test]
    fn a_prediction_needs_every_term() {
        let d = Derivation { constant: 100, terms: vec![(0, true), (1, true)] };
        assert_eq!(d.predict(|j| [Some(30.5), Some(4.25)][j]), Some(65.25));
        assert_eq!(d.predict(|j| [Some(30.5), None][j]), None);
        assert_eq!(d.predict(|_| Some(f64::NAN)), None);
    }
}
