//! A cycle (what `record_success` is given) split into what rarely changes (its [`Facts`]) and
//! what changes every time (named figures, the users and the top-process lists), and put back
//! together.

use std::sync::Arc;

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

/// A cycle borrowed from its caller: what the write path reads, without a copy of the whole.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CycleRef<'a> {
    pub(crate) sample: &'a Sample,
    pub(crate) users: &'a [UserUsage],
    pub(crate) details: Option<&'a Details>,
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

    /// Facts stored as a patch ([`super::patch`]) of their base's stored form.
    pub(crate) fn decode_patch(base_json: &[u8], patch_json: &[u8]) -> Result<Facts> {
        let base = serde_json::from_slice(base_json).map_err(|e| invalid("facts", &e))?;
        let patch = serde_json::from_slice(patch_json).map_err(|e| invalid("facts patch", &e))?;
        serde_json::from_value(super::patch::apply(base, &patch)?).map_err(|e| invalid("patched facts", &e))
    }

    /// These facts as a patch of `base_json` (their base's stored form, from [`Facts::encode`]).
    pub(crate) fn patch_of(&self, base_json: &[u8]) -> Result<Vec<u8>> {
        let base: serde_json::Value = serde_json::from_slice(base_json).map_err(|e| invalid("facts", &e))?;
        let new = serde_json::to_value(self).map_err(|e| invalid("facts", &e))?;
        serde_json::to_vec(&super::patch::diff(&base, &new)).map_err(|e| invalid("facts patch", &e))
    }
}

fn invalid(what: &str, e: &serde_json::Error) -> Error {
    Error::Corrupt(format!("stored {what} are not valid: {e}"))
}

/// One figure's value: an integer or a float, or missing (a float that is not finite is
/// missing too).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    I(Option<i64>),
    F(Option<f64>),
}

/// A figure's name: shared, since every frame of a block repeats its facts' names.
pub(crate) type Name = Arc<str>;

/// A named figure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub(crate) name: Name,
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
    pub(crate) fn borrowed(&self) -> CycleRef<'_> {
        CycleRef { sample: &self.sample, users: &self.users, details: self.details.as_ref() }
    }

    /// The facts and the changing part, its figures named (see [`CycleRef::split_values`]).
    pub(crate) fn split(&self) -> (Facts, Changing) {
        let cycle = self.borrowed();
        let (facts, values) = cycle.split_values();
        let figures =
            names(&facts).into_iter().zip(values).map(|((name, _, _), value)| Figure { name, value }).collect();
        let (by_cpu, by_memory) = cycle.processes();
        let changing =
            Changing { figures, users: self.users.clone(), by_cpu: by_cpu.to_vec(), by_memory: by_memory.to_vec() };
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

impl<'a> CycleRef<'a> {
    /// The facts and the values of the figures in walk order (the facts name them). The
    /// details' timestamp is kept as an offset from the sample's, in milliseconds (the store
    /// keeps milliseconds), the value after the walk's.
    pub(crate) fn split_values(&self) -> (Facts, Vec<Value>) {
        let mut sample = self.sample.clone();
        let mut details = self.details.map(without_processes);
        let mut take = Take { values: Vec::new() };
        walk(&mut sample, details.as_mut(), &mut take);
        let mut values = take.values;
        if let Some(d) = &mut details {
            values.push(Value::I(Some(to_ms(d.timestamp) - to_ms(self.sample.timestamp))));
            d.timestamp = DateTime::<Utc>::UNIX_EPOCH;
        }
        let facts = Facts { hostname: sample.hostname, disk_mount: sample.disk_mount, details };
        (facts, values)
    }

    /// The top processes by CPU and by memory (none without details).
    pub(crate) fn processes(&self) -> (&'a [ProcessInfo], &'a [ProcessInfo]) {
        self.details.map_or((&[], &[]), |d| (&d.processes_by_cpu, &d.processes_by_memory))
    }
}

/// A copy of the details without their top-process lists (which a frame keeps, not the facts).
fn without_processes(d: &Details) -> Details {
    let Details {
        server_name,
        timestamp,
        cpu,
        memory,
        disks,
        disk_io,
        network,
        tcp,
        sessions,
        system,
        processes_by_cpu: _,
        processes_by_memory: _,
        containers,
        section_errors,
    } = d;
    Details {
        server_name: server_name.clone(),
        timestamp: *timestamp,
        cpu: cpu.clone(),
        memory: memory.clone(),
        disks: disks.clone(),
        disk_io: disk_io.clone(),
        network: network.clone(),
        tcp: tcp.clone(),
        sessions: sessions.clone(),
        system: system.clone(),
        processes_by_cpu: Vec::new(),
        processes_by_memory: Vec::new(),
        containers: containers.clone(),
        section_errors: section_errors.clone(),
    }
}

/// A frame's users and top processes (by CPU, by memory).
pub(crate) type FrameLists = (Vec<UserUsage>, Vec<ProcessInfo>, Vec<ProcessInfo>);

/// The figure after the walk's, when there are details.
pub(crate) const DETAILS_OFFSET: &str = "~details.offset_ms";

struct Take {
    values: Vec<Value>,
}

impl Visit for Take {
    fn named(&self) -> bool {
        false
    }

    fn slot(&mut self, _name: &str, _series: bool, slot: Slot<'_>) {
        let finite = |x: f64| x.is_finite().then_some(x);
        let value = match slot {
            Slot::F(x) => Value::F(finite(std::mem::take(x))),
            Slot::OptF(x) => Value::F(x.take().and_then(finite)),
            Slot::I(x) => Value::I(Some(std::mem::take(x))),
            Slot::OptI(x) => Value::I(x.take()),
        };
        self.values.push(value);
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
pub(crate) fn names(facts: &Facts) -> Vec<(Name, bool, bool)> {
    struct Names(Vec<(Name, bool, bool)>);
    impl Visit for Names {
        fn slot(&mut self, name: &str, series: bool, slot: Slot<'_>) {
            self.0.push((name.into(), slot.is_float(), series));
        }
    }
    let mut sample = Sample::default();
    let mut details = facts.details.clone();
    let mut n = Names(Vec::new());
    walk(&mut sample, details.as_mut(), &mut n);
    if details.is_some() {
        n.0.push((DETAILS_OFFSET.into(), false, false));
    }
    n.0
}
