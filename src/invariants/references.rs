//! `references`: no dangling pointers. In every Markdown file under the
//! roots, relative links and backticked paths must resolve, relative to the
//! file or to the workspace root.
//!
//! Ignored: URLs (`scheme:`, `//host`), anchor-only links (`#x`), and
//! everything inside fenced code blocks. `path#anchor` and `path:12` check
//! `path`; a link starting with `/` is read from the root, as forges do;
//! `{today}`/`{yesterday}` become dates. Backticked words count only when
//! they look like paths (see `markdown::looks_like_path`). Files with a NUL
//! byte are binary and skipped, as are `.git` and `.leash`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;

use super::markdown::{Style, scan};
use super::options::Options;
use super::tree::{self, Entry, Tree};
use super::{Context, Report, dangling, finding};

/// The options `references` knows.
pub(crate) const KEYS: &[&str] = &["roots"];

/// A `references` invariant.
pub(crate) struct Spec {
    roots: Vec<String>,
}

/// Reads the options of a `references` invariant.
pub(crate) fn parse(o: &Options) -> Result<Spec, String> {
    let roots = o
        .paths("roots", "an array of folders such as [\".\"]")?
        .unwrap_or_else(|| vec![String::new()]);
    Ok(Spec { roots })
}

/// Whether a repo-relative path is a Markdown file by its name.
pub(crate) fn is_markdown(rel: &str) -> bool {
    let lower = tree::file_name(rel).to_ascii_lowercase();
    lower.ends_with(".md") || lower.ends_with(".markdown")
}

/// Whether file content looks binary (a NUL byte near the start).
pub(crate) fn is_binary(bytes: &[u8]) -> bool {
    bytes.iter().take(8192).any(|&b| b == 0)
}

/// Checks every Markdown file under the roots.
pub(crate) fn check(t: &Tree, s: &Spec, ctx: &Context) -> Result<Report, String> {
    let mut findings = Vec::new();
    let mut files = Vec::new();
    for root in &s.roots {
        match t.stat(root) {
            Entry::Dir => files.extend(t.walk(root)?.files.into_iter().filter(|f| is_markdown(f))),
            Entry::File if is_markdown(root) => files.push(root.clone()),
            Entry::Missing => findings.push(finding(
                tree::show(root),
                None,
                "configured root does not exist",
            )),
            _ => findings.push(finding(
                tree::show(root),
                None,
                "configured root is not a folder",
            )),
        }
    }
    // Overlapping roots must not report a file twice.
    files.sort_unstable();
    files.dedup();
    // One buffer for every file's bytes and one for every reading of a
    // reference: a check over thousands of files allocates neither per file
    // nor per reference.
    let (mut bytes, mut at) = (Vec::new(), String::new());
    for file in &files {
        t.read_into(file, &mut bytes)?;
        if is_binary(&bytes) {
            continue;
        }
        // Validating as UTF-8 first is the quick path for the usual text.
        let text = match std::str::from_utf8(&bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(&bytes),
        };
        let dir = tree::parent(file);
        for m in scan(&text, false) {
            let path = tree::expand_dates(&m.path, ctx.today);
            // The readings of `tree::candidates`, file-relative first (most
            // references resolve so), each asked only if the one before
            // does not resolve.
            let resolves = match path.strip_prefix('/') {
                Some(rooted) => tree::normalize_path_into(rooted, &mut at) && t.exists(&at),
                None => {
                    (tree::join_into(dir, &path, &mut at) && t.exists(&at))
                        || (tree::normalize_path_into(&path, &mut at) && t.exists(&at))
                }
            };
            if !resolves {
                let cands = tree::candidates(dir, &path);
                findings.push(dangling(
                    file,
                    m.line,
                    "dangling reference:",
                    &m.raw,
                    &cands,
                ));
            }
        }
    }
    Ok(Report::findings(findings))
}

/// After files moved (`moves`: old path → new path, already done on disk),
/// rewrites the links and backticked paths that pointed at them, in every
/// Markdown file of the tree, and the relative ones inside the moved files
/// (their folder changed). Keeps each reference's style: relative to its
/// file stays relative to its file, from the root stays from the root, a
/// leading `/` or `./` stays. References with `{today}`/`{yesterday}` are
/// templates, and bare words are prose: both are left alone. Returns the
/// rewritten files, sorted, by their paths after the moves.
pub(crate) fn rewrite_moved(
    t: &Tree,
    moves: &HashMap<String, String>,
) -> Result<Vec<String>, String> {
    let moved_from: HashMap<&str, &str> = moves
        .iter()
        .map(|(a, b)| (b.as_str(), a.as_str()))
        .collect();
    let mut rewritten = Vec::new();
    for file in t.walk("")?.files.into_iter().filter(|f| is_markdown(f)) {
        let bytes = t.read(&file)?;
        if is_binary(&bytes) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let old_dir =
            tree::parent(moved_from.get(file.as_str()).copied().unwrap_or(&file)).to_string();
        let new_dir = tree::parent(&file);
        let mut edits = Vec::new();
        for m in scan(&text, false) {
            if m.path.contains("{today}") || m.path.contains("{yesterday}") {
                continue;
            }
            if let Some(new) = rewrite_one(t, moves, &m.path, &old_dir, new_dir) {
                edits.push((m.start, m.end, styled(&m.raw, &new, m.style)));
            }
        }
        if edits.is_empty() {
            continue;
        }
        let mut out = text;
        for (start, end, new) in edits.into_iter().rev() {
            out.replace_range(start..end, &new);
        }
        fs::write(t.path(&file), out).map_err(|e| format!("cannot write {file}: {e}"))?;
        rewritten.push(file);
    }
    Ok(rewritten)
}

