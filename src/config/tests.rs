use super::*;
use std::time::Duration;

use crate::model::AutonomyLevel;
use crate::model::AutonomyLevel::*;
use crate::model::RiskClass::*;

fn cfg_path() -> &'static Path {
    Path::new(".leash/config.toml")
}

fn tasks_path() -> &'static Path {
    Path::new(".leash/tasks.toml")
}

#[test]
fn confinement_keys() {
    let c = cfg(
        "[run]\nconfine = \"require\"\nnetwork = \"deny\"\nallow_connect_ports = [443, 8443]\n",
    );
    assert_eq!(c.run.confine, ConfineMode::Require);
    assert_eq!(c.run.network, NetworkMode::Deny);
    assert_eq!(c.run.allow_connect_ports, vec![443, 8443]);
    let d = WorkspaceConfig::default();
    assert_eq!(d.run.confine, ConfineMode::Auto);
    assert_eq!(d.run.network, NetworkMode::Open);
    assert_eq!(d.run.allow_connect_ports, vec![443]);
    cfg_err(
        "[run]\nconfine = \"maybe\"\n",
        2,
        11,
        &["`maybe` is not a confinement mode", "auto, require, off"],
    );
    cfg_err(
        "[run]\nallow_connect_ports = [443, 70000]\n",
        2,
        29,
        &["`70000` is not a TCP port", "1 to 65535"],
    );
    let a = cfg(
        "[agents.c]\ncommand = [\"claude\"]\nformat = \"claude\"\nwritable = [\"~/.claude\", \"/var/x\"]\n",
    );
    assert_eq!(
        a.agents["c"].writable,
        Some(vec!["~/.claude".to_string(), "/var/x".to_string()])
    );
    cfg_err(
        "[agents.c]\ncommand = [\"claude\"]\nwritable = [\"~/.claude\", \"rel/x\"]\n",
        3,
        26,
        &["`rel/x`", "agent `c`", "neither absolute nor under `~/`"],
    );
}

