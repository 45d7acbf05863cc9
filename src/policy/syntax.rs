//! The rule expression as text: size and nesting caps checked on the raw text before evalexpr
//! parses it, and operator trees printed back as infix text for messages.

use evalexpr::{Node, Operator, Value as EValue};

/// Longest `when` expression, in bytes.
pub const MAX_WHEN_BYTES: usize = 2048;
/// Deepest parenthesis nesting.
pub const MAX_DEPTH: usize = 32;
/// Most operators in one expression. evalexpr's parser and evaluator recurse once per level,
/// and a long enough chain (`1 + 1 + ...`, `!!!!...`, `((((...`) overflows the stack and aborts
/// the process, so these caps are checked before the text reaches `build_operator_tree`.
pub const MAX_OPERATORS: usize = 128;

/// Checks the caps on the raw text; the message says which cap and by how much.
pub fn check_caps(when: &str) -> Result<(), String> {
    if when.len() > MAX_WHEN_BYTES {
        return Err(format!(
            "the expression is {} bytes long; the limit is {MAX_WHEN_BYTES}",
            when.len()
        ));
    }
    let (depth, operators) = measure(when);
    if depth > MAX_DEPTH {
        return Err(format!(
            "the expression nests parentheses {depth} deep; the limit is {MAX_DEPTH}"
        ));
    }
    if operators > MAX_OPERATORS {
        return Err(format!(
            "the expression has {operators} operators; the limit is {MAX_OPERATORS}"
        ));
    }
    Ok(())
}

/// Deepest parenthesis nesting and number of operator characters outside string literals.
/// Each run of operator characters (`&&`, `<=`, `!`, `-`) counts once, so `a >= -1` has two.
fn measure(text: &str) -> (usize, usize) {
    let (mut depth, mut deepest, mut operators) = (0usize, 0usize, 0usize);
    let mut in_string = false;
    let mut escaped = false;
    let mut previous_was_operator = false;
    for c in text.chars() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        let is_operator = "+-*/%^=!<>&|;,".contains(c);
        if is_operator && (!previous_was_operator || "!-".contains(c)) {
            operators += 1;
        }
        previous_was_operator = is_operator;
        match c {
            '"' => in_string = true,
            '(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (deepest, operators)
}

/// The tree as infix text, close to what the user wrote (parentheses where they wrote them).
pub fn render(node: &Node) -> String {
    let mut out = String::new();
    write_node(node, true, &mut out);
    out
}

fn write_node(node: &Node, top: bool, out: &mut String) {
    let children = node.children();
    match node.operator() {
        Operator::RootNode => {
            if !top {
                out.push('(');
            }
            for child in children {
                write_node(child, false, out);
            }
            if !top {
                out.push(')');
            }
        }
        Operator::Const { value } => match value {
            EValue::String(s) => out.push_str(&format!("{s:?}")),
            EValue::Float(f) => out.push_str(&format!("{f:?}")),
            other => out.push_str(&other.to_string()),
        },
        Operator::VariableIdentifierRead { identifier }
        | Operator::VariableIdentifierWrite { identifier } => out.push_str(identifier),
        Operator::FunctionIdentifier { identifier } => {
            out.push_str(identifier);
            if !matches!(
                children.first().map(Node::operator),
                Some(Operator::RootNode)
            ) {
                out.push(' ');
            }
            for child in children {
                write_node(child, false, out);
            }
        }
        Operator::Not | Operator::Neg => {
            out.push_str(&node.operator().to_string());
            for child in children {
                write_node(child, false, out);
            }
        }
        op => {
            // Binary and sequence operators: evalexpr's Display already spaces `=`, `,`, `;`.
            let symbol = op.to_string();
            let separator =
                if symbol.starts_with(' ') || symbol.starts_with(',') || symbol.starts_with(';') {
                    symbol
                } else {
                    format!(" {symbol} ")
                };
            // evalexpr wraps each element of a tuple or chain in an implicit root.
            let sequence = matches!(op, Operator::Tuple | Operator::Chain);
            for (i, child) in children.iter().enumerate() {
                if i > 0 {
                    out.push_str(&separator);
                }
                write_node(child, sequence, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(src: &str) -> String {
        render(&evalexpr::build_operator_tree(src).unwrap())
    }

    #[test]
    fn render_gives_back_the_expression() {
        for src in [
            r#"operation_type == "write" && affected_records > 1"#,
            "!(a || b) && -x < 2.5",
            "min(a, b) > 1",
            "x = 1; y += 2",
        ] {
            assert_eq!(round_trip(src), src);
        }
    }

    #[test]
    fn caps_count_depth_and_operators_outside_strings() {
        assert_eq!(measure(r#"((a)) && b == "((&&))""#), (2, 2));
        assert_eq!(measure("a >= -1"), (0, 2));
        assert!(check_caps(&"(".repeat(40)).unwrap_err().contains("40 deep"));
        assert!(
            check_caps(&"!".repeat(200))
                .unwrap_err()
                .contains("200 operators")
        );
        assert!(
            check_caps(&"1+".repeat(1100))
                .unwrap_err()
                .contains("bytes long")
        );
    }
}
