//! Shell command lines read the way a shell would run them, for command
//! rules: a line is split into its simple commands (at `&&`, `||`, `;`,
//! `|`, `&`, newlines, subshells, `$(…)`, backticks and process
//! substitution), quotes are removed, leading `VAR=value` assignments and
//! wrappers (`env`, `sudo`, `nohup`, `time`, `command`, `exec`, `xargs`,
//! `nice`, `timeout`, `stdbuf`, …) are looked through, and the strings given
//! to `sh -c`, `bash -c`, `eval` and friends are read as command lines of
//! their own. A rule is then matched against each simple command's argv
//! (see [`CommandPattern`]).
//!
//! This is not a shell: what it cannot read for sure (an unclosed quote, a
//! `case` statement, a command name only known at run time) is an error or
//! an opaque part, and the caller classes the line `high`. A line the
//! reader splits more finely than a shell would can only add subjects, and
//! extra subjects can only raise a class.

use globset::{Glob, GlobBuilder, GlobMatcher};

mod reader;

use reader::{Reader, Word};

/// How deep `sh -c '…'`, `eval`, `$(…)` and backticks may nest before the
/// line is refused as unreadable.
pub const MAX_DEPTH: usize = 8;

/// One simple command: its words after quote removal. Expansions leash
/// cannot know (`$HOME`, `$(date)`) stay as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    pub argv: Vec<String>,
}

impl SimpleCommand {
    /// The words joined by single spaces: how the command is named in
    /// reasons.
    pub fn line(&self) -> String {
        self.argv.join(" ")
    }
}

/// What a command line runs, as far as leash can read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Every simple command, nested ones included, in reading order. A
    /// wrapped command appears both with and without its wrappers.
    pub commands: Vec<SimpleCommand>,
    /// Files the line writes, as written: through redirections (`> f`,
    /// `>> f`, `&> f`) and as the operands of commands that write the files
    /// they name (`cp`, `mv`, `tee`, `sed -i`, `git add`, …).
    pub writes: Vec<String>,
    /// Parts leash cannot know before the line runs, each with why.
    pub opaque: Vec<String>,
}

/// Why a line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError(msg.into()))
}

/// Reads a command line.
pub fn parse(line: &str) -> Result<Parsed, ParseError> {
    let mut out = Parsed::default();
    parse_into(line, 0, &mut out)?;
    Ok(out)
}

/// Reads a command run without a shell (an argv): its wrappers and the
/// strings it gives to `sh -c` are looked through as in [`parse`].
pub fn parse_argv(argv: &[String]) -> Result<Parsed, ParseError> {
    let mut out = Parsed::default();
    record(argv.to_vec(), 0, &mut out)?;
    Ok(out)
}

fn parse_into(line: &str, depth: usize, out: &mut Parsed) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return err(format!(
            "commands nest deeper than {MAX_DEPTH} levels (sh -c, eval, $(…), backticks)"
        ));
    }
    let mut p = Reader {
        s: line.chars().collect(),
        i: 0,
        depth,
        out,
        heredocs: Vec::new(),
    };
    p.list(None)?;
    if let Some(h) = p.heredocs.first() {
        return err(format!(
            "the here-document ending with `{}` has no body",
            h.delim
        ));
    }
    Ok(())
}

/// Shell keywords that may start a command and are not themselves run.
const KEYWORDS: &[&str] = &[
    "!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "time",
];

