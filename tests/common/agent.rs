//! Stand-ins for Claude Code: scripts that call leash's hooks around each
//! tool use as Claude does, installed as an agent of the workspace.

use super::Repo;

/// An agent whose prompt is the shell it runs, with `read_file PATH` and
/// `write_file PATH TEXT` as its tools, each told to `leash hook claude`
/// before and after (`$LEASH_BIN` names the binary).
pub const HOOKED_SHELL: &str = r#"#!/bin/sh
call() {
  printf '{"hook_event_name":"%s","session_id":"s","cwd":"%s","tool_name":"%s","tool_use_id":"%s","tool_input":%s,"tool_response":%s}' \
    "$1" "$PWD" "$2" "$3" "$4" "$5" | "$LEASH_BIN" hook claude >/dev/null
}
read_file() {
  call PreToolUse Read "r-$1" "{\"file_path\":\"$PWD/$1\"}" null
  call PostToolUse Read "r-$1" "{\"file_path\":\"$PWD/$1\"}" '{"type":"text"}'
}
write_file() {
  call PreToolUse Write "w-$1" "{\"file_path\":\"$PWD/$1\",\"content\":\"x\"}" null
  mkdir -p "$(dirname "$1")" && printf '%s\n' "$2" > "$1"
  call PostToolUse Write "w-$1" "{\"file_path\":\"$PWD/$1\",\"content\":\"x\"}" '{"type":"create"}'
}
for prompt; do :; done
eval "$prompt"
"#;

/// Writes `script` as an executable in the test's data dir and names it
/// agent `name` (Claude's format, the prompt its one argument) in the
/// working copy of `.leash/config.toml`; the caller commits.
pub fn install(r: &Repo, name: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let agent = r.data.path().join(format!("{name}-agent"));
    std::fs::write(&agent, script).unwrap();
    std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut config = r.read(".leash/config.toml");
    config.push_str(&format!(
        "\n[agents.{name}]\ncommand = [{}, \"{{prompt}}\"]\nformat = \"claude\"\n",
        serde_json::json!(agent.display().to_string())
    ));
    r.write(".leash/config.toml", &config);
}
