//! Journals written line by line, for figures that need time stamps a
//! real run cannot give (how long a decision took): turns created,
//! finished, decided with or without a receipt, landed, rejected and
//! rolled back, appended to a workspace's journal as leash writes them.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// A time `secs` seconds after `base` (RFC 3339), as the journal writes it.
pub fn at(base: &str, secs: f64) -> String {
    let t: DateTime<Utc> = DateTime::parse_from_rfc3339(base).unwrap().into();
    (t + Duration::milliseconds((secs * 1000.0).round() as i64))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A full object id made from a number (nothing in git needs to hold it).
fn oid(n: u64) -> String {
    format!("{n:040x}")
}

/// A receipt as leash writes one.
pub fn receipt(
    front: &str,
    shown: Option<&str>,
    decided: &str,
    to_end: bool,
    tabs: &[&str],
) -> Value {
    let mut r = json!({"front": front, "decided_at": decided, "diff_read_to_end": to_end,
                       "tabs": tabs});
    if let Some(s) = shown {
        r["shown_at"] = json!(s);
    }
    r
}

/// Lines to append to a journal, numbered after what it holds.
pub struct Script {
    seq: u64,
    lines: Vec<String>,
    oids: u64,
}

impl Script {
    /// Lines that follow the journal at `journal` (which may not exist).
    pub fn after(journal: &Path) -> Script {
        let seq = std::fs::read_to_string(journal)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter_map(|v| v["seq"].as_u64())
            .max()
            .unwrap_or(0);
        Script {
            seq,
            lines: Vec::new(),
            oids: 1,
        }
    }

    fn oid(&mut self) -> String {
        self.oids += 1;
        oid(self.oids)
    }

    /// One event (its `kind` and fields) at `ts`.
    pub fn event(&mut self, ts: &str, event: Value) -> &mut Script {
        self.seq += 1;
        let mut line = json!({"v": 1, "seq": self.seq, "ts": ts});
        for (k, v) in event.as_object().unwrap() {
            line[k] = v.clone();
        }
        self.lines.push(line.to_string());
        self
    }

    /// A turn of `agent` created and finished at `ts`, one file changed,
    /// waiting for review.
    pub fn finished(&mut self, turn: &str, agent: &str, risk: &str, ts: &str) -> &mut Script {
        let commit = self.oid();
        self.event(
            ts,
            json!({"kind": "turn_created", "turn": turn, "agent": agent,
                   "turn_kind": "isolated", "risk": risk, "base": null, "branch": "main",
                   "title": format!("scripted {turn}")}),
        );
        self.event(
            ts,
            json!({"kind": "turn_finished", "turn": turn, "exit": 0, "commit": commit,
                   "files_changed": 1, "insertions": 1, "deletions": 0, "paths": ["a.md"]}),
        )
    }

    /// Approved at `ts` by `by` (`operator` or `policy`), with `receipt`,
    /// and landed.
    pub fn approved(
        &mut self,
        turn: &str,
        by: &str,
        ts: &str,
        receipt: Option<Value>,
    ) -> &mut Script {
        let mut decided = json!({"kind": "turn_decided", "turn": turn, "decision": "approve",
                                 "by": by});
        if let Some(r) = receipt {
            decided["receipt"] = r;
        }
        self.event(ts, decided);
        let landed = self.oid();
        self.event(
            ts,
            json!({"kind": "landing_started", "turn": turn, "target": landed,
                   "branch": "main", "old": null}),
        );
        self.event(
            ts,
            json!({"kind": "turn_landed", "turn": turn, "commit": landed}),
        )
    }

    /// Rejected at `ts` by the operator, with `receipt`.
    pub fn rejected(&mut self, turn: &str, ts: &str, receipt: Option<Value>) -> &mut Script {
        let mut decided = json!({"kind": "turn_decided", "turn": turn, "decision": "reject",
                                 "by": "operator", "reason": "no"});
        if let Some(r) = receipt {
            decided["receipt"] = r;
        }
        self.event(ts, decided);
        self.event(
            ts,
            json!({"kind": "turn_rejected", "turn": turn,
                   "kept_at": format!("refs/leash/rejected/{turn}")}),
        )
    }

    /// Rolled back at `ts`.
    pub fn rolled_back(&mut self, turn: &str, ts: &str) -> &mut Script {
        let revert = self.oid();
        self.event(
            ts,
            json!({"kind": "rollback_started", "turn": turn, "target": revert,
                   "branch": "main", "old": null}),
        );
        self.event(
            ts,
            json!({"kind": "turn_rolled_back", "turn": turn, "commit": revert}),
        )
    }

    /// Appends the lines to the journal at `journal`.
    /// Turns `t1`…`t{n}` of class `risk`, shown a minute apart from `day`
    /// and each approved in the console a second after it was shown, no
    /// diff read to its end: rubber-stamping.
    pub fn fast_unread_approvals(&mut self, n: u32, risk: &str, day: &str) -> &mut Script {
        for i in 1..=n {
            let t = format!("t{i}");
            let shown = at(day, f64::from(i) * 60.0);
            let decided = at(&shown, 1.0);
            self.finished(&t, "claude", risk, &shown);
            let r = receipt("console", Some(&shown), &decided, false, &["output"]);
            self.approved(&t, "operator", &decided, Some(r));
        }
        self
    }

    pub fn append_to(&self, journal: &Path) {
        std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(journal)
            .unwrap();
        for l in &self.lines {
            writeln!(f, "{l}").unwrap();
        }
    }
}