fn is_assignment(w: &Word) -> bool {
    let Some((name, _)) = w.text.split_once('=') else {
        return false;
    };
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        // `NAME+=value` appends.
        || name.strip_suffix('+').is_some_and(|n| {
            !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// Records one simple command: keywords and assignments dropped, then the
/// command itself and every command it wraps.
fn simple(words: Vec<Word>, depth: usize, out: &mut Parsed) -> Result<(), ParseError> {
    let mut start = 0;
    while let Some(w) = words.get(start) {
        let bare = !w.quoted && !w.dynamic;
        // An assignment counts however it is quoted: `X="a b" git push`.
        if is_assignment(w) {
            start += 1;
        } else if bare && KEYWORDS.contains(&w.text.as_str()) {
            start += 1;
            // `time -p cmd`
            if w.text == "time" && words.get(start).is_some_and(|n| n.text == "-p") {
                start += 1;
            }
        } else if bare && matches!(w.text.as_str(), "for" | "select") {
            // `for x in a b`: the loop header runs nothing (its `$(…)` were
            // already read).
            return Ok(());
        } else if bare && matches!(w.text.as_str(), "case" | "esac" | "function" | "coproc") {
            return err(format!("`{}` statements", w.text));
        } else {
            break;
        }
    }
    let words = &words[start..];
    let Some(first) = words.first() else {
        return Ok(());
    };
    if first.dynamic {
        out.opaque.push(format!(
            "the command name `{}` is only known when the line runs",
            first.text
        ));
    }
    let argv: Vec<String> = words.iter().map(|w| w.text.clone()).collect();
    record(argv, depth, out)
}

/// The last component of a command name: `/usr/bin/git` is `git`.
pub fn basename(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

/// Records `argv` and, through wrappers and `sh -c`, what it runs.
fn record(argv: Vec<String>, depth: usize, out: &mut Parsed) -> Result<(), ParseError> {
    let mut argv = argv;
    for _ in 0..32 {
        if argv.is_empty() {
            return Ok(());
        }
        let name = basename(&argv[0]).to_string();
        if name == "git" {
            let plain = git_without_global_options(&argv);
            if plain != argv {
                out.commands.push(SimpleCommand { argv: plain });
            }
        }
        out.commands.push(SimpleCommand { argv: argv.clone() });
        out.writes.extend(written_operands(&name, &argv));
        match unwrap(&name, &argv) {
            Inner::None => return Ok(()),
            Inner::Argv(i) => argv = argv[i..].to_vec(),
            Inner::Line(line) => {
                if depth >= MAX_DEPTH {
                    return err(format!(
                        "commands nest deeper than {MAX_DEPTH} levels (sh -c, eval, $(…), backticks)"
                    ));
                }
                return parse_into(&line, depth + 1, out);
            }
            Inner::Many(lists) => {
                for a in lists {
                    record(a, depth + 1, out)?;
                }
                return Ok(());
            }
        }
    }
    err("too many wrappers around one command")
}

/// The files a command writes by naming them: every operand of the
/// commands that create, change, move or remove the files they are given
/// (a source of `cp` is listed too: over-listing only raises a class).
fn written_operands(name: &str, argv: &[String]) -> Vec<String> {
    let words = &argv[1..];
    let all = || operands(words).into_iter().map(str::to_string).collect();
    match name {
        "cp" | "mv" | "ln" | "install" | "rsync" | "tee" | "touch" | "rm" | "rmdir" | "mkdir"
        | "truncate" | "chmod" | "chown" | "chgrp" | "shred" | "unlink" | "patch" => all(),
        "sed" | "perl" | "ruby"
            if options_of(name, words)
                .iter()
                .any(|o| o == "in-place" || o == "-i") =>
        {
            all()
        }
        "dd" => words
            .iter()
            .filter_map(|w| w.strip_prefix("of="))
            .map(str::to_string)
            .collect(),
        "git" => {
            let plain = git_without_global_options(argv);
            match plain.get(1).map(String::as_str) {
                Some(
                    "add" | "rm" | "mv" | "checkout" | "restore" | "apply" | "commit" | "stash",
                ) => operands(&plain[2..])
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// What a wrapper runs.
enum Inner {
    None,
    /// The command starting at this index of argv.
    Argv(usize),
    /// A command line of its own (`sh -c`, `eval`, `env -S`, `watch`).
    Line(String),
    /// Several commands (`find -exec … \;`).
    Many(Vec<Vec<String>>),
}

/// Skips options starting at `i`: `with_value` options take the next word
/// (or the rest of their cluster / `=value`), others stand alone. Stops at
/// the first word that is not an option, after `--`.
fn skip_options(argv: &[String], mut i: usize, short_value: &str, long_value: &[&str]) -> usize {
    while let Some(a) = argv.get(i) {
        if a == "--" {
            return i + 1;
        }
        if let Some(long) = a.strip_prefix("--") {
            i += 1;
            if !long.contains('=') && long_value.contains(&long) {
                i += 1;
            }
            continue;
        }
        if a.len() > 1 && a.starts_with('-') {
            i += 1;
            // In a cluster, the first option that takes a value takes the
            // rest of the cluster, or the next word when the cluster ends.
            let chars: Vec<char> = a[1..].chars().collect();
            if let Some(pos) = chars.iter().position(|c| short_value.contains(*c))
                && pos == chars.len() - 1
            {
                i += 1;
            }
            continue;
        }
        break;
    }
    i
}

fn skip_assignments(argv: &[String], mut i: usize) -> usize {
    while argv.get(i).is_some_and(|a| {
        is_assignment(&Word {
            text: a.clone(),
            quoted: false,
            dynamic: false,
        })
    }) {
        i += 1;
    }
    i
}

fn at(argv: &[String], i: usize) -> Inner {
    if i < argv.len() {
        Inner::Argv(i)
    } else {
        Inner::None
    }
}

fn unwrap(name: &str, argv: &[String]) -> Inner {
    match name {
        "env" => {
            let mut i = 1;
            while let Some(a) = argv.get(i) {
                // `env -S 'cmd args'` splits its string into words.
                let split = if a == "-S" || a == "--split-string" {
                    i += 1;
                    argv.get(i).cloned()
                } else {
                    a.strip_prefix("--split-string=")
                        .or(a.strip_prefix("-S"))
                        .map(str::to_string)
                };
                if let Some(mut line) = split {
                    for rest in &argv[(i + 1).min(argv.len())..] {
                        line.push(' ');
                        line.push_str(&shell_words::quote(rest));
                    }
                    return Inner::Line(line);
                }
                match a.as_str() {
                    "--" => {
                        i += 1;
                        break;
                    }
                    "-u" | "-C" | "-P" | "--unset" | "--chdir" => i += 2,
                    a if a.starts_with('-') => i += 1,
                    _ => break,
                }
            }
            at(argv, skip_assignments(argv, i))
        }
        "sudo" => {
            let i = skip_options(
                argv,
                1,
                "ugphCDrtUTR",
                &[
                    "user",
                    "group",
                    "host",
                    "prompt",
                    "close-from",
                    "chdir",
                    "role",
                    "type",
                    "other-user",
                    "command-timeout",
                    "chroot",
                ],
            );
            at(argv, skip_assignments(argv, i))
        }
        "doas" => at(argv, skip_options(argv, 1, "uC", &[])),
        "nohup" | "builtin" | "unbuffer" | "chronic" | "setsid" | "caffeinate" => {
            at(argv, skip_options(argv, 1, "", &[]))
        }
        "command" | "exec" => at(argv, skip_options(argv, 1, "a", &[])),
        "time" => at(argv, skip_options(argv, 1, "fo", &["format", "output"])),
        "nice" => at(argv, skip_options(argv, 1, "n", &["adjustment"])),
        "ionice" => at(
            argv,
            skip_options(argv, 1, "cnp", &["class", "classdata", "pid"]),
        ),
        "stdbuf" => at(
            argv,
            skip_options(argv, 1, "ioe", &["input", "output", "error"]),
        ),
        "timeout" => {
            let i = skip_options(argv, 1, "sk", &["signal", "kill-after"]);
            // Then the duration.
            at(argv, i + 1)
        }
        "xargs" => at(
            argv,
            skip_options(
                argv,
                1,
                "adEILnPs",
                &[
                    "arg-file",
                    "delimiter",
                    "max-lines",
                    "max-args",
                    "max-procs",
                    "max-chars",
                    "process-slot-var",
                ],
            ),
        ),
        "watch" => {
            let i = skip_options(argv, 1, "nqd", &["interval", "differences"]);
            if i < argv.len() {
                Inner::Line(argv[i..].join(" "))
            } else {
                Inner::None
            }
        }
        "eval" => {
            if argv.len() > 1 {
                Inner::Line(argv[1..].join(" "))
            } else {
                Inner::None
            }
        }
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "mksh" | "ash" | "yash" | "posh" | "fish"
        | "busybox" => shell_string(name, argv),
        "find" => {
            let mut lists = Vec::new();
            let mut i = 1;
            while i < argv.len() {
                if matches!(argv[i].as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
                    let start = i + 1;
                    let mut end = start;
                    while end < argv.len() && argv[end] != ";" && argv[end] != "+" {
                        end += 1;
                    }
                    if start < end {
                        lists.push(argv[start..end].to_vec());
                    }
                    i = end;
                }
                i += 1;
            }
            if lists.is_empty() {
                Inner::None
            } else {
                Inner::Many(lists)
            }
        }
        _ => Inner::None,
    }
}

/// The command string of `sh -c STRING` (any cluster holding `c`, such as
/// `-lc` or `-ec`), or of `busybox sh -c`.
fn shell_string(name: &str, argv: &[String]) -> Inner {
    if name == "busybox" {
        return at(argv, 1);
    }
    let mut found = false;
    let mut i = 1;
    while let Some(a) = argv.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        if (a.starts_with('-') || a.starts_with('+')) && a.len() > 1 {
            if matches!(
                a.as_str(),
                "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file"
            ) {
                i += 2;
                continue;
            }
            if !a.starts_with("--") && a[1..].contains('c') {
                found = true;
            }
            i += 1;
            continue;
        }
        break;
    }
    match argv.get(i) {
        Some(s) if found => Inner::Line(s.clone()),
        _ => Inner::None,
    }
}

/// `git -C dir -c k=v --no-pager push` read as `git push`.
fn git_without_global_options(argv: &[String]) -> Vec<String> {
    let i = skip_options(
        argv,
        1,
        "Cc",
        &[
            "git-dir",
            "work-tree",
            "namespace",
            "config-env",
            "super-prefix",
            "exec-path",
            "list-cmds",
        ],
    );
    let mut out = vec![argv[0].clone()];
    out.extend(argv[i.min(argv.len())..].iter().cloned());
    out
}

/// Long names of short options, per command, so that a rule's `-rf`
/// matches `--recursive --force` and `-R` alike.
fn long_name(command: &str, short: char) -> Option<&'static str> {
    let name = match (command, short) {
        ("rm", 'r' | 'R') => "recursive",
        ("rm", 'f') => "force",
        ("rm", 'd') => "dir",
        ("rm", 'i') => "interactive",
        ("rm", 'v') => "verbose",
        ("cp", 'r' | 'R') => "recursive",
        ("cp" | "mv" | "ln", 'f') => "force",
        ("cp", 'a') => "archive",
        ("cp" | "mv" | "ln", 'i') => "interactive",
        ("ln", 's') => "symbolic",
        ("chmod" | "chown" | "chgrp", 'R') => "recursive",
        ("git", 'f') => "force",
        ("git", 'd') => "delete",
        ("git", 'a') => "all",
        ("git", 'n') => "dry-run",
        ("curl", 'X') => "request",
        ("curl", 'd') => "data",
        ("curl", 'o') => "output",
        ("curl", 'F') => "form",
        ("curl", 'T') => "upload-file",
        ("wget", 'O') => "output-document",
        ("sed", 'i') => "in-place",
        ("npm" | "pnpm" | "yarn", 'g') => "global",
        _ => return None,
    };
    Some(name)
}

/// The options of a command's words after its name, normalised: short
/// options one by one, under their long name where leash knows it.
fn options_of(command: &str, words: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for w in words {
        if w == "--" {
            break;
        }
        if let Some(long) = w.strip_prefix("--") {
            if !long.is_empty() {
                out.push(long.split('=').next().unwrap_or(long).to_string());
            }
        } else if let Some(short) = w.strip_prefix('-') {
            for c in short.chars() {
                out.push(match long_name(command, c) {
                    Some(l) => l.to_string(),
                    None => format!("-{c}"),
                });
            }
        }
    }
    out
}

/// The words of a command after its name that are not options.
fn operands(words: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut after_dashes = false;
    for w in words {
        if !after_dashes && w == "--" {
            after_dashes = true;
            continue;
        }
        if after_dashes || !(w.len() > 1 && w.starts_with('-')) {
            out.push(w.as_str());
        }
    }
    out
}

/// A word's glob, checked when the rule is read and compiled the first
/// time a command is matched against it: most processes (a hook answering
/// a Read, a command that only reads the config) never match one.
#[derive(Debug, Clone)]
struct WordGlob {
    glob: Glob,
    matcher: std::sync::OnceLock<GlobMatcher>,
}

impl WordGlob {
    fn is_match(&self, word: &str) -> bool {
        self.matcher
            .get_or_init(|| self.glob.compile_matcher())
            .is_match(word)
    }
}

fn word_glob(pattern: &str) -> Result<WordGlob, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|glob| WordGlob {
            glob,
            matcher: std::sync::OnceLock::new(),
        })
        .map_err(|e| e.kind().to_string())
}

/// A command rule, read into words. See the config template for the
/// syntax:
///
/// - the first word names the command; without a `/` it also matches the
///   command run by a path (`/usr/bin/git`); it may be a glob (`python*`);
/// - words starting with `-` are options that must all be present, in any
///   order or grouping: `-rf` is `-r` and `-f`, met by `-fr`, `-r -f`,
///   `-Rf` and `--recursive --force`;
/// - other words are globs matched in order against the command's
///   operands (its words that are not options);
/// - a last word `*`, or a last word ending in `*`, lets any further words
///   follow; otherwise the command has no further operands.
#[derive(Debug, Clone)]
pub struct CommandPattern {
    name: WordGlob,
    name_has_slash: bool,
    options: Vec<String>,
    operands: Vec<WordGlob>,
    rest: bool,
}

impl CommandPattern {
    /// Reads a rule; the error says what is wrong with it.
    pub fn parse(pattern: &str) -> Result<CommandPattern, String> {
        let mut words = shell_words::split(pattern)
            .map_err(|_| "a quote is never closed (quote words as a shell would)".to_string())?;
        let rest = match words.last_mut() {
            Some(w) if w == "*" => {
                words.pop();
                true
            }
            Some(w) if w.ends_with('*') => {
                // `--force*`: the option, then anything.
                if w.starts_with('-') {
                    w.pop();
                }
                true
            }
            _ => false,
        };
        let Some(first) = words.first() else {
            return Err(if rest {
                "a rule of only `*` would match every command; name the command first".into()
            } else {
                "an empty rule; expected a command such as \"git push*\"".into()
            });
        };
        if first.starts_with('-') {
            return Err(format!(
                "the rule starts with the option `{first}`; expected the command's name first"
            ));
        }
        let name = word_glob(first).map_err(|e| format!("in `{first}`: {e}"))?;
        let command = basename(first);
        let mut options = Vec::new();
        let mut ops = Vec::new();
        for w in &words[1..] {
            if w.len() > 1 && w.starts_with('-') && w != "--" {
                options.extend(options_of(command, std::slice::from_ref(w)));
            } else {
                ops.push(word_glob(w).map_err(|e| format!("in `{w}`: {e}"))?);
            }
        }
        Ok(CommandPattern {
            name,
            name_has_slash: first.contains('/'),
            options,
            operands: ops,
            rest,
        })
    }

    /// Whether `argv` is a command this rule names.
    pub fn matches(&self, argv: &[String]) -> bool {
        let Some(name) = argv.first() else {
            return false;
        };
        let short = basename(name);
        let named = self.name.is_match(name) || (!self.name_has_slash && self.name.is_match(short));
        if !named {
            return false;
        }
        let words = &argv[1..];
        let options = options_of(short, words);
        if !self.options.iter().all(|o| options.contains(o)) {
            return false;
        }
        let ops = operands(words);
        if ops.len() < self.operands.len() || (!self.rest && ops.len() > self.operands.len()) {
            return false;
        }
        self.operands.iter().zip(&ops).all(|(g, w)| g.is_match(w))
    }
}

/// Whether a command is leash itself (by any path).
pub fn is_leash(argv: &[String]) -> bool {
    argv.first().is_some_and(|a| basename(a) == "leash")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(line: &str) -> Vec<String> {
        parse(line)
            .unwrap_or_else(|e| panic!("{line:?}: {e}"))
            .commands
            .iter()
            .map(SimpleCommand::line)
            .collect()
    }

    fn matches(rule: &str, line: &str) -> bool {
        let p = CommandPattern::parse(rule).unwrap();
        parse(line)
            .unwrap()
            .commands
            .iter()
            .any(|c| p.matches(&c.argv))
    }

    #[test]
    fn compound_lines_are_split_into_simple_commands() {
        assert_eq!(cmds("cd x && git push"), ["cd x", "git push"]);
        assert_eq!(
            cmds("a || b; c | d & e |& f"),
            ["a", "b", "c", "d", "e", "f"]
        );
        assert_eq!(cmds("a\nb"), ["a", "b"]);
        assert_eq!(cmds("(cd x; git push)"), ["cd x", "git push"]);
        assert_eq!(cmds("echo $(git push)"), ["git push", "echo $(git push)"]);
        assert_eq!(cmds("echo `git push`"), ["git push", "echo `git push`"]);
        assert_eq!(
            cmds("echo \"$(git push)\""),
            ["git push", "echo $(git push)"]
        );
        assert_eq!(cmds("diff <(git show) >(cat)"), ["git show", "cat", "diff"]);
        assert_eq!(cmds("{ git push; }"), ["git push"]);
        assert_eq!(cmds("if true; then git push; fi"), ["true", "git push"]);
        assert_eq!(cmds("for f in $(ls); do rm $f; done"), ["ls", "rm $f"]);
        assert_eq!(cmds("while read l; do echo; done"), ["read l", "echo"]);
        assert_eq!(cmds("! git push"), ["git push"]);
        assert_eq!(cmds("ls # && git push"), ["ls"]);
        assert_eq!(cmds("a \\\n b"), ["a b"]);
    }

    #[test]
    fn quotes_are_removed_and_quoted_separators_do_not_split() {
        assert_eq!(cmds("echo 'a; git push'"), ["echo a; git push"]);
        assert_eq!(cmds("echo \"a && curl x\""), ["echo a && curl x"]);
        assert_eq!(cmds("g\"i\"t p'u'sh"), ["git push"]);
        assert_eq!(cmds("g\\it push"), ["git push"]);
        assert_eq!(cmds("$'\\x67it' push"), ["git push"]);
        assert_eq!(cmds("$'\\147it' push"), ["git push"]);
        assert_eq!(cmds("git   push\t origin"), ["git push origin"]);
    }

    #[test]
    fn assignments_keywords_and_wrappers_are_looked_through() {
        assert_eq!(cmds("GIT_TRACE=1 git push"), ["git push"]);
        assert_eq!(cmds("A=1 B+=2 git push"), ["git push"]);
        assert_eq!(cmds("env git push"), ["env git push", "git push"]);
        assert_eq!(
            cmds("env -i -u HOME X=1 git push"),
            ["env -i -u HOME X=1 git push", "git push"]
        );
        assert_eq!(
            cmds("sudo -u root -E rm -r -f x"),
            ["sudo -u root -E rm -r -f x", "rm -r -f x"]
        );
        assert_eq!(cmds("nohup git push")[1], "git push");
        assert_eq!(cmds("time -p git push"), ["git push"]);
        assert_eq!(cmds("command -p git push")[1], "git push");
        assert_eq!(cmds("exec -a x git push")[1], "git push");
        assert_eq!(cmds("xargs -0 -n 1 rm -rf")[1], "rm -rf");
        assert_eq!(cmds("nice -n 10 git push")[1], "git push");
        assert_eq!(cmds("timeout -s KILL 5m git push")[1], "git push");
        assert_eq!(cmds("stdbuf -oL git push")[1], "git push");
        assert_eq!(
            cmds("sudo env A=1 nohup git push"),
            [
                "sudo env A=1 nohup git push",
                "env A=1 nohup git push",
                "nohup git push",
                "git push"
            ]
        );
        assert_eq!(cmds("env -S 'git push'")[1], "git push");
        assert_eq!(cmds("find . -exec rm -rf {} \\;")[1], "rm -rf {}");
        assert_eq!(
            cmds("git -C repo -c a=b push"),
            ["git push", "git -C repo -c a=b push"]
        );
    }

    #[test]
    fn shell_strings_are_read_as_lines_of_their_own() {
        assert_eq!(
            cmds("bash -c \"git push origin\""),
            ["bash -c git push origin", "git push origin"]
        );
        assert_eq!(cmds("sh -lc 'cd x && git push'")[2], "git push");
        assert_eq!(
            cmds("zsh -c 'dash -c \"git push\"'").last().unwrap(),
            "git push"
        );
        assert_eq!(cmds("eval 'git push'")[1], "git push");
        assert_eq!(cmds("sh script.sh"), ["sh script.sh"]);
        // Too deep is unreadable, never skipped.
        let mut line = "git push".to_string();
        for _ in 0..=MAX_DEPTH + 1 {
            line = format!("sh -c {}", shell_words::quote(&line));
        }
        assert!(parse(&line).unwrap_err().0.contains("nest deeper"));
    }

    #[test]
    fn here_documents_are_read() {
        let line = "git commit -m \"$(cat <<'EOF'\nmsg; git push\nEOF\n)\"";
        assert_eq!(
            cmds(line),
            ["cat", "git commit -m $(cat <<'EOF'\nmsg; git push\nEOF\n)"]
        );
        // An unquoted end word lets the body's substitutions run.
        assert_eq!(cmds("cat <<EOF\n$(git push)\nEOF\n"), ["cat", "git push"]);
        assert_eq!(cmds("cat <<-X > f\n\tbody\n\tX\nls"), ["cat", "ls"]);
        assert!(parse("cat <<EOF\nno end").is_err());
        assert!(parse("cat <<EOF").is_err());
    }

    #[test]
    fn redirections_are_writes_not_words() {
        let p = parse("echo hi > a.md 2>&1 >> b/c.md < in &> d 2>/dev/null").unwrap();
        assert_eq!(p.commands[0].argv, ["echo", "hi"]);
        assert_eq!(p.writes, ["a.md", "b/c.md", "d", "/dev/null"]);
        assert_eq!(parse("echo >$F").unwrap().writes, Vec::<String>::new());
    }

    #[test]
    fn commands_that_write_the_files_they_name_are_writes() {
        let w = |line: &str| parse(line).unwrap().writes;
        assert_eq!(
            w("cp a .claude/settings.json"),
            ["a", ".claude/settings.json"]
        );
        assert_eq!(
            w("sed -i s/manual/auto/ .leash/config.toml")[1],
            ".leash/config.toml"
        );
        assert_eq!(w("sed --in-place=.bak s/a/b/ f")[1], "f");
        assert!(w("sed s/a/b/ f").is_empty(), "sed without -i only reads");
        assert_eq!(w("echo x | tee -a notes/a.md"), ["notes/a.md"]);
        assert_eq!(w("dd if=/dev/zero of=.git/HEAD"), [".git/HEAD"]);
        assert_eq!(w("git -C . add -- .leash"), [".leash"]);
        assert!(w("git status .leash").is_empty());
        assert_eq!(w("sudo rm -rf .git"), [".git"]);
        assert!(w("cat .leash/config.toml").is_empty());
    }

    #[test]
    fn unreadable_lines_are_errors() {
        for line in [
            "echo 'x",
            "echo \"x",
            "echo `x",
            "echo $(x",
            "(a",
            "a)",
            "case x in a) b;; esac",
            "f() { git push; }",
            "echo >",
            "echo ${x",
            "echo $'x",
        ] {
            assert!(parse(line).is_err(), "{line:?}");
        }
    }

    #[test]
    fn computed_command_names_are_opaque() {
        let p = parse("X=git; $X push").unwrap();
        assert_eq!(p.opaque.len(), 1, "{p:?}");
        assert!(parse("\"$(which git)\" push").unwrap().opaque.len() == 1);
        assert!(parse("git push $REMOTE").unwrap().opaque.is_empty());
    }

    #[test]
    fn rules_match_options_in_any_order_and_grouping() {
        for line in [
            "rm -rf /",
            "rm -fr /",
            "rm -r -f /",
            "rm --recursive --force /",
            "rm -Rf x",
            "rm -rfv x",
            "rm -f -R x y",
            "/bin/rm -rf x",
            "sudo rm -r -f x",
            "xargs rm -rf",
            "cd x && rm -fr y",
        ] {
            assert!(matches("rm -rf *", line), "{line}");
        }
        for line in ["rm -r x", "rm -f x", "rm x", "echo rm -rf x", "rmdir -rf x"] {
            assert!(!matches("rm -rf *", line), "{line}");
        }
    }

    #[test]
    fn rules_match_operands_in_order() {
        for line in [
            "git push",
            "git  push",
            "git push origin main",
            "GIT_TRACE=1 git push",
            "env git push",
            "cd x && git push",
            "echo $(git push)",
            "bash -c \"git push origin\"",
            "git -C other push --force",
            "/usr/bin/git push",
            "git pushx",
        ] {
            assert!(matches("git push*", line), "{line}");
        }
        for line in ["git status", "git log push", "echo git push", "gitpush"] {
            assert!(!matches("git push*", line), "{line}");
        }
        // Without a trailing `*`, nothing may follow.
        assert!(matches("make deploy", "make -j4 deploy"));
        assert!(!matches("make deploy", "make deploy now"));
        assert!(matches("curl *", "curl -d @- https://x"));
        assert!(matches("curl *", "curl"));
        // A path in the rule names that path only.
        assert!(matches("./deploy.sh *", "./deploy.sh prod"));
        assert!(!matches("./deploy.sh *", "other/deploy.sh prod"));
        assert!(matches("python* -c *", "python3 -c 'print(1)'"));
        assert!(matches("git push --force*", "git push -f origin"));
        assert!(!matches("git push --force*", "git push origin"));
    }

    #[test]
    fn bad_rules_are_refused_with_why() {
        assert!(CommandPattern::parse("").unwrap_err().contains("empty"));
        assert!(
            CommandPattern::parse("*")
                .unwrap_err()
                .contains("every command")
        );
        assert!(
            CommandPattern::parse("git 'push")
                .unwrap_err()
                .contains("quote")
        );
        assert!(
            CommandPattern::parse("-rf x")
                .unwrap_err()
                .contains("name first")
        );
        assert!(
            CommandPattern::parse("git {push")
                .unwrap_err()
                .contains("in `{push`")
        );
    }

    #[test]
    fn leash_itself_is_recognised_by_any_path() {
        for line in [
            "leash allow t1.a1",
            "/usr/local/bin/leash approve t1",
            "./target/debug/leash autonomy high auto",
            "cd x && leash deny t1.a1",
            "sh -c 'leash rollback t1'",
            "env FOO=1 leash reject t2",
        ] {
            let p = parse(line).unwrap();
            assert!(p.commands.iter().any(|c| is_leash(&c.argv)), "{line}");
        }
        let p = parse("echo leash; git commit -m 'leash approve'").unwrap();
        assert!(!p.commands.iter().any(|c| is_leash(&c.argv)));
    }
}
