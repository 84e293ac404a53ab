//! A pass's `out` checked against the JSON Schema its contract names. The
//! schema is read as committed at the pass's base, never from the pass's
//! own worktree, so a pass cannot loosen what it is held to. Remote
//! references are never fetched (the crate is built without them): a
//! schema that needs one is a schema leash cannot use, and says so.

use serde_json::Value;

use crate::model::FailureClass;

/// How many of a deliverable's violations its failure lists.
const LISTED: usize = 3;

/// The failure of `out` (whose JSON is `value`) against the schema at
/// `path`, read as `schema` says; `None` when it is valid.
pub fn check(
    out: &str,
    value: &Value,
    path: &str,
    schema: Result<Vec<u8>, String>,
) -> Option<(FailureClass, String)> {
    let broken = |why: String| {
        Some((
            FailureClass::ContractViolation,
            format!("{out}: its schema {path} cannot be used: {why}"),
        ))
    };
    let bytes = match schema {
        Ok(b) => b,
        Err(why) => return broken(why),
    };
    let schema: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => return broken(format!("not valid JSON at line {}", e.line())),
    };
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) => return broken(format!("not a valid JSON Schema: {}", e.masked())),
    };
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            // The instance is the agent's: its values are not repeated.
            format!("{at}: {}", e.masked())
        })
        .collect();
    if errors.is_empty() {
        return None;
    }
    let more = match errors.len().saturating_sub(LISTED) {
        0 => String::new(),
        n => format!("; and {n} more"),
    };
    let listed: Vec<&str> = errors.iter().take(LISTED).map(String::as_str).collect();
    Some((
        FailureClass::ContractViolation,
        crate::sanitize::plain(&format!("{out}: {}{more}", listed.join("; "))),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIMS: &str = r#"{
        "type": "object",
        "required": ["claims"],
        "properties": {"claims": {"type": "array", "items": {
            "type": "object",
            "required": ["text", "source"],
            "properties": {"text": {"type": "string"}, "source": {"type": "string"}}
        }}}
    }"#;

    fn run(value: &str, schema: &str) -> Option<(FailureClass, String)> {
        check(
            "w/claims.json",
            &serde_json::from_str(value).unwrap(),
            "schemas/claims.json",
            Ok(schema.as_bytes().to_vec()),
        )
    }

    #[test]
    fn a_violation_names_the_file_the_pointer_and_the_rule() {
        assert_eq!(
            run(r#"{"claims": [{"text": "a", "source": "b"}]}"#, CLAIMS),
            None
        );
        assert_eq!(
            run(r#"{"claims": [{"text": "a"}]}"#, CLAIMS),
            Some((
                FailureClass::ContractViolation,
                "w/claims.json: /claims/0: \"source\" is a required property".into()
            ))
        );
        // The agent's own values are not repeated in the failure.
        let (_, said) = run(
            r#"{"claims": [{"text": "\u001b[2J", "source": 7}]}"#,
            CLAIMS,
        )
        .unwrap();
        assert_eq!(
            said,
            "w/claims.json: /claims/0/source: value is not of type \"string\""
        );
    }

    #[test]
    fn many_violations_are_capped() {
        let items: Vec<String> = (0..5).map(|_| "{}".to_string()).collect();
        let (_, said) = run(&format!(r#"{{"claims": [{}]}}"#, items.join(",")), CLAIMS).unwrap();
        assert!(said.ends_with("; and 7 more"), "{said}");
        assert_eq!(said.matches("is a required property").count(), 3, "{said}");
    }

    #[test]
    fn a_missing_or_broken_schema_is_named() {
        let v = serde_json::json!({});
        let failed = |schema| check("o.json", &v, "s.json", schema).unwrap().1;
        assert_eq!(
            failed(Err("not in the pass's base commit".into())),
            "o.json: its schema s.json cannot be used: not in the pass's base commit"
        );
        assert_eq!(
            failed(Ok(b"{ nope".to_vec())),
            "o.json: its schema s.json cannot be used: not valid JSON at line 1"
        );
        assert!(
            failed(Ok(br#"{"type": 12}"#.to_vec()))
                .starts_with("o.json: its schema s.json cannot be used: not a valid JSON Schema"),
        );
    }
}