fn cfg(text: &str) -> WorkspaceConfig {
    parse_workspace_config(text, cfg_path()).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses `text` expecting an error at `line`:`column` whose message
/// contains every one of `needles`.
#[track_caller]
fn cfg_err(text: &str, line: usize, column: usize, needles: &[&str]) -> ConfigError {
    let e = parse_workspace_config(text, cfg_path()).expect_err("expected an error");
    check_err(&e, cfg_path(), line, column, needles);
    e
}

#[track_caller]
fn tasks_err(text: &str, line: usize, column: usize, needles: &[&str]) -> ConfigError {
    let e = parse_tasks(text, tasks_path()).expect_err("expected an error");
    check_err(&e, tasks_path(), line, column, needles);
    e
}

#[track_caller]
fn check_err(e: &ConfigError, path: &Path, line: usize, column: usize, needles: &[&str]) {
    assert_eq!(e.path, path, "{e}");
    assert_eq!((e.line, e.column), (line, column), "{e}");
    for n in needles {
        assert!(e.message.contains(n), "`{n}` not in: {e}");
    }
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

fn template_config() -> WorkspaceConfig {
    cfg(CONFIG_TEMPLATE)
}

fn date(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn defaults_are_the_documented_ones() {
    let d = WorkspaceConfig::default();
    assert_eq!(d.default_risk, Medium);
    assert_eq!(
        (d.autonomy.low, d.autonomy.medium, d.autonomy.high),
        (Guarded, Review, Manual)
    );
    assert!(d.risk.is_empty() && d.agents.is_empty() && d.invariants.is_empty());
    assert_eq!(d.gate.approval_timeout, Duration::from_secs(600));
    assert_eq!(d.gate.unattended, Unattended::Deny);
    assert_eq!(d.run.timeout, None);
    assert_eq!(d.run.grace, Duration::from_secs(10));
    // An empty or comment-only file is the defaults too.
    assert_eq!(cfg(""), d);
    assert_eq!(cfg("# nothing here\n\n"), d);
    assert_eq!(cfg("[gate]\n[run]\n[autonomy]\n"), d);
}

#[test]
fn sliders_get_set_and_serde() {
    let mut s = Sliders::default();
    for class in RiskClass::ALL {
        for level in AutonomyLevel::ALL {
            s.set(*class, *level);
            assert_eq!(s.get(*class), *level);
        }
    }
    let s = Sliders::default();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(
        json,
        r#"{"low":"guarded","medium":"review","high":"manual"}"#
    );
    assert_eq!(serde_json::from_str::<Sliders>(&json).unwrap(), s);
    assert_eq!(
        serde_json::from_str::<Sliders>(r#"{"high":"auto"}"#)
            .unwrap()
            .high,
        Auto
    );
    assert!(serde_json::from_str::<Sliders>(r#"{"hgih":"auto"}"#).is_err());
}

#[test]
fn config_template_parses_to_the_documented_values() {
    let c = template_config();
    assert_eq!(c.default_risk, Medium);
    assert_eq!(c.autonomy, Sliders::default());
    assert_eq!(
        c.risk,
        vec![
            RiskRule {
                paths: argv(&["operations/**", "AGENTS.md"]),
                commands: vec![],
                tools: vec![],
                class: High,
                lower: false,
            },
            RiskRule {
                paths: vec![],
                commands: argv(&["git push*", "curl *", "rm -rf *"]),
                tools: vec![],
                class: High,
                lower: false,
            },
        ]
    );
    let mut agents = BTreeMap::new();
    agents.insert(
        "claude".to_string(),
        AgentConfig {
            command: argv(&[
                "claude",
                "-p",
                "{prompt}",
                "--output-format",
                "stream-json",
                "--verbose",
            ]),
            format: AgentFormat::Claude,
            writable: None,
            confine: None,
        },
    );
    agents.insert(
        "codex".to_string(),
        AgentConfig {
            command: argv(&[
                "codex",
                "exec",
                "--json",
                "--sandbox",
                "danger-full-access",
                "{prompt}",
            ]),
            format: AgentFormat::Codex,
            writable: None,
            confine: Some(ConfineMode::Require),
        },
    );
    assert_eq!(c.agents, agents);
    assert_eq!(c.gate, GateConfig::default());
    assert_eq!(c.run, RunConfig::default());
    assert!(c.invariants.is_empty());
    // The rules compile and mean what the template's comments say.
    let rules = crate::policy::RiskRules::compile(&c.risk).unwrap();
    assert_eq!(rules.classify_path("operations/x.md").unwrap().class, High);
    assert!(rules.classify_path("docs/AGENTS.md").is_none());
    assert_eq!(
        rules.classify_command("cd x && git push").unwrap().class,
        High
    );
}

/// Lines of the template that are commented-out keys, switched on.
fn uncomment(template: &str) -> String {
    template
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.starts_with("[[")
                    || rest.split_once(" = ").is_some_and(|(k, _)| {
                        !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    }) =>
            {
                rest.to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn config_template_shows_every_key_and_its_examples_parse() {
    for key in [
        "default_risk",
        "[autonomy]",
        "low",
        "medium",
        "high",
        "[[risk]]",
        "paths",
        "commands",
        "tools",
        "class",
        "lower",
        "[agents.",
        "command",
        "format",
        "[gate]",
        "approval_timeout",
        "unattended",
        "[run]",
        "timeout",
        "grace",
        "confine",
        "network",
        "allow_connect_ports",
        "writable",
        "[provenance]",
        "prompts",
        "[notify]",
        "[[invariant]]",
        "name",
        "kind",
    ] {
        assert!(CONFIG_TEMPLATE.contains(key), "template lacks `{key}`");
    }
    let on = uncomment(CONFIG_TEMPLATE);
    assert_ne!(on, CONFIG_TEMPLATE);
    let c = cfg(&on);
    assert_eq!(c.run.timeout, Some(Duration::from_secs(30 * 60)));
    assert_eq!(c.provenance.prompts, Prompts::Private);
    assert_eq!(
        c.notify.command,
        Some(argv(&[
            "ntfy",
            "publish",
            "my-leash-topic",
            "{title}: {body}"
        ]))
    );
    let names: Vec<_> = c.invariants.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "boot sequence",
            "folders have a README",
            "routing table",
            "no dangling pointers",
            "store separation",
            "memory layout",
            "deliverable",
            "tests pass",
            "sources read"
        ]
    );
    // Every kind of DESIGN §6 has its commented example.
    let kinds: Vec<_> = c.invariants.iter().map(|i| i.kind.as_str()).collect();
    assert_eq!(kinds, INVARIANT_KINDS);
    assert_eq!(
        c.invariants[3].options.get("roots"),
        Some(&toml::Value::Array(vec![toml::Value::String(".".into())]))
    );
    assert_eq!(c.invariants[7].options.len(), 2);
    // Apart from what was switched on, nothing changed.
    // The commented `tools` rule, then the `lower` one.
    let n = c.risk.len();
    assert_eq!(c.risk[n - 2].tools, vec!["mcp__*".to_string()]);
    assert_eq!(
        (c.risk[n - 1].paths.clone(), c.risk[n - 1].lower),
        (vec!["docs/notes/**".to_string()], true)
    );
    let mut rest = c.clone();
    rest.risk.truncate(n - 2);
    rest.invariants.clear();
    rest.run.timeout = None;
    assert_eq!(c.run.confine, ConfineMode::Require);
    assert_eq!(c.run.network, NetworkMode::Deny);
    assert_eq!(c.run.allow_connect_ports, vec![443]);
    rest.run.confine = ConfineMode::Auto;
    rest.run.network = NetworkMode::Open;
    rest.provenance.prompts = Prompts::Public;
    rest.notify.command = None;
    assert_eq!(rest, template_config());
}

#[test]
fn tasks_template_parses_and_checks_against_the_config_template() {
    let t = parse_tasks(TASKS_TEMPLATE, tasks_path()).unwrap();
    check_tasks(&t, &template_config(), tasks_path()).unwrap();
    assert_eq!(t.tasks.len(), 2);
    let draft = t.find("draft-post").unwrap();
    assert_eq!(draft.agent.as_deref(), Some("claude"));
    assert_eq!(draft.risk, Some(Medium));
    assert_eq!(draft.autonomy, Some(Review));
    assert_eq!(
        draft.prompt.as_deref(),
        Some("Draft the post from docs/outline.md into memory/{today}/draft.md")
    );
    assert_eq!(
        draft.deliverable.as_deref(),
        Some("memory/{today}/draft.md")
    );
    assert_eq!(draft.command, None);
    let format = t.find("format").unwrap();
    assert_eq!(format.agent.as_deref(), Some("generic"));
    assert_eq!(format.command, Some(argv(&["cargo", "fmt", "--all"])));
    assert_eq!(format.prompt, None);
    assert_eq!(format.risk, Some(Low));
    assert!(t.find("nope").is_none());
    for key in [
        "name",
        "agent",
        "prompt",
        "command",
        "risk",
        "title",
        "deliverable",
        "autonomy",
    ] {
        assert!(
            TASKS_TEMPLATE.contains(&format!("{key} ")),
            "tasks template lacks `{key}`"
        );
    }
    // Without config.toml there are no agents, so `claude` is unknown.
    let e = check_tasks(&t, &WorkspaceConfig::default(), tasks_path()).unwrap_err();
    let line = TASKS_TEMPLATE
        .lines()
        .position(|l| l == "agent = \"claude\"")
        .unwrap()
        + 1;
    check_err(
        &e,
        tasks_path(),
        line,
        9,
        &["agent `claude`", "no agents are configured"],
    );
}

#[test]
fn full_config_is_read() {
    let c = cfg(r#"
default_risk = "low"

[autonomy]
medium = "auto"

[[risk]]
paths = ["a/**"]
commands = ["make *"]
class = "medium"

[agents]
mine = { command = ["my-agent", "{prompt}"] }

[gate]
approval_timeout = "1h 30m"
unattended = "ask"

[run]
timeout = "45s"
grace = "500ms"

[[invariant]]
name = "layout"
kind = "layout"
root = "memory"
pattern = "YYYY-MM-DD/**"
fix = "YYYY-MM-DD/notes.md"
"#);
    assert_eq!(c.default_risk, Low);
    assert_eq!(
        c.autonomy,
        Sliders {
            low: Guarded,
            medium: Auto,
            high: Manual
        }
    );
    assert_eq!(c.risk.len(), 1);
    assert_eq!(c.risk[0].class, Medium);
    assert_eq!(c.agents["mine"].format, AgentFormat::Generic);
    assert_eq!(c.agents["mine"].command, argv(&["my-agent", "{prompt}"]));
    assert_eq!(c.gate.approval_timeout, Duration::from_secs(5400));
    assert_eq!(c.gate.unattended, Unattended::Ask);
    assert_eq!(c.run.timeout, Some(Duration::from_secs(45)));
    assert_eq!(c.run.grace, Duration::from_millis(500));
    let inv = &c.invariants[0];
    assert_eq!((inv.name.as_str(), inv.kind.as_str()), ("layout", "layout"));
    assert_eq!(
        inv.options.get("root").and_then(|v| v.as_str()),
        Some("memory")
    );
    assert_eq!(
        inv.options.get("fix").and_then(|v| v.as_str()),
        Some("YYYY-MM-DD/notes.md")
    );
    assert_eq!(
        inv.options.get("pattern").and_then(|v| v.as_str()),
        Some("YYYY-MM-DD/**")
    );
    assert!(!inv.options.contains_key("name") && !inv.options.contains_key("kind"));
}

#[test]
fn unknown_keys_are_errors_at_the_key() {
    let e = cfg_err(
        "# policy\n\ndefualt_risk = \"low\"\n",
        3,
        1,
        &[
            "unknown field `defualt_risk`, expected one of `default_risk`",
            "did you mean `default_risk`?",
        ],
    );
    assert_eq!(
        e.to_string(),
        format!(".leash/config.toml:3:1: {}", e.message)
    );
    cfg_err(
        "[autonomy]\nlow = \"auto\"\n  lwo = \"auto\"\n",
        3,
        3,
        &[
            "unknown field `lwo`",
            "(in `autonomy`)",
            "did you mean `low`?",
        ],
    );
    cfg_err(
        "[[risk]]\npaths = [\"x\"]\nclass = \"high\"\ncomands = [\"y\"]\n",
        4,
        1,
        &["unknown field `comands`", "did you mean `commands`?"],
    );
    cfg_err(
        "[agents.x]\ncommand = [\"x\"]\nformt = \"codex\"\n",
        3,
        1,
        &["unknown field `formt`", "(in `agents.x`)"],
    );
    cfg_err(
        "[gate]\ntimeout = \"1m\"\n",
        2,
        1,
        &[
            "unknown field `timeout`",
            "expected one of `approval_timeout`, `unattended`, `allowed`",
        ],
    );
    cfg_err(
        "[run]\ngrase = \"1s\"\n",
        2,
        1,
        &["unknown field `grase`", "did you mean `grace`?"],
    );
    cfg_err(
        "[[risks]]\nclass = \"high\"\n",
        1,
        3,
        &["unknown field `risks`", "did you mean `risk`?"],
    );
    cfg_err(
        "[agent.claude]\n",
        1,
        2,
        &["unknown field `agent`", "did you mean `agents`?"],
    );
    // Nothing close: no guess is offered.
    let e = cfg_err("zzzzzzzz = 1\n", 1, 1, &["unknown field `zzzzzzzz`"]);
    assert!(!e.message.contains("did you mean"), "{e}");
    tasks_err(
        "[[tasks]]\nname = \"a\"\n",
        1,
        3,
        &["unknown field `tasks`, expected `task`"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverables = \"x\"\n",
        4,
        1,
        &[
            "unknown field `deliverables`",
            "did you mean `deliverable`?",
        ],
    );
}

#[test]
fn bad_words_say_what_is_accepted() {
    cfg_err(
        "default_risk = \"hihg\"\n",
        1,
        16,
        &["`hihg` is not a risk class; expected one of: low, medium, high"],
    );
    cfg_err(
        "default_risk = 3\n",
        1,
        16,
        &["expected one of: low, medium, high"],
    );
    cfg_err(
        "[autonomy]\nmedium = \"gaurded\"\n",
        2,
        10,
        &[
            "`gaurded` is not an autonomy level; expected one of: manual, review, guarded, auto",
            "(in `autonomy.medium`)",
        ],
    );
    cfg_err(
        "[agents.x]\ncommand = [\"x\"]\nformat = \"gpt\"\n",
        3,
        10,
        &["`gpt` is not an agent format; expected one of: claude, codex, generic"],
    );
    cfg_err(
        "[gate]\nunattended = \"allow\"\n",
        2,
        14,
        &["`allow` is not an unattended policy; expected one of: deny, ask"],
    );
    cfg_err(
        "[provenance]\nprompts = \"secret\"\n",
        2,
        11,
        &["`secret` is not a prompts setting; expected one of: public, private"],
    );
    cfg_err(
        "[[risk]]\npaths = [\"x\"]\nclass = \"Huge\"\n",
        3,
        9,
        &["expected one of: low, medium, high"],
    );
    // Words are case-sensitive, like the journal's.
    cfg_err(
        "default_risk = \"High\"\n",
        1,
        16,
        &["`High` is not a risk class"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\nrisk = \"severe\"\n",
        4,
        8,
        &[
            "`severe` is not a risk class; expected one of: low, medium, high",
            "(in `task.risk`)",
        ],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\nautonomy = \"yolo\"\n",
        4,
        12,
        &["expected one of: manual, review, guarded, auto"],
    );
    assert!(
        "x".parse::<AgentFormat>()
            .unwrap_err()
            .contains("claude, codex, generic")
    );
    assert_eq!("ask".parse::<Unattended>(), Ok(Unattended::Ask));
    assert_eq!(AgentFormat::Codex.to_string(), "codex");
}

#[test]
fn bad_types_say_what_was_expected() {
    cfg_err(
        "autonomy = \"auto\"\n",
        1,
        12,
        &["expected a table of autonomy levels"],
    );
    cfg_err(
        "[agents.x]\ncommand = \"claude -p\"\n",
        2,
        11,
        &["expected an array of strings such as [\"program\", \"arg\"]"],
    );
    cfg_err(
        "[agents.x]\ncommand = [\"a\", 2]\n",
        2,
        17,
        &["expected a string", "(in `agents.x.command`)"],
    );
    cfg_err(
        "[[risk]]\npaths = \"a/**\"\nclass = \"high\"\n",
        2,
        9,
        &["expected a sequence"],
    );
    cfg_err(
        "[[invariant]]\nname = 3\nkind = \"boot\"\n",
        2,
        8,
        &["expected a string", "(in `invariant.name`)"],
    );
    tasks_err("[[task]]\nname = [\"a\"]\n", 2, 8, &["expected a string"]);
}

#[test]
fn toml_syntax_errors_have_positions() {
    cfg_err(
        "default_risk = \n",
        1,
        16,
        &["string values must be quoted"],
    );
    cfg_err(
        "[gate]\nunattended = \"deny\"\n\n[gate]\n",
        4,
        2,
        &["duplicate key `gate`"],
    );
    cfg_err(
        "[gate]\nunattended = \"deny\"\nunattended = \"ask\"\n",
        3,
        1,
        &["duplicate key `unattended`"],
    );
}

#[test]
fn bad_durations_say_what_a_duration_looks_like() {
    let want = "expected a duration such as \"10m\" or \"90s\"";
    cfg_err(
        "[gate]\napproval_timeout = \"ten minutes\"\n",
        2,
        20,
        &[
            "`ten minutes` is not a duration",
            want,
            "(in `gate.approval_timeout`)",
        ],
    );
    cfg_err(
        "[gate]\napproval_timeout = 600\n",
        2,
        20,
        &["invalid type: integer `600`", want],
    );
    cfg_err(
        "[run]\ngrace = \"5 parsecs\"\n",
        2,
        9,
        &["`5 parsecs` is not a duration", want],
    );
    cfg_err("[run]\ntimeout = \"\"\n", 2, 11, &[want]);
    cfg_err(
        "[run]\ntimeout = \"0s\"\n",
        2,
        11,
        &[
            "`timeout` must be longer than zero",
            "leave `timeout` out for no limit",
        ],
    );
    cfg_err(
        "[gate]\napproval_timeout = \"0m\"\n",
        2,
        20,
        &["`approval_timeout` must be longer than zero"],
    );
    // A zero grace is allowed: it means "kill at once".
    assert_eq!(cfg("[run]\ngrace = \"0s\"\n").run.grace, Duration::ZERO);
}

#[test]
fn invalid_globs_are_errors_at_their_string() {
    cfg_err(
        "[[risk]]\npaths = [\"ok/**\", \"a/[b\"]\nclass = \"high\"\n",
        2,
        19,
        &["invalid path glob `a/[b`", "unclosed character class"],
    );
    cfg_err(
        "[[risk]]\nclass = \"high\"\ncommands = [\n  \"git push*\",\n  \"git {push,pull\",\n]\n",
        5,
        3,
        &[
            "invalid command pattern `git {push,pull`",
            "unclosed alternate group",
        ],
    );
    cfg_err(
        "[[risk]]\nclass = \"high\"\ncommands = [\"git push\", \"git 'push\"]\n",
        3,
        25,
        &[
            "invalid command pattern `git 'push`",
            "quote is never closed",
        ],
    );
    cfg_err(
        "[[risk]]\nclass = \"high\"\ncommands = [\"-rf *\"]\n",
        3,
        13,
        &["expected the command's name first"],
    );
    cfg_err(
        "[[risk]]\nclass = \"high\"\ncommands = [\"*\"]\n",
        3,
        13,
        &["would match every command"],
    );
    cfg_err(
        "[[risk]]\nclass = \"high\"\ntools = [\"mcp__*\", \"mcp__[x\"]\n",
        3,
        20,
        &["invalid tool glob `mcp__[x`", "unclosed character class"],
    );
    cfg_err(
        "[[risk]]\nclass = \"high\"\ntools = [\"\"]\n",
        3,
        10,
        &["empty tool pattern"],
    );
    let c = cfg("[[risk]]\nclass = \"high\"\ntools = [\"mcp__*\"]\n");
    assert_eq!(c.risk[0].tools, ["mcp__*"]);
    cfg_err(
        "[[risk]]\npaths = [\"[z-a]\"]\nclass = \"low\"\n",
        2,
        10,
        &["invalid path glob `[z-a]`", "invalid range"],
    );
    // Columns count characters, not bytes (bytes would say 22).
    cfg_err(
        "[[risk]]\npaths = [\"ünï/**\", \"[x\"]\nclass = \"high\"\n",
        2,
        20,
        &["invalid path glob `[x`"],
    );
    cfg_err(
        "[[risk]]\npaths = [\"\"]\nclass = \"low\"\n",
        2,
        10,
        &["empty path pattern"],
    );
    cfg_err(
        "[[risk]]\ncommands = [\" \"]\nclass = \"low\"\n",
        2,
        13,
        &["empty command pattern"],
    );
    cfg_err(
        "[[risk]]\npaths = [\"/AGENTS.md\"]\nclass = \"high\"\n",
        2,
        10,
        &["would never match", "expected `AGENTS.md`"],
    );
    cfg_err(
        "[[risk]]\npaths = [\"./ops/**\"]\nclass = \"high\"\n",
        2,
        10,
        &["expected `ops/**`"],
    );
}

#[test]
fn risk_rules_need_a_subject_and_a_class() {
    cfg_err(
        "[[risk]]\npaths = [\"a\"]\nclass = \"low\"\n\n[[risk]]\nclass = \"high\"\n",
        5,
        1,
        &["neither `paths` nor `commands`"],
    );
    cfg_err(
        "[[risk]]\npaths = []\ncommands = []\nclass = \"high\"\n",
        1,
        1,
        &["neither `paths` nor `commands`"],
    );
    cfg_err(
        "[[risk]]\ncommands = [\"x\"]\n",
        1,
        1,
        &["no `class`", "low, medium, high"],
    );
    cfg_err(
        "risk = [\n  { paths = [\"x\"], class = \"low\" },\n  { class = \"low\" },\n]\n",
        3,
        3,
        &["neither"],
    );
}

#[test]
fn agents_need_a_command() {
    cfg_err(
        "[agents.claude]\ncommand = []\nformat = \"claude\"\n",
        2,
        11,
        &[
            "the command of agent `claude` is empty",
            "expected an argv array",
        ],
    );
    cfg_err(
        "[agents.x]\nformat = \"codex\"\n",
        1,
        1,
        &["agent `x` has no `command`"],
    );
    cfg_err("[agents]\nx = {}\n", 2, 5, &["agent `x` has no `command`"]);
    cfg_err(
        "[agents.x]\ncommand = [\"\", \"-p\"]\n",
        2,
        11,
        &["empty program name"],
    );
}

#[test]
fn invariants_need_a_name_and_a_known_kind() {
    cfg_err(
        "\n[[invariant]]\nkind = \"boot\"\n",
        2,
        1,
        &["has no `name`"],
    );
    cfg_err(
        "[[invariant]]\nname = \"x\"\n",
        1,
        1,
        &["invariant `x` has no `kind`", "boot, readme"],
    );
    cfg_err(
        "[[invariant]]\nname = \"\"\nkind = \"boot\"\n",
        2,
        8,
        &["name is empty"],
    );
    cfg_err(
        "[[invariant]]\nname = \"x\"\nkind = \"refs\"\n",
        3,
        8,
        &["`refs` is not an invariant kind; expected one of: boot, readme, routing, references"],
    );
    cfg_err(
        "[[invariant]]\nname = \"x\"\nkind = \"boot\"\nmanifest = \"A.md\"\n[[invariant]]\nname = \"x\"\nkind = \"readme\"\n",
        6,
        8,
        &["duplicate invariant name `x`", "line 2"],
    );
    cfg_err(
        "[[invariant]]\nname = \"x\"\nkind = 1\n",
        3,
        8,
        &["expected a string"],
    );
    // A kind's own keys are checked by the loader (see
    // invariants::tests::the_loader_checks_a_kinds_own_keys), at the table.
    let c = cfg("[[invariant]]\nname = \"r\"\nkind = \"readme\"\nrots = [\".\"]\n");
    assert_eq!(c.invariants[0].at, Pos { line: 1, column: 1 });
}

#[test]
fn tasks_are_read() {
    let t = parse_tasks(
        "[[task]]\nname = \"a\"\nprompt = \"do it\"\n\n[[task]]\nname = \"b\"\ncommand = [\"make\"]\ntitle = \"Build\"\n",
        tasks_path(),
    )
    .unwrap();
    let a = t.find("a").unwrap();
    assert_eq!(a.prompt.as_deref(), Some("do it"));
    assert_eq!(
        (a.agent.clone(), a.risk, a.autonomy, a.command.clone()),
        (None, None, None, None)
    );
    assert_eq!(a.at, Pos { line: 1, column: 1 });
    assert_eq!(a.agent_at, Pos::default());
    let b = t.find("b").unwrap();
    assert_eq!(b.command, Some(argv(&["make"])));
    assert_eq!(b.title.as_deref(), Some("Build"));
    assert_eq!(b.at, Pos { line: 5, column: 1 });
    assert_eq!(
        parse_tasks("", tasks_path()).unwrap(),
        TasksConfig::default()
    );
}

#[test]
fn task_errors() {
    tasks_err("[[task]]\nprompt = \"p\"\n", 1, 1, &["has no `name`"]);
    tasks_err(
        "[[task]]\nname = \" \"\nprompt = \"p\"\n",
        2,
        8,
        &["task name is empty"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\n\n[[task]]\nname = \"b\"\nprompt = \"q\"\n\n[[task]]\nname = \"a\"\ncommand = [\"x\"]\n",
        10,
        8,
        &["duplicate task name `a`", "already used at line 2"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\n\n[[task]]\nname = \"lazy\"\nrisk = \"low\"\n",
        5,
        1,
        &["task `lazy` has neither `prompt` nor `command`"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"\"\n",
        3,
        10,
        &["prompt of task `a` is empty"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\ncommand = []\n",
        3,
        11,
        &["command of task `a` is empty"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\ncommand = [\"\"]\n",
        3,
        11,
        &["empty program name"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nagent = \"\"\nprompt = \"p\"\n",
        3,
        9,
        &["agent of task `a` is empty"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverable = \"/etc/passwd\"\n",
        4,
        15,
        &["deliverable of task `a` is absolute"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverable = \"out/../../x\"\n",
        4,
        15,
        &["leaves the repository"],
    );
    tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\ndeliverable = \"\"\n",
        4,
        15,
        &["deliverable of task `a` is empty"],
    );
}

#[test]
fn check_tasks_knows_the_configured_agents() {
    let config = template_config();
    let check = |text: &str, c: &WorkspaceConfig| {
        let t = parse_tasks(text, tasks_path()).unwrap();
        check_tasks(&t, c, tasks_path())
    };
    let e = check(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\nagent = \"claude\"\n\n[[task]]\nname = \"b\"\nprompt = \"p\"\nagent = \"gpt\"\n",
        &config,
    )
    .unwrap_err();
    check_err(
        &e,
        tasks_path(),
        9,
        9,
        &[
            "task `b` names agent `gpt`, which is not configured",
            "configured agents: claude, codex",
        ],
    );
    // `generic` needs no entry when the task brings its own command…
    check(
        "[[task]]\nname = \"a\"\nagent = \"generic\"\ncommand = [\"make\"]\n",
        &config,
    )
    .unwrap();
    check(
        "[[task]]\nname = \"a\"\nagent = \"generic\"\ncommand = [\"make\"]\n",
        &WorkspaceConfig::default(),
    )
    .unwrap();
    // …but has nothing to run without one.
    let e = check(
        "[[task]]\nname = \"a\"\nagent = \"generic\"\nprompt = \"p\"\n",
        &config,
    )
    .unwrap_err();
    check_err(
        &e,
        tasks_path(),
        3,
        9,
        &["uses agent `generic` but has no `command`"],
    );
    // A configured `generic` agent is fine with a prompt alone.
    let mut with_generic = config.clone();
    with_generic.agents.insert(
        "generic".into(),
        AgentConfig {
            command: argv(&["my-agent", "{prompt}"]),
            format: AgentFormat::Generic,
            writable: None,
            confine: None,
        },
    );
    check(
        "[[task]]\nname = \"a\"\nagent = \"generic\"\nprompt = \"p\"\n",
        &with_generic,
    )
    .unwrap();
    // No agent: fine when one is configured to choose from, or with a command.
    check("[[task]]\nname = \"a\"\nprompt = \"p\"\n", &config).unwrap();
    check(
        "[[task]]\nname = \"a\"\ncommand = [\"x\"]\n",
        &WorkspaceConfig::default(),
    )
    .unwrap();
    let e = check(
        "\n[[task]]\nname = \"a\"\nprompt = \"p\"\n",
        &WorkspaceConfig::default(),
    )
    .unwrap_err();
    check_err(
        &e,
        tasks_path(),
        2,
        1,
        &["has a prompt but no agent", "no agents are configured"],
    );
}

#[test]
fn policy_is_read_from_the_commit_and_uncommitted_edits_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let repo = git2::Repository::init(root).unwrap();
    let commit = |message: &str| {
        let mut index = repo.index().unwrap();
        index
            .add_all(["."], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap()
    };
    // No commit yet, a config in the working tree: defaults, and named.
    std::fs::create_dir_all(root.join(".leash")).unwrap();
    std::fs::write(root.join(CONFIG_FILE), "[autonomy]\nhigh = \"auto\"\n").unwrap();
    let c = load_committed_config(&repo, root, None).unwrap();
    assert_eq!(c, WorkspaceConfig::default());
    assert_eq!(uncommitted_policy_files(&repo, root, None), [CONFIG_FILE]);
    // The same from the committed bytes read with the policy (what a
    // workspace's open does): they agree with the blob ids every time.
    let among = |commit| {
        let read = load_committed(&repo, root, commit);
        uncommitted_among(&repo, root, commit, &read.bytes)
    };
    assert_eq!(among(None), [CONFIG_FILE]);
    // Committed: read from the commit; nothing uncommitted.
    let first = commit("policy");
    let c = load_committed_config(&repo, root, Some(first)).unwrap();
    assert_eq!(c.autonomy.high, AutonomyLevel::Auto);
    assert_eq!(load_committed(&repo, root, Some(first)).config.unwrap(), c);
    assert!(uncommitted_policy_files(&repo, root, Some(first)).is_empty());
    assert!(among(Some(first)).is_empty());
    // An edit in the working tree changes nothing until committed.
    std::fs::write(root.join(CONFIG_FILE), "[autonomy]\nhigh = \"manual\"\n").unwrap();
    std::fs::write(root.join(TASKS_FILE), "").unwrap();
    let c = load_committed_config(&repo, root, Some(first)).unwrap();
    assert_eq!(c.autonomy.high, AutonomyLevel::Auto);
    assert_eq!(
        uncommitted_policy_files(&repo, root, Some(first)),
        [CONFIG_FILE, TASKS_FILE]
    );
    assert_eq!(among(Some(first)), [CONFIG_FILE, TASKS_FILE]);
    // A committed file deleted from the working tree differs too.
    let edited = std::fs::read(root.join(CONFIG_FILE)).unwrap();
    std::fs::remove_file(root.join(CONFIG_FILE)).unwrap();
    assert_eq!(among(Some(first)), [CONFIG_FILE, TASKS_FILE]);
    std::fs::write(root.join(CONFIG_FILE), edited).unwrap();
    // A broken committed file names the file and says it is committed.
    std::fs::write(root.join(CONFIG_FILE), "[gate]\nunattended = \"nope\"\n").unwrap();
    let broken = commit("broken");
    let e = load_committed_config(&repo, root, Some(broken)).unwrap_err();
    assert_eq!(e.path, root.join(CONFIG_FILE));
    assert_eq!((e.line, e.column), (2, 14));
    assert!(
        e.message.contains("`nope` is not an unattended policy"),
        "{e}"
    );
    assert!(e.message.contains("(in the committed version, "), "{e}");
    // The older commit still reads as it was.
    assert_eq!(
        load_committed_config(&repo, root, Some(first))
            .unwrap()
            .autonomy
            .high,
        AutonomyLevel::Auto
    );
    assert_eq!(
        load_committed_tasks(&repo, root, Some(broken)).unwrap(),
        TasksConfig::default()
    );
}

#[test]
fn load_reads_the_files_under_dot_leash() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    assert_eq!(
        load_workspace_config(root).unwrap(),
        WorkspaceConfig::default()
    );
    assert_eq!(load_tasks(root).unwrap(), TasksConfig::default());

    std::fs::create_dir_all(root.join(".leash")).unwrap();
    std::fs::write(root.join(CONFIG_FILE), CONFIG_TEMPLATE).unwrap();
    std::fs::write(root.join(TASKS_FILE), TASKS_TEMPLATE).unwrap();
    assert_eq!(load_workspace_config(root).unwrap(), template_config());
    assert_eq!(load_tasks(root).unwrap().tasks.len(), 2);

    std::fs::write(root.join(CONFIG_FILE), "[gate]\nunattended = \"nope\"\n").unwrap();
    let e = load_workspace_config(root).unwrap_err();
    assert_eq!(e.path, root.join(CONFIG_FILE));
    assert_eq!((e.line, e.column), (2, 14));

    // A file that exists but cannot be read is an error, not defaults.
    std::fs::remove_file(root.join(TASKS_FILE)).unwrap();
    std::fs::create_dir(root.join(TASKS_FILE)).unwrap();
    let e = load_tasks(root).unwrap_err();
    assert_eq!((e.line, e.column), (0, 0));
    assert!(e.message.starts_with("cannot read the file: "), "{e}");

    std::fs::write(root.join(CONFIG_FILE), [0xff, 0xfe, b'\n']).unwrap();
    let e = load_workspace_config(root).unwrap_err();
    assert!(e.message.contains("cannot read the file"), "{e}");
}

#[test]
fn date_placeholders() {
    let today = date(2026, 11, 27);
    assert_eq!(
        expand_date_placeholders("memory/{today}/draft.md", today),
        "memory/2026-11-27/draft.md"
    );
    assert_eq!(
        expand_date_placeholders("{yesterday} then {today}, {today}", today),
        "2026-11-26 then 2026-11-27, 2026-11-27"
    );
    assert_eq!(
        expand_date_placeholders("2026-01-01 {yesterday}", date(2026, 1, 1)),
        "2026-01-01 2025-12-31"
    );
    assert_eq!(
        expand_date_placeholders("{yesterday}", date(2028, 3, 1)),
        "2028-02-29"
    );
    assert_eq!(
        expand_date_placeholders("no dates {tomorrow}", today),
        "no dates {tomorrow}"
    );
    assert_eq!(expand_date_placeholders("", today), "");

    let t = parse_tasks(TASKS_TEMPLATE, tasks_path()).unwrap();
    let draft = t.find("draft-post").unwrap().expand_dates(today);
    assert_eq!(
        draft.deliverable.as_deref(),
        Some("memory/2026-11-27/draft.md")
    );
    assert_eq!(
        draft.title.as_deref(),
        Some("Draft the post for 2026-11-27")
    );
    assert!(
        draft
            .prompt
            .unwrap()
            .ends_with("memory/2026-11-27/draft.md")
    );
    assert_eq!(draft.name, "draft-post");
    let cmd = TaskConfig {
        name: "c".into(),
        command: Some(argv(&["touch", "log/{yesterday}.md"])),
        ..TaskConfig::default()
    };
    assert_eq!(
        cmd.expand_dates(today).command,
        Some(argv(&["touch", "log/2026-11-26.md"]))
    );
}

#[test]
fn suggestions_only_for_close_words() {
    assert_eq!(strsim::levenshtein("grase", "grace"), 1);
    assert_eq!(strsim::levenshtein("", "ab"), 2);
    assert_eq!(strsim::levenshtein("kitten", "sitting"), 3);
    assert_eq!(
        located::suggest("lwo", &["low", "medium", "high"]),
        Some("low")
    );
    assert_eq!(located::suggest("x", &["timeout", "grace"]), None);
    // A wrong value, not a wrong key: nothing to suggest.
    let e = cfg_err(
        "[run]
grace = 3
",
        2,
        9,
        &["expected"],
    );
    assert!(!e.message.contains("did you mean"), "{e}");
}

#[test]
fn misspelt_words_get_a_suggestion_and_every_error_its_key() {
    let e = cfg_err(
        "[run]\nconfine = \"requre\"\n",
        2,
        11,
        &[
            "`requre` is not a confinement mode",
            "did you mean `require`?",
            "(in `run.confine`)",
        ],
    );
    assert_eq!(e.key.as_deref(), Some("run.confine"));
    let e = cfg_err(
        "[gate]\nunattened = \"ask\"\n",
        2,
        1,
        &["did you mean `unattended`?"],
    );
    assert_eq!(e.key.as_deref(), Some("gate.unattened"));
    let e = tasks_err(
        "[[task]]\nname = \"a\"\nprompt = \"p\"\nrisk = \"hihg\"\n",
        4,
        8,
        &["did you mean `high`?", "(in `task.risk`)"],
    );
    assert_eq!(e.key.as_deref(), Some("task.risk"));
}

#[test]
fn notify_command_is_an_argv_with_a_program() {
    let c = cfg("[notify]\ncommand = [\"notify-send\", \"{title}\", \"{body}\"]\n");
    assert_eq!(
        c.notify.command,
        Some(argv(&["notify-send", "{title}", "{body}"]))
    );
    assert_eq!(cfg("[notify]\n").notify.command, None);
    cfg_err(
        "[notify]\ncommand = []\n",
        2,
        11,
        &["notify command is empty", "argv"],
    );
    cfg_err(
        "[notify]\ncommand = [\" \", \"x\"]\n",
        2,
        11,
        &["empty program name"],
    );
    cfg_err("[notify]\ncmd = [\"x\"]\n", 2, 1, &["cmd"]);
    cfg_err("[notify]\ncommand = \"notify-send hi\"\n", 2, 11, &[]);
}

#[test]
fn a_risk_rule_may_lower() {
    let c = cfg("[[risk]]\npaths = [\"docs/**\"]\nclass = \"low\"\nlower = true\n");
    assert!(c.risk[0].lower);
    let c = cfg("[[risk]]\npaths = [\"docs/**\"]\nclass = \"low\"\n");
    assert!(!c.risk[0].lower);
    cfg_err(
        "[[risk]]\npaths = [\"docs/**\"]\nclass = \"low\"\nlower = \"yes\"\n",
        4,
        9,
        &["bool"],
    );
}

/// The issue's example pipeline, without the `schema` this leash refuses.
const PIPELINE: &str = r###"[[task]]
name = "post"
title = "Post for {today}"
[[task.pass]]
name = "extract"
agent = "claude"
prompt = "Extract every claim and its source from docs/notes/ into {out}"
out = "work/{task}/{run}/claims.json"
contract = { json = true, max_bytes = 20000 }
risk = "low"
budget = { tokens = 150000, usd = 1, time = "10m" }
[[task.pass]]
name = "draft"
agent = "claude"
prompt = "Write the post from {extract.out}"
out = "posts/{today}.md"
contract = { headings = ["Summary", "## Sources"] }
gate = "review"
[[task.pass]]
name = "audit"
command = ["sh", "audit.sh", "{draft.out}", "{out}"]
mode = "read-only"
role = "citation verifier"
autonomy = "auto"
out = "work/{task}/{run}/audit.md"
"###;

#[test]
fn pipelines_are_read_pass_by_pass() {
    let t = parse_tasks(PIPELINE, tasks_path()).unwrap_or_else(|e| panic!("{e}"));
    let post = t.find("post").unwrap();
    assert_eq!((post.prompt.clone(), post.command.clone()), (None, None));
    let names: Vec<&str> = post.passes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["extract", "draft", "audit"]);
    let [extract, draft, audit] = &post.passes[..] else {
        panic!("three passes")
    };
    assert_eq!(extract.out, "work/{task}/{run}/claims.json");
    assert_eq!(
        extract.contract,
        crate::model::Contract {
            json: true,
            headings: vec![],
            max_bytes: Some(20000)
        }
    );
    assert_eq!(extract.risk, Some(Low));
    assert_eq!(
        extract.budget,
        crate::model::Budget {
            tokens: Some(150_000),
            usd: Some(1.0),
            time: Some(Duration::from_secs(600))
        }
    );
    assert_eq!(extract.at, Pos { line: 4, column: 1 });
    assert_eq!(extract.agent_at, Pos { line: 6, column: 9 });
    assert_eq!(draft.contract.headings, ["Summary", "## Sources"]);
    assert_eq!(draft.gate, crate::model::PassGate::Review);
    assert_eq!(draft.mode, crate::model::PassMode::Write);
    assert_eq!(audit.mode, crate::model::PassMode::ReadOnly);
    assert_eq!(audit.role.as_deref(), Some("citation verifier"));
    assert_eq!(audit.autonomy, Some(Auto));
    assert_eq!(audit.agent, None);
    check_tasks(&t, &template_config(), tasks_path()).unwrap();
}

#[test]
fn pipeline_errors_point_at_the_pass() {
    let head = "[[task]]\nname = \"post\"\n[[task.pass]]\nname = \"a\"\nprompt = \"p\"\n";
    let with = |rest: &str| format!("{head}{rest}");
    tasks_err(&with(""), 3, 1, &["pass `a` of task `post` has no `out`"]);
    tasks_err(
        "[[task]]\nname = \"post\"\nprompt = \"p\"\n[[task.pass]]\nname = \"a\"\nprompt = \"p\"\nout = \"x\"\n",
        3,
        10,
        &["task `post` has passes, so it has no `prompt` of its own"],
    );
    tasks_err(
        &with("out = \"../x\"\n"),
        6,
        7,
        &["the out of pass `a` of task `post` leaves the repository"],
    );
    tasks_err(
        &with("out = \"x/{when}.md\"\n"),
        6,
        7,
        &["names `{when}`", "{today}, {yesterday}, {task}, {run}"],
    );
    tasks_err(
        &with("out = \"x\"\nmode = \"sideways\"\n"),
        7,
        8,
        &["`sideways` is not a pass mode", "write, read-only"],
    );
    tasks_err(
        &with("out = \"x\"\ngate = \"later\"\n"),
        7,
        8,
        &["`later` is not a pass gate", "auto, review"],
    );
    tasks_err(
        &with("out = \"x\"\ncontract = { json = true, schema = \"s.json\" }\n"),
        7,
        36,
        &["asks for `schema`", "JSON Schema is not supported"],
    );
    tasks_err(
        &with("out = \"x\"\ncontract = { nonempty = false }\n"),
        7,
        25,
        &["always checked to be non-empty"],
    );
    tasks_err(
        &with("out = \"x\"\ncontract = { max_bytes = 0 }\n"),
        7,
        26,
        &["`max_bytes` in the contract of pass `a` of task `post` must be above zero"],
    );
    tasks_err(
        &with("out = \"x\"\nbudget = { tokens = 10, time = \"soon\" }\n"),
        7,
        32,
        &["`soon` is not a duration"],
    );
    tasks_err(
        &with("out = \"x\"\ncontract = { jsn = true }\n"),
        7,
        14,
        &["unknown field `jsn`", "did you mean `json`"],
    );
    tasks_err(
        &with("out = \"x\"\n[[task.pass]]\nname = \"a\"\nprompt = \"q\"\nout = \"y\"\n"),
        8,
        8,
        &[
            "duplicate pass name `a` in task `post`",
            "already used at line 4",
        ],
    );
    tasks_err(
        &with("out = \"x\"\n[[task.pass]]\nname = \"b\"\nprompt = \"from {c.out}\"\nout = \"y\"\n"),
        9,
        10,
        &["names `{c.out}`", "`c` is not an earlier pass", "{a.out}"],
    );
    tasks_err(
        "[[task]]\nname = \"post\"\n[[task.pass]]\nname = \"a.b\"\nprompt = \"p\"\nout = \"x\"\n",
        4,
        8,
        &["`a.b` cannot name a pass"],
    );
    tasks_err(
        "[[task]]\nname = \"post\"\n[[task.pass]]\nname = \"a\"\nout = \"x\"\n",
        3,
        1,
        &["pass `a` of task `post` has neither `prompt` nor `command`"],
    );
    // A prompt may hold JSON, and a command `{prompt}`.
    let t = parse_tasks(
        &with("out = \"x\"\n[[task.pass]]\nname = \"b\"\nprompt = \"write {\\\"a\\\": 1} from {a.out}\"\ncommand = [\"sh\", \"{prompt}\"]\nout = \"y\"\n"),
        tasks_path(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.tasks[0].passes.len(), 2);
    // A pass's agent is checked against the config like a task's.
    let e = check_tasks(
        &parse_tasks(&with("out = \"x\"\nagent = \"gpt\"\n"), tasks_path()).unwrap(),
        &template_config(),
        tasks_path(),
    )
    .unwrap_err();
    check_err(
        &e,
        tasks_path(),
        7,
        9,
        &["pass `a` of task `post` names agent `gpt`, which is not configured"],
    );
}

#[test]
fn the_tasks_templates_pipeline_example_is_valid_once_uncommented() {
    let example = TASKS_TEMPLATE
        .split("Uncommented, this example is a valid pipeline:\n#\n")
        .nth(1)
        .expect("the template has its example");
    let text: String = example
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l.trim_start_matches('#')))
        .collect::<Vec<_>>()
        .join("\n");
    let t = parse_tasks(&text, tasks_path()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    check_tasks(&t, &template_config(), tasks_path()).unwrap();
    let post = t.find("post").unwrap();
    let names: Vec<&str> = post.passes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["extract", "draft", "audit"]);
}

#[test]
fn prices_are_dollars_per_million_tokens_by_model() {
    let c = cfg("[prices]\n\"claude-x\" = { input = 3, output = 15.0 }\n");
    assert_eq!(
        c.prices["claude-x"],
        Price {
            input: 3.0,
            output: 15.0
        }
    );
    assert_eq!(c.price(Some("claude-x"), 1_000_000, 100_000), Some(4.5));
    assert_eq!(c.price(Some("other"), 1, 1), None);
    assert_eq!(c.price(None, 1, 1), None);
    cfg_err(
        "[prices]\n\"m\" = { input = 3.0 }\n",
        2,
        7,
        &[
            "the price of `m` has no `output`",
            "dollars per million tokens",
        ],
    );
    cfg_err(
        "[prices]\n\"m\" = { input = -1.0, output = 1.0 }\n",
        2,
        17,
        &["`input` in the price of `m` must be zero or more"],
    );
    cfg_err(
        "[prices]\n\"m\" = { input = 1.0, output = 1.0, cache = 0.1 }\n",
        2,
        36,
        &["unknown field `cache`"],
    );
    cfg_err("[prices]\n\"m\" = 3\n", 2, 7, &["expected a price such as"]);
}
