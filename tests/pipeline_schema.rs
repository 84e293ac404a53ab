//! A pass's JSON Schema contract through the binary: the schema is read as
//! committed at the pass's base, so what the pass does to it in its own
//! worktree changes nothing.

mod common;

use common::Repo;
use serde_json::Value;

/// `sh bin/pass.sh OUT KIND` writes OUT as KIND says.
const PASS_SH: &str = r#"#!/bin/sh
out="$1"
mkdir -p "$(dirname "$out")"
case "$2" in
  good) printf '{"claims": [{"text": "leash lands turns", "source": "README.md"}]}\n' > "$out" ;;
  nosource) printf '{"claims": [{"text": "leash lands turns"}]}\n' > "$out" ;;
  loosen) printf '{}\n' > schemas/claims.json
          printf '{"claims": [{"text": "leash lands turns"}]}\n' > "$out" ;;
esac
echo "wrote $out"
"#;

const SCHEMA: &str = r#"{
  "type": "object",
  "required": ["claims"],
  "properties": {
    "claims": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["text", "source"],
        "properties": {"text": {"type": "string"}, "source": {"type": "string"}}
      }
    }
  }
}
"#;

fn repo(kind: &str, schema: &str) -> Repo {
    let r = Repo::initialised();
    r.write(
        ".leash/config.toml",
        "default_risk = \"low\"\n\n[autonomy]\nlow = \"auto\"\nmedium = \"review\"\nhigh = \"manual\"\n",
    );
    r.write(
        ".leash/tasks.toml",
        &format!(
            r#"[[task]]
name = "post"
title = "Post"

[[task.pass]]
name = "extract"
command = ["sh", "bin/pass.sh", "{{out}}", "{kind}"]
out = "work/{{run}}/claims.json"
contract = {{ schema = "schemas/claims.json" }}
"#
        ),
    );
    r.write("bin/pass.sh", PASS_SH);
    r.write("schemas/claims.json", schema);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "a pipeline task with a schema"]);
    r
}

fn extract(r: &Repo) -> Value {
    let p = r.ok(&["pipeline", "show", "p1", "--json"]).json();
    p["passes"][0].clone()
}

#[test]
fn a_deliverable_valid_against_its_schema_lands() {
    let r = repo("good", SCHEMA);
    r.ok(&["run", "--task", "post"]);
    let e = extract(&r);
    assert_eq!(e["state"], "landed", "{e:#}");
    assert!(r.read("work/p1/claims.json").contains("README.md"));
}

#[test]
fn a_deliverable_that_breaks_its_schema_fails_naming_the_pointer_and_the_rule() {
    let r = repo("nosource", SCHEMA);
    assert_eq!(r.run(&["run", "--task", "post"]).code, 1);
    let e = extract(&r);
    assert_eq!(e["failure"], "contract_violation", "{e:#}");
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(
            "failed with contract_violation: work/p1/claims.json: /claims/0: \"source\" is a \
             required property; "
        ),
        "{reason}"
    );
}

#[test]
fn a_schema_loosened_in_the_pass_worktree_is_not_the_one_used() {
    let r = repo("loosen", SCHEMA);
    assert_eq!(r.run(&["run", "--task", "post"]).code, 1);
    let e = extract(&r);
    assert_eq!(e["failure"], "contract_violation", "{e:#}");
    assert!(
        e["reason"]
            .as_str()
            .unwrap()
            .contains("work/p1/claims.json: /claims/0: \"source\" is a required property"),
        "{e:#}"
    );
}

#[test]
fn a_schema_that_is_not_a_schema_fails_naming_it() {
    let r = repo("good", "{\"type\": 12}\n");
    assert_eq!(r.run(&["run", "--task", "post"]).code, 1);
    let e = extract(&r);
    assert_eq!(e["failure"], "contract_violation", "{e:#}");
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "work/p1/claims.json: its schema schemas/claims.json cannot be used: not a valid JSON \
             Schema"
        ),
        "{reason}"
    );
}

#[test]
fn a_schema_missing_at_the_pass_base_fails_naming_it() {
    let r = repo("good", SCHEMA);
    r.git(&["rm", "-q", "schemas/claims.json"]);
    r.git(&["commit", "-q", "-m", "no schema"]);
    assert_eq!(r.run(&["run", "--task", "post"]).code, 1);
    let e = extract(&r);
    let reason = e["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "work/p1/claims.json: its schema schemas/claims.json cannot be used: not committed \
             at the pass's base"
        ),
        "{reason}"
    );
}
