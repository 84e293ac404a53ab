//! `leash stats [--since D] [--json]`: whether review is real, per risk
//! class, from the receipts of the operator's decisions (see
//! [`crate::stats`]).

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use serde_json::json;

use super::{CliResult, Failure, StatsArgs, print_json};
use crate::model::seconds_text;
use crate::say;
use crate::stats::{self, ClassStats};
use crate::workspace::Workspace;

/// `--since`: a day (`2026-03-01`, from its local midnight), a time (RFC
/// 3339), or a duration back from now (`7d`, `2weeks`, `36h`).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
        return Local
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{text} has no midnight in this time zone"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = humantime::parse_duration(text)
        && let Ok(d) = chrono::Duration::from_std(d)
        && let Some(t) = now.checked_sub_signed(d)
    {
        return Ok(t);
    }
    Err(format!(
        "`{text}` is not a day (2026-03-01), a time (2026-03-01T09:00:00Z) or a duration back \
         from now (7d, 2weeks, 36h)"
    ))
}

/// `3 (75 %)`: a count and its share; the count alone with nothing to
/// share.
fn with_share(n: usize, share: Option<f64>) -> String {
    match share {
        Some(s) => format!("{n} ({:.0} %)", s * 100.0),
        None => n.to_string(),
    }
}

fn secs(s: Option<f64>) -> String {
    s.map(seconds_text).unwrap_or_else(|| "-".into())
}

/// The table's rows: the header, then one row per class.
fn rows(classes: &[ClassStats]) -> Vec<Vec<String>> {
    let mut rows = vec![
        [
            "risk",
            "decided",
            "approved",
            "rejected",
            "median",
            "p90",
            "untimed",
            "no diff",
            "to end",
            "rolled back",
            "by policy",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for c in classes {
        let with_receipt = c.decided - c.no_receipt;
        rows.push(vec![
            c.risk.to_string(),
            c.decided.to_string(),
            with_share(c.approved, c.approval_rate),
            c.rejected.to_string(),
            secs(c.median_secs),
            secs(c.p90_secs),
            c.untimed.to_string(),
            with_share(c.without_diff, c.without_diff_share),
            with_share(
                c.read_to_end,
                (with_receipt > 0).then(|| c.read_to_end as f64 / with_receipt as f64),
            ),
            c.rolled_back.to_string(),
            match c.policy_rolled_back {
                0 => c.by_policy.to_string(),
                n => format!("{} ({n} rolled back)", c.by_policy),
            },
        ]);
    }
    rows
}

/// Rows as aligned text: the first column to the left, the others to the
/// right, two spaces apart.
fn table(rows: &[Vec<String>]) -> Vec<String> {
    let width = |i: usize| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..rows[0].len()).map(width).collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, w))| {
                    if i == 0 {
                        format!("{cell:<w$}")
                    } else {
                        format!("{cell:>w$}")
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

pub fn stats(ws: &Workspace, a: StatsArgs) -> CliResult {
    let since = a
        .since
        .as_deref()
        .map(|s| parse_since(s, Utc::now()))
        .transpose()
        .map_err(|e| Failure::usage(format!("--since {e}")))?;
    let review = ws.review(since);
    let sliders = ws.sliders();
    let hints = stats::hints(&review, |c| sliders.get(c));
    if a.json {
        print_json(&json!({
            "since": review.since,
            "classes": review.classes,
            "hints": hints,
        }));
        return Ok(0);
    }
    let decided: usize = review.classes.iter().map(|c| c.decided).sum();
    let policy: usize = review.classes.iter().map(|c| c.by_policy).sum();
    let since_text = review
        .since
        .as_deref()
        .map(|s| format!(" since {s}"))
        .unwrap_or_default();
    if decided == 0 && policy == 0 {
        say!("no turn decided{since_text}");
        return Ok(0);
    }
    say!("turns decided by the operator{since_text}, per risk class (by policy: landed by policy)");
    say!("");
    for line in table(&rows(&review.classes)) {
        say!("{line}");
    }
    say!("");
    say!("median, p90: time from first shown to decided; untimed: not known when shown");
    say!("no diff: decided without opening the diff; to end: its diff seen to the last line");
    say!("rolled back: approved, then rolled back");
    for h in &hints {
        say!("");
        say!("{}:", h.class);
        for line in h.lines.iter().filter(|l| !l.is_empty()) {
            say!("  {line}");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_day_a_time_or_a_duration_back() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t = |s: &str| parse_since(s, now).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2026-03-01T09:00:00Z").unwrap(),
            "2026-03-01T09:00:00+00:00"
        );
        assert_eq!(t("7d").unwrap(), "2026-03-03T12:00:00+00:00");
        assert_eq!(t("36h").unwrap(), "2026-03-09T00:00:00+00:00");
        let day = parse_since("2026-03-01", now).unwrap();
        assert_eq!(
            day.with_timezone(&Local).format("%F %T").to_string(),
            "2026-03-01 00:00:00"
        );
        assert!(t("yesterday-ish").unwrap_err().contains("is not a day"));
    }

    #[test]
    fn the_table_aligns_its_columns() {
        let rows = vec![
            vec!["risk".to_string(), "decided".into()],
            vec!["low".into(), "3".into()],
            vec!["medium".into(), "120".into()],
        ];
        assert_eq!(
            table(&rows),
            ["risk    decided", "low           3", "medium      120"]
        );
    }
}
