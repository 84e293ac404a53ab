//! The pipeline the pipeline tests share: a three-pass `post` task
//! (extract → draft → audit, the audit read-only) whose passes a script
//! runs, in a real repository.

use super::Repo;

/// The agent of every pass: `sh bin/pass.sh OUT KIND [FROM] [FLAG]`
/// writes OUT as KIND says.
pub const PASS_SH: &str = r#"#!/bin/sh
out="$1"
mkdir -p "$(dirname "$out")"
case "$2" in
  claims) printf '{"claims": [\n  {"text": "leash lands turns", "source": "README.md"},\n  {"text": "a pass has a contract", "source": "docs/pipelines.md"}\n]}\n' > "$out" ;;
  draft) printf '# Post\n\n## Summary\nFrom %s: leash lands turns, and each pass has a contract.\n\n## Sources\n- README.md\n' "$3" > "$out" ;;
  nosources) printf '# Post\n\n## Summary\nNothing cited. \033]0;pwned\007 \342\200\256gnp.exe\n' > "$out" ;;
  waits) while [ -f "$4" ]; do sleep 0.05; done
         printf '# Post\n\n## Summary\nFrom %s.\n\n## Sources\n- README.md\n' "$3" > "$out" ;;
  held) if [ -f "$4" ]; then exec sleep 600; fi
         printf '# Post\n\n## Summary\nFrom %s.\n\n## Sources\n- README.md\n' "$3" > "$out" ;;
  audit) printf 'every claim of %s is supported\n' "$3" > "$out" ;;
  audit-and-edit) printf 'one claim is unsupported\n' > "$out"; echo "edited by the audit" >> README.md ;;
esac
echo "wrote $out"
"#;

pub const CONFIG: &str = "default_risk = \"low\"\n\n[autonomy]\nlow = \"guarded\"\nmedium = \"review\"\nhigh = \"manual\"\n";

/// What the script writes in each pass, the draft's autonomy line (`""`,
/// or `autonomy = "review"` to hold it for review) and the audit's role.
pub struct Passes<'a> {
    pub extract: &'a str,
    pub draft: &'a str,
    pub audit: &'a str,
    pub draft_autonomy: &'a str,
    pub role: &'a str,
}

impl Default for Passes<'_> {
    fn default() -> Self {
        Passes {
            extract: "claims",
            draft: "draft",
            audit: "audit",
            draft_autonomy: "",
            role: "citation verifier",
        }
    }
}

impl Passes<'_> {
    /// The task as `.leash/tasks.toml` holds it.
    pub fn toml(&self) -> String {
        let Passes {
            extract,
            draft,
            audit,
            draft_autonomy,
            role,
        } = self;
        format!(
            r#"[[task]]
name = "post"
title = "Post"

[[task.pass]]
name = "extract"
command = ["sh", "bin/pass.sh", "{{out}}", "{extract}"]
out = "work/{{task}}/{{run}}/claims.json"
contract = {{ json = true }}

[[task.pass]]
name = "draft"
command = ["sh", "bin/pass.sh", "{{out}}", "{draft}", "{{extract.out}}"]
out = "posts/{{task}}-{{run}}.md"
contract = {{ headings = ["Summary", "Sources"] }}
{draft_autonomy}

[[task.pass]]
name = "audit"
mode = "read-only"
role = "{role}"
command = ["sh", "bin/pass.sh", "{{out}}", "{audit}", "{{draft.out}}"]
out = "work/{{task}}/{{run}}/audit.md"
"#
        )
    }
}

/// An initialised repository with [`CONFIG`], `tasks_toml` and the
/// script, committed.
pub fn repo(tasks_toml: &str) -> Repo {
    let r = Repo::initialised();
    r.write(".leash/config.toml", CONFIG);
    r.write(".leash/tasks.toml", tasks_toml);
    r.write("bin/pass.sh", PASS_SH);
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "a pipeline task"]);
    r
}

/// `leash run --task post` with the draft held for review, returned once
/// the draft's turn finished: extract landed, draft waiting, audit not
/// started. The run's supervisor goes on waiting, its output piped.
pub fn run_waiting_on_the_draft() -> (Repo, std::process::Child) {
    let r = repo(
        &Passes {
            draft_autonomy: "autonomy = \"review\"",
            ..Passes::default()
        }
        .toml(),
    );
    let child = r
        .cmd(&["run", "--task", "post"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    r.wait_for_event("the draft's turn finished", |e| {
        e["kind"] == "turn_finished" && e["turn"] == "t2"
    });
    (r, child)
}
