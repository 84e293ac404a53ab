//! `routing`: the routing table (e.g. `operations/README.md`) is how an
//! agent finds its way, so each route must lead somewhere, and each folder
//! must be reachable from it.
//!
//! Routes are the table's links and backticked paths (outside fenced code),
//! looked up relative to the table's folder, then to the root. A direct
//! subfolder of a configured folder is routed when some route names it or
//! something inside it. Hidden subfolders need no route.

use std::collections::HashSet;

use super::markdown::scan;
use super::options::Options;
use super::tree::{self, Entry, Tree};
use super::{Context, Report, dangling, finding};

/// The options `routing` knows.
pub(crate) const KEYS: &[&str] = &["table", "folders"];

/// A `routing` invariant.
pub(crate) struct Spec {
    table: String,
    folders: Vec<String>,
}

/// Reads the options of a `routing` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    Ok(Spec {
        table: o.req_path(
            "table",
            "the routing table, a path such as \"operations/README.md\"",
        )?,
        folders: o
            .paths("folders", "an array of folders such as [\"operations\"]")?
            .unwrap_or_default(),
    })
}

/// Checks the routes and the routed folders.
pub(crate) fn check(t: &Tree, s: &Spec, ctx: &Context) -> Result<Report, String> {
    let table = s.table.as_str();
    match t.stat(table) {
        Entry::File => {}
        Entry::Missing => {
            return Ok(Report::findings(vec![finding(
                table,
                None,
                "the routing table does not exist",
            )]));
        }
        _ => {
            return Ok(Report::findings(vec![finding(
                table,
                None,
                "the routing table is not a file",
            )]));
        }
    }
    let text = String::from_utf8_lossy(&t.read(table)?).into_owned();
    let dir = tree::parent(table);
    let mut findings = Vec::new();
    // Every route and each of its ancestors: a folder is routed when it is
    // in here, which keeps the check linear in routes plus folders.
    let mut named: HashSet<String> = HashSet::new();
    for m in scan(&text, false) {
        let path = tree::expand_dates(&m.path, ctx.today);
        let cands = tree::candidates(dir, &path);
        let hits: Vec<&String> = match cands.iter().find(|c| t.exists(c)) {
            Some(found) => vec![found],
            None => {
                findings.push(dangling(table, m.line, "route", &m.raw, &cands));
                cands.iter().collect()
            }
        };
        for hit in hits {
            let mut p = hit.as_str();
            while !p.is_empty() && named.insert(p.to_string()) {
                p = tree::parent(p);
            }
        }
    }
    for folder in &s.folders {
        if t.stat(folder) != Entry::Dir {
            findings.push(finding(
                tree::show(folder),
                None,
                "configured folder does not exist",
            ));
            continue;
        }
        for sub in t.subdirs(folder)? {
            if !tree::file_name(&sub).starts_with('.') && !named.contains(&sub) {
                findings.push(finding(
                    &sub,
                    None,
                    format!("folder is not routed from {table}"),
                ));
            }
        }
    }
    Ok(Report::findings(findings))
}

#[cfg(test)]
mod tests {
    use crate::invariants::testutil::*;
    use crate::invariants::{Outcome, run_one};

    const CFG: &str = "table = \"operations/README.md\"\nfolders = [\"operations\"]";

    #[test]
    fn passes_when_routes_exist_and_folders_are_routed() {
        let t = tree(&[
            (
                "operations/README.md",
                "| task | where |\n|---|---|\n| deploy | [deploy](deploy/README.md) |\n\
                 | triage | `operations/triage/` |\n| site | [docs](../docs/index.md#top) |\n",
            ),
            ("operations/deploy/README.md", "d"),
            ("operations/triage/steps.md", "t"),
            ("operations/.scratch/x", "hidden"),
            ("docs/index.md", "i"),
        ]);
        let r = run_one(t.path(), &inv("route", "routing", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn dangling_routes_and_unrouted_folders() {
        let t = tree(&[
            (
                "operations/README.md",
                "# Routes\n- [deploy](deploy/README.md)\n- `operations/gone/README.md`\n\
                 ```\n[not a route](nowhere/)\n```\n",
            ),
            ("operations/deploy/README.md", "d"),
            ("operations/triage/x.md", "t"),
        ]);
        let r = run_one(t.path(), &inv("route", "routing", CFG), &ctx());
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![
                "operations/README.md:3 route `operations/gone/README.md` does not exist \
                 (looked for operations/operations/gone/README.md and operations/gone/README.md) \
                 [operations/gone/README.md]",
                "operations/triage folder is not routed from operations/README.md",
            ]
        );
    }

    #[test]
    fn missing_table_and_bad_config() {
        let t = tree(&[("operations/x/", "")]);
        let r = run_one(t.path(), &inv("route", "routing", CFG), &ctx());
        assert_eq!(
            lines(&r),
            vec!["operations/README.md the routing table does not exist"]
        );
        let r = run_one(
            t.path(),
            &inv("route", "routing", "folders = [\"operations\"]"),
            &ctx(),
        );
        assert_eq!(r.outcome, Outcome::Degraded);
        assert!(r.detail.contains("missing option `table`"), "{}", r.detail);
        let r = run_one(
            t.path(),
            &inv(
                "route",
                "routing",
                "table = \"a.md\"\nfolders = \"operations\"",
            ),
            &ctx(),
        );
        assert_eq!(r.outcome, Outcome::Degraded);
        assert!(
            r.detail.contains("`folders` must be an array of folders"),
            "{}",
            r.detail
        );
    }
}
