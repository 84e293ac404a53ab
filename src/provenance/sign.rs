//! Signing notes with git's own SSH signing set-up, and checking them:
//! `ssh-keygen -Y sign -n leash` with `user.signingkey` when
//! `gpg.format = ssh`, and `ssh-keygen -Y verify` against
//! `gpg.ssh.allowedSignersFile`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use git2::Repository;

/// The namespace every leash signature is made in, so that a signature
/// made for something else (a commit, a file) never passes as a note's.
pub const NAMESPACE: &str = "leash";

/// The key git signs with, when git is set up to sign with SSH.
pub struct Signer {
    key: String,
    /// Who signs: `user.email`.
    pub principal: String,
}

/// The signer git's config names: `gpg.format = ssh` and a
/// `user.signingkey`; `None` otherwise.
pub fn signer(repo: &Repository) -> Option<Signer> {
    let cfg = repo.config().ok()?.snapshot().ok()?;
    if cfg.get_str("gpg.format").ok()? != "ssh" {
        return None;
    }
    let key = cfg.get_str("user.signingkey").ok()?.trim().to_string();
    if key.is_empty() {
        return None;
    }
    let principal = cfg
        .get_str("user.email")
        .map(str::to_string)
        .unwrap_or_default();
    Some(Signer { key, principal })
}

fn home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(h)) => Path::new(&h).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Runs `ssh-keygen` with `input` on stdin; its stdout, or why it failed.
fn ssh_keygen(args: &[&std::ffi::OsStr], input: &[u8]) -> Result<String, String> {
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A key that wants a passphrase must fail, not ask for it on a
    // terminal an agent or the console owns: out of our session, there is
    // no terminal to open. (A key in ssh-agent signs without asking.)
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no memory of ours.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A refusal before reading all of it shows in the exit status.
        let _ = stdin.write_all(input);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("ssh-keygen: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(crate::words::first_line(err.trim()))
    }
}

impl Signer {
    /// The armored signature of `data`.
    pub fn sign(&self, data: &[u8]) -> Result<String, String> {
        // `key::ssh-ed25519 AAAA…` names a key held by the agent.
        let literal = self.key.strip_prefix("key::");
        let file = match literal {
            Some(k) => {
                let mut f = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
                writeln!(f, "{k}").map_err(|e| e.to_string())?;
                Some(f)
            }
            None => None,
        };
        let key = match &file {
            Some(f) => f.path().to_path_buf(),
            None => home(&self.key),
        };
        ssh_keygen(
            &[
                "-Y".as_ref(),
                "sign".as_ref(),
                "-n".as_ref(),
                NAMESPACE.as_ref(),
                "-f".as_ref(),
                key.as_os_str(),
            ],
            data,
        )
        .map_err(|e| format!("signing with {} failed: {e}", self.key))
    }
}

/// What checking a signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    /// Made by this principal's key, as the allowed-signers file says.
    Good(String),
    /// It does not verify: wrong data, wrong key, or a key not allowed.
    Bad(String),
    /// It cannot be checked here: no allowed-signers file, no ssh-keygen.
    Unchecked(String),
}

/// The allowed-signers file git's config names.
pub fn allowed_signers(repo: &Repository) -> Option<PathBuf> {
    let cfg = repo.config().ok()?.snapshot().ok()?;
    let p = cfg.get_str("gpg.ssh.allowedSignersFile").ok()?;
    Some(home(p))
}

/// Checks `signature` over `data` against `allowed` (an allowed-signers
/// file), for any principal the file allows the signing key for.
pub fn verify(data: &[u8], signature: &str, allowed: &Path) -> Checked {
    if !allowed.is_file() {
        return Checked::Unchecked(format!(
            "the allowed-signers file {} does not exist",
            allowed.display()
        ));
    }
    let mut sig = match tempfile::NamedTempFile::new() {
        Ok(f) => f,
        Err(e) => return Checked::Unchecked(format!("temp file: {e}")),
    };
    if let Err(e) = sig.write_all(signature.as_bytes()) {
        return Checked::Unchecked(format!("temp file: {e}"));
    }
    let principals = match ssh_keygen(
        &[
            "-Y".as_ref(),
            "find-principals".as_ref(),
            "-s".as_ref(),
            sig.path().as_os_str(),
            "-f".as_ref(),
            allowed.as_os_str(),
        ],
        b"",
    ) {
        Ok(p) => p,
        Err(e) if e.starts_with("cannot run") => return Checked::Unchecked(e),
        Err(e) => return Checked::Bad(format!("its key is not an allowed signer ({e})")),
    };
    let mut last = String::from("no principal");
    for principal in principals.lines().map(str::trim).filter(|p| !p.is_empty()) {
        match ssh_keygen(
            &[
                "-Y".as_ref(),
                "verify".as_ref(),
                "-f".as_ref(),
                allowed.as_os_str(),
                "-I".as_ref(),
                principal.as_ref(),
                "-n".as_ref(),
                NAMESPACE.as_ref(),
                "-s".as_ref(),
                sig.path().as_os_str(),
            ],
            data,
        ) {
            Ok(_) => return Checked::Good(principal.to_string()),
            Err(e) => last = e,
        }
    }
    Checked::Bad(format!("the signature does not verify ({last})"))
}
