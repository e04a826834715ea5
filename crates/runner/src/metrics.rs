//! A `Metrics` output: a JSON object of name → number, where a value may itself be an
//! object; nested names are joined with `.` (`{"eval": {"prc": {"avg": 0.8}}}` gives
//! `eval.prc.avg`), the names MLflow and `mlforge metrics` show.

/// The metrics in the text of a `Metrics` output, by name. The error says
/// what is wrong after "output `m` (Metrics) ".
pub fn parse(text: &str) -> Result<Vec<(String, f64)>, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        format!("is not JSON ({e}); write an object of name → number (objects may nest)")
    })?;
    let serde_json::Value::Object(object) = json else {
        return Err("must be a JSON object of name → number (objects may nest)".into());
    };
    let mut metrics = Vec::new();
    flatten(&object, "", &mut metrics)?;
    let mut seen = std::collections::HashSet::new();
    for (name, _) in &metrics {
        if !seen.insert(name.as_str()) {
            return Err(format!(
                "gives `{name}` twice (once nested, once with the dots written out); keep one"
            ));
        }
    }
    Ok(metrics)
}

fn flatten(
    object: &serde_json::Map<String, serde_json::Value>,
    prefix: &str,
    out: &mut Vec<(String, f64)>,
) -> Result<(), String> {
    for (key, value) in object {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            serde_json::Value::Number(n) => out.push((name, n.as_f64().unwrap_or(f64::NAN))),
            serde_json::Value::Bool(b) => out.push((name, if *b { 1.0 } else { 0.0 })),
            serde_json::Value::Object(inner) => flatten(inner, &name, out)?,
            other => {
                return Err(format!(
                    "holds `{name}: {other}`; every entry must be a number, or an object of them"
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_give_dotted_names() {
        let metrics =
            parse(r#"{"mae": 1.5, "eval": {"prc": {"avg_prec": 0.8}, "ok": true}, "n": 3}"#)
                .unwrap();
        assert_eq!(
            metrics,
            [
                ("eval.ok".to_string(), 1.0),
                ("eval.prc.avg_prec".to_string(), 0.8),
                ("mae".to_string(), 1.5),
                ("n".to_string(), 3.0),
            ]
        );
    }

    #[test]
    fn what_is_not_a_number_is_named() {
        let error = parse(r#"{"eval": {"scores": [1, 2]}}"#).unwrap_err();
        assert_eq!(
            error,
            "holds `eval.scores: [1,2]`; every entry must be a number, or an object of them"
        );
        assert!(parse(r#"{"a": null}"#).unwrap_err().contains("`a: null`"));
        assert!(parse("[1]").unwrap_err().contains("must be a JSON object"));
        assert!(parse("{").unwrap_err().starts_with("is not JSON"));
        let twice = parse(r#"{"a.b": 1, "a": {"b": 2}}"#).unwrap_err();
        assert!(twice.contains("gives `a.b` twice"), "{twice}");
    }
}