/// The new spelling of `path`, written in a file that was in `old_dir` and
/// is now in `new_dir`, when it has to change.
fn rewrite_one(
    t: &Tree,
    moves: &HashMap<String, String>,
    path: &str,
    old_dir: &str,
    new_dir: &str,
) -> Option<String> {
    let resolves = |p: &String| t.exists(p) || moves.contains_key(p);
    if let Some(rooted) = path.strip_prefix('/') {
        let to = moves.get(&tree::normalize(rooted)?)?;
        return Some(format!("/{to}"));
    }
    // Read the way the check reads it: relative to the file first.
    if let Some(a) = tree::join(old_dir, path).filter(resolves) {
        let to = moves.get(&a).unwrap_or(&a);
        if to == &a && old_dir == new_dir {
            return None;
        }
        let rel = tree::relative(new_dir, to);
        return Some(if rel.is_empty() { ".".into() } else { rel });
    }
    tree::normalize(path).and_then(|b| moves.get(&b)).cloned()
}

/// `new` written like `raw`: a leading `./` and a trailing `/` kept, spaces
/// in links percent-encoded.
fn styled(raw: &str, new: &str, style: Style) -> String {
    let mut s = new.to_string();
    if raw.starts_with("./") && !s.starts_with('/') {
        s.insert_str(0, "./");
    }
    if raw.ends_with('/') && !s.ends_with('/') {
        s.push('/');
    }
    if style == Style::Link {
        s = s.replace(' ', "%20");
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::invariants::testutil::*;
    use crate::invariants::{Outcome, run_one};

    fn refs(t: &tempfile::TempDir, cfg: &str) -> crate::invariants::CheckResult {
        run_one(t.path(), &inv("refs", "references", cfg), &ctx())
    }

    #[test]
    fn resolves_relative_to_the_file_or_the_root() {
        let t = tree(&[
            (
                "docs/guide.md",
                "See [setup](setup.md#install), [ops](../operations/run.md), `operations/run.md`,\n\
                 [from root](/docs/setup.md), [same](./setup.md), `docs/setup.md:12` and [dir](../operations/).\n\
                 Today: `memory/{today}/plan.md`; yesterday [y](../memory/{yesterday}/).\n",
            ),
            ("docs/setup.md", "s"),
            ("operations/run.md", "r"),
            ("memory/2026-02-13/plan.md", "p"),
            ("memory/2026-02-12/x.md", "x"),
        ]);
        let r = refs(&t, "roots = [\".\"]");
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn ignores_urls_anchors_and_fenced_code() {
        let t = tree(&[(
            "README.md",
            "[site](https://example.com/a.md) [mail](mailto:x@y.z) [top](#top) <https://x.y/z.md>\n\
             [proto](//cdn.example.com/x.md) `cargo test` `*.md` `memory/YYYY-MM-DD/`\n\
             ```sh\ncat `missing/in/fence.md`\n[no](missing.md)\n```\n",
        )]);
        let r = refs(&t, "");
        assert_eq!(r.outcome, Outcome::Pass, "{r:?}");
    }

    #[test]
    fn reports_each_dangling_pointer_with_its_target() {
        let t = tree(&[
            (
                "AGENTS.md",
                "Boot: read `operations/MEMORY.md`.\n\nThen [notes](memory/{today}/notes.md#top).\n",
            ),
            ("docs/a.md", "x\n[b](b.md) and [up](../../outside.md)\n"),
            ("docs/img.md", "\0binary\0 [x](nowhere.md)"),
            (".leash/notes.md", "[ignored](nowhere.md)"),
            ("notes.txt", "[not markdown](nowhere.md)"),
        ]);
        let r = refs(&t, "roots = [\".\"]");
        assert_eq!(r.outcome, Outcome::Fail);
        assert_eq!(
            lines(&r),
            vec![
                "AGENTS.md:1 dangling reference: `operations/MEMORY.md` does not exist [operations/MEMORY.md]",
                "AGENTS.md:3 dangling reference: `memory/{today}/notes.md` does not exist \
                 (looked for memory/2026-02-13/notes.md) [memory/{today}/notes.md]",
                "docs/a.md:2 dangling reference: `b.md` does not exist (looked for docs/b.md and b.md) [b.md]",
                "docs/a.md:2 dangling reference: `../../outside.md` leads outside the workspace [../../outside.md]",
            ]
        );
    }

    #[test]
    fn only_under_the_roots() {
        let t = tree(&[
            ("docs/a.md", "[x](gone.md)"),
            ("other/b.md", "[y](gone.md)"),
        ]);
        let r = refs(&t, "roots = [\"other\", \"other\", \"missing\"]");
        assert_eq!(
            lines(&r),
            vec![
                "missing configured root does not exist",
                "other/b.md:1 dangling reference: `gone.md` does not exist (looked for other/gone.md and gone.md) [gone.md]",
            ]
        );
    }

    #[test]
    fn bad_config_degrades() {
        let t = tree(&[]);
        let r = refs(&t, "roots = [\"/etc\"]");
        assert_eq!(r.outcome, Outcome::Degraded);
        assert!(
            r.detail
                .contains("`roots` must be a path relative to the workspace root, found \"/etc\"")
        );
        let r = refs(&t, "root = \".\"");
        assert!(
            r.detail
                .contains("unknown option `root` for kind `references`; expected one of: roots")
        );
    }

    #[test]
    fn thousands_of_files_stay_fast() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..2000 {
            let d = dir.path().join(format!("d{}", i % 40));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(
                d.join(format!("f{i}.md")),
                format!("[n](f{}.md) `d0/f0.md`\n", i + 40),
            )
            .unwrap();
        }
        let started = std::time::Instant::now();
        let r = refs(&dir, "");
        // The last 40 files point one step past the end.
        assert_eq!(r.findings.len(), 40);
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }
}
