//! A cycle (what `record_success` is given) split into what rarely changes (its [`Facts`]) and
//! what changes every time (named figures, the users and the top-process lists), and put back
//! together.

use chrono::{DateTime, Utc};
use fleetwatch_common::{Details, ProcessInfo, Sample};
use serde::{Deserialize, Serialize};

use super::bytes::fnv1a;
use super::walk::{Slot, Visit, walk};
use crate::error::{Error, Result};
use crate::types::UserUsage;
use crate::values::to_ms;

/// What a stored sample consists of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cycle {
    pub(crate) sample: Sample,
    pub(crate) users: Vec<UserUsage>,
    pub(crate) details: Option<Details>,
}

/// What rarely changes: the headline's texts and the details with every figure zeroed
/// (mounts and devices, interfaces, listening ports, containers, sessions, system facts, CPU
/// model, section errors). Stored once per change, compared by [`Facts::hash`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub(crate) struct Facts {
    pub(crate) hostname: Option<String>,
    pub(crate) disk_mount: Option<String>,
    pub(crate) details: Option<Details>,
}

impl Facts {
    /// The stored form (JSON) and its hash.
    pub(crate) fn encode(&self) -> Result<(Vec<u8>, i64)> {
        let json = serde_json::to_vec(self).map_err(|e| Error::Corrupt(format!("facts cannot be encoded: {e}")))?;
        let hash = fnv1a(&json);
        Ok((json, hash))
    }

    pub(crate) fn decode(json: &[u8]) -> Result<Facts> {
        serde_json::from_slice(json).map_err(|e| Error::Corrupt(format!("stored facts are not valid: {e}")))
    }
}

/// One figure's value: an integer or a float, or missing (a float that is not finite is
/// missing too).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    I(Option<i64>),
    F(Option<f64>),
}

/// A named figure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) name: String,
    pub(crate) value: Value,
}

/// What changes every cycle.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Changing {
    /// In walk order (see [`super::walk`]); the facts say which names they are.
    pub(crate) figures: Vec<Figure>,
    pub(crate) users: Vec<UserUsage>,
    pub(crate) by_cpu: Vec<ProcessInfo>,
    pub(crate) by_memory: Vec<ProcessInfo>,
}

impl Cycle {
    /// The facts and the changing part. The details' timestamp is kept as an offset from the
    /// sample's, in milliseconds (the store keeps milliseconds).
    pub(crate) fn split(&self) -> (Facts, Changing) {
        let mut sample = self.sample.clone();
        let mut details = self.details.clone();
        let mut take = Take { figures: Vec::new() };
        walk(&mut sample, details.as_mut(), &mut take);
        let mut changing = Changing { figures: take.figures, users: self.users.clone(), ..Changing::default() };
        if let Some(d) = &mut details {
            let offset = to_ms(d.timestamp) - to_ms(self.sample.timestamp);
            changing.figures.push(Figure { name: DETAILS_OFFSET.into(), value: Value::I(Some(offset)) });
            d.timestamp = DateTime::<Utc>::UNIX_EPOCH;
            changing.by_cpu = std::mem::take(&mut d.processes_by_cpu);
            changing.by_memory = std::mem::take(&mut d.processes_by_memory);
        }
        let facts = Facts { hostname: sample.hostname, disk_mount: sample.disk_mount, details };
        (facts, changing)
    }

    /// Puts a cycle of `server` at `ts_ms` back together; `value` gives each figure by name (if
    /// `named`) or by position in walk order.
    pub(crate) fn join(
        server: &str,
        ts_ms: i64,
        facts: &Facts,
        named: bool,
        mut value: impl FnMut(&str, usize) -> Option<Value>,
        (users, by_cpu, by_memory): FrameLists,
    ) -> Result<Cycle> {
        let timestamp = crate::values::from_ms(ts_ms)?;
        let mut sample = Sample {
            server_name: server.to_owned(),
            timestamp,
            hostname: facts.hostname.clone(),
            disk_mount: facts.disk_mount.clone(),
            ..Sample::default()
        };
        let mut details = facts.details.clone();
        let mut fill = Fill { value: &mut value, index: 0, named };
        walk(&mut sample, details.as_mut(), &mut fill);
        let index = fill.index;
        if let Some(d) = &mut details {
            let offset = match value(DETAILS_OFFSET, index) {
                Some(Value::I(Some(ms))) => ms,
                _ => 0,
            };
            d.timestamp = crate::values::from_ms(ts_ms.saturating_add(offset))?;
            d.processes_by_cpu = by_cpu;
            d.processes_by_memory = by_memory;
        }
        Ok(Cycle { sample, users, details })
    }
}

/// A frame's users and top processes (by CPU, by memory).
pub(crate) type FrameLists = (Vec<UserUsage>, Vec<ProcessInfo>, Vec<ProcessInfo>);

/// The figure after the walk's, when there are details.
pub(crate) const DETAILS_OFFSET: &str = "~details.offset_ms";

struct Take {
    figures: Vec<Figure>,
}

impl Visit for Take {
    fn named(&self) -> bool {
        false
    }

    fn slot(&mut self, name: &str, _series: bool, slot: Slot<'_>) {
        let finite = |x: f64| x.is_finite().then_some(x);
        let value = match slot {
            Slot::F(x) => Value::F(finite(std::mem::take(x))),
            Slot::OptF(x) => Value::F(x.take().and_then(finite)),
            Slot::I(x) => Value::I(Some(std::mem::take(x))),
            Slot::OptI(x) => Value::I(x.take()),
        };
        self.figures.push(Figure { name: name.to_owned(), value });
    }
}

struct Fill<'a> {
    value: &'a mut dyn FnMut(&str, usize) -> Option<Value>,
    index: usize,
    /// Whether `value` looks figures up by name (from a block) or by position (a hot frame).
    named: bool,
}

impl Visit for Fill<'_> {
    fn named(&self) -> bool {
        self.named
    }

    fn slot(&mut self, name: &str, _series: bool, slot: Slot<'_>) {
        let v = (self.value)(name, self.index);
        self.index += 1;
        let (int, float) = match v {
            Some(Value::I(i)) => (i, i.map(|i| i as f64)),
            Some(Value::F(f)) => (f.map(|f| f as i64), f),
            None => (None, None),
        };
        match slot {
            Slot::F(x) => *x = float.unwrap_or(f64::NAN),
            Slot::OptF(x) => *x = float,
            Slot::I(x) => *x = int.unwrap_or(0),
            Slot::OptI(x) => *x = int,
        }
    }
}

/// The names of a cycle's figures, in walk order, with whether each is a float and a series.
pub(crate) fn names(facts: &Facts) -> Vec<(String, bool, bool)> {
    struct Names(Vec<(String, bool, bool)>);
    impl Visit for Names {
        fn slot(&mut self, name: &str, series: bool, slot: Slot<'_>) {
            self.0.push((name.to_owned(), slot.is_float(), series));
        }
    }
    let mut sample = Sample::default();
    let mut details = facts.details.clone();
    let mut n = Names(Vec::new());
    walk(&mut sample, details.as_mut(), &mut n);
    if details.is_some() {
        n.0.push((DETAILS_OFFSET.to_owned(), false, false));
    }
    n.0
}
