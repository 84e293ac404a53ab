//! How a turn's agent was confined, as its `turn_confined` event says.

use serde::{Deserialize, Serialize};

/// How a turn's agent was confined, from its `turn_confined` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confinement {
    pub confined: bool,
    pub abi: Option<u32>,
    pub writable: Vec<String>,
    /// TCP ports connects could reach, when the network was denied.
    pub connect_ports: Option<Vec<u16>>,
    pub warning: Option<String>,
}

impl Confinement {
    /// One line for a person: "yes, by Landlock ABI 7 (13 writable paths);
    /// network denied except TCP 443" or "NO — why".
    pub fn summary(&self) -> String {
        let mut s = if self.confined {
            format!(
                "yes, by Landlock ABI {} ({})",
                self.abi.unwrap_or(0),
                crate::words::count(self.writable.len(), "writable path")
            )
        } else {
            "NO".to_string()
        };
        if let Some(ports) = &self.connect_ports {
            s.push_str(&format!(
                "; network denied except TCP {}",
                crate::words::ports_text(ports)
            ));
        }
        if let Some(w) = &self.warning {
            s.push_str(&format!(" — {w}"));
        }
        s
    }
}
