//! The human-readable text a ReCap adds to the SIWE statement (ERC-5573).

use super::jcs::{array_index, cmp_utf16};
use super::Capability;
use crate::error::{Error, Result};

/// The fixed opening of every ReCap statement.
pub const STATEMENT_PREFIX: &str =
    "I further authorize the stated URI to perform the following actions on my behalf:";

/// How the namespaces of one resource are ordered in the text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NamespaceOrder {
    /// Namespaces sorted (SPEC §4, the Rust reference crate).
    Sorted,
    /// What the TypeScript reference package (and so the Lit JS SDK) writes: namespaces in the
    /// order they first appear among the sorted `namespace/name` strings, then re-ordered as
    /// JavaScript orders object keys (array-index keys such as `"7"` first, ascending).
    JavaScript,
}

/// Render the statement for `cap`.
fn render(cap: &Capability, order: NamespaceOrder) -> String {
    let mut out = String::from(STATEMENT_PREFIX);
    let mut section = 1usize;
    let mut resources: Vec<&String> = cap.att().keys().collect();
    resources.sort_by(|a, b| cmp_utf16(a, b));
    for resource in resources {
        let Some(abilities) = cap.att().get(resource) else {
            continue;
        };
        for (namespace, names) in group(abilities.keys(), order) {
            // Plain pushes rather than `write!`: this runs on every cold verification.
            out.push_str(" (");
            push_decimal(&mut out, section);
            out.push_str(") '");
            out.push_str(namespace);
            out.push_str("': ");
            for (i, name) in names.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('\'');
                out.push_str(name);
                out.push('\'');
            }
            out.push_str(" for '");
            out.push_str(resource);
            out.push_str("'.");
            section += 1;
        }
    }
    out
}

/// Append `n` in decimal.
fn push_decimal(out: &mut String, n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        // `n % 10` < 10, so the cast keeps the value.
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// Group `namespace/name` ability strings by namespace.
fn group<'a>(
    abilities: impl Iterator<Item = &'a String>,
    order: NamespaceOrder,
) -> Vec<(&'a str, Vec<&'a str>)> {
    let mut all: Vec<&'a String> = abilities.collect();
    all.sort_by(|a, b| cmp_utf16(a, b));
    let mut groups: Vec<(&'a str, Vec<&'a str>)> = Vec::new();
    for ability in all {
        // Abilities are validated `namespace/name`; a malformed one (impossible by
        // construction) is shown whole as a namespace with an empty name.
        let (ns, name) = ability.split_once('/').unwrap_or((ability.as_str(), ""));
        match groups.iter_mut().find(|(g, _)| *g == ns) {
            Some((_, names)) => names.push(name),
            None => groups.push((ns, vec![name])),
        }
    }
    match order {
        NamespaceOrder::Sorted => {
            groups.sort_by(|a, b| cmp_utf16(a.0, b.0));
            for (_, names) in &mut groups {
                names.sort_by(|a, b| cmp_utf16(a, b));
            }
        }
        NamespaceOrder::JavaScript => {
            // Stable sort: array-index keys first (ascending numerically), others keep
            // first-appearance order.
            groups.sort_by_key(|(ns, _)| array_index(ns).map_or(u64::MAX, u64::from));
        }
    }
    groups
}

impl Capability {
    /// The ReCap statement text for this capability, exactly per ERC-5573 / SPEC §4:
    /// `I further authorize the stated URI to perform the following actions on my behalf:`
    /// followed, for each resource in sorted order and each of its namespaces in sorted order,
    /// by ` (<n>) '<namespace>': '<name1>', '<name2>' for '<resource>'.` (names sorted, `n`
    /// counting from 1 across all resources). An empty capability gives the opening alone.
    pub fn statement(&self) -> String {
        render(self, NamespaceOrder::Sorted)
    }

    /// The statement as the TypeScript reference package writes it; differs from
    /// [`Capability::statement`] only when one namespace of a resource is a prefix of another
    /// followed by a character that sorts before `/` (`a` and `a-b`) or when a namespace is a
    /// number. `None` when both forms are the same.
    pub(crate) fn statement_js_variant(&self) -> Option<String> {
        let needs = self.att().values().any(|abilities| {
            let a: Vec<&str> = group(abilities.keys(), NamespaceOrder::Sorted)
                .into_iter()
                .map(|g| g.0)
                .collect();
            let b: Vec<&str> = group(abilities.keys(), NamespaceOrder::JavaScript)
                .into_iter()
                .map(|g| g.0)
                .collect();
            a != b
        });
        needs.then(|| render(self, NamespaceOrder::JavaScript))
    }
}

/// The SIWE statement that carries `cap`: the ReCap text alone when there is no user statement,
/// otherwise `<user statement> <ReCap text>` (so `Some("")` gives a leading space, which is what
/// the Lit v8 SDK writes).
pub fn statement_with_recap(user_statement: Option<&str>, cap: &Capability) -> String {
    let recap = cap.statement();
    match user_statement {
        None => recap,
        Some(s) => {
            let mut out = String::with_capacity(s.len() + 1 + recap.len());
            out.push_str(s);
            out.push(' ');
            out.push_str(&recap);
            out
        }
    }
}

/// Check the ERC-5573 rule that the SIWE statement ends with the text generated from its ReCap
/// (so the user saw what they granted).
///
/// Also accepted: the namespace order the TypeScript reference package (used by the Lit JS SDK)
/// writes, which differs from the sorted order only in rare edge cases (see
/// [`Capability::statement`]); both texts state exactly the same grants.
///
/// Errors: [`Error::RecapStatementMismatch`] when the statement is absent or does not end with
/// the text.
pub fn check_statement(statement: Option<&str>, cap: &Capability) -> Result<()> {
    let Some(statement) = statement else {
        return Err(Error::RecapStatementMismatch(
            "the SIWE message has no statement but carries a ReCap".into(),
        ));
    };
    let expected = cap.statement();
    if statement.ends_with(&expected) {
        return Ok(());
    }
    if let Some(js) = cap.statement_js_variant() {
        if statement.ends_with(&js) {
            return Ok(());
        }
    }
    Err(Error::RecapStatementMismatch(format!(
        "expected the statement to end with {expected:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(entries: &[(&str, &str)]) -> Capability {
        let mut c = Capability::new();
        for (r, a) in entries {
            c.add_ability(r, a, vec![Default::default()]).unwrap();
        }
        c
    }

    #[test]
    fn empty_capability() {
        let c = Capability::new();
        assert_eq!(c.statement(), STATEMENT_PREFIX);
        assert_eq!(
            statement_with_recap(Some("Hi."), &c),
            format!("Hi. {STATEMENT_PREFIX}")
        );
    }

    #[test]
    fn erc_example() {
        let c = cap(&[
            ("https://example.com/pictures/", "crud/update"),
            ("https://example.com/pictures/", "crud/delete"),
            ("https://example.com/pictures/", "other/action"),
            ("mailto:username@example.com", "msg/send"),
            ("mailto:username@example.com", "msg/receive"),
        ]);
        assert_eq!(
            c.statement(),
            "I further authorize the stated URI to perform the following actions on my behalf: (1) 'crud': 'delete', 'update' for 'https://example.com/pictures/'. (2) 'other': 'action' for 'https://example.com/pictures/'. (3) 'msg': 'receive', 'send' for 'mailto:username@example.com'."
        );
        assert!(c.statement_js_variant().is_none());
    }

    #[test]
    fn statement_wrappers() {
        let c = cap(&[("credential:*", "credential/present")]);
        let t = c.statement();
        assert_eq!(statement_with_recap(None, &c), t);
        assert_eq!(statement_with_recap(Some(""), &c), format!(" {t}"));
        assert!(check_statement(Some(&t), &c).is_ok());
        assert!(check_statement(Some(&format!("Hello. {t}")), &c).is_ok());
        for bad in [None, Some(""), Some("Hello."), Some(&t[..t.len() - 1])] {
            assert_eq!(
                check_statement(bad, &c).unwrap_err().code(),
                "recap_statement_mismatch"
            );
        }
        // A statement for fewer grants does not match.
        let more = cap(&[
            ("credential:*", "credential/present"),
            ("credential:*", "credential/revoke"),
        ]);
        assert!(check_statement(Some(&t), &more).is_err());
    }

    #[test]
    fn section_numbers_past_nine() {
        let names: Vec<(String, String)> = (0..12)
            .map(|i| (format!("https://x.test/{i:02}"), "a/b".to_owned()))
            .collect();
        let mut c = Capability::new();
        for (r, a) in &names {
            c.add_ability(r, a, vec![Default::default()]).unwrap();
        }
        let t = c.statement();
        assert!(
            t.contains(
                " (9) 'a': 'b' for 'https://x.test/08'. (10) 'a': 'b' for 'https://x.test/09'."
            ),
            "{t}"
        );
        assert!(
            t.ends_with(" (12) 'a': 'b' for 'https://x.test/11'."),
            "{t}"
        );
        let mut out = String::new();
        for n in [0, 7, 10, 99, 100, 12345, usize::MAX] {
            out.clear();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn namespace_prefix_edge_case() {
        // "a-b/y" sorts before "a/x" as whole strings, but "a" sorts before "a-b".
        let c = cap(&[("https://x.test", "a/x"), ("https://x.test", "a-b/y")]);
        let sorted = c.statement();
        assert!(sorted
            .ends_with("(1) 'a': 'x' for 'https://x.test'. (2) 'a-b': 'y' for 'https://x.test'."));
        let js = c.statement_js_variant().unwrap();
        assert!(
            js.ends_with("(1) 'a-b': 'y' for 'https://x.test'. (2) 'a': 'x' for 'https://x.test'.")
        );
        assert!(check_statement(Some(&sorted), &c).is_ok());
        assert!(check_statement(Some(&js), &c).is_ok());
    }

    #[test]
    fn numeric_namespaces_js_order() {
        let c = cap(&[
            ("https://x.test", "b/x"),
            ("https://x.test", "10/x"),
            ("https://x.test", "9/x"),
        ]);
        assert!(c
            .statement()
            .ends_with("(1) '10': 'x' for 'https://x.test'. (2) '9': 'x' for 'https://x.test'. (3) 'b': 'x' for 'https://x.test'."));
        let js = c.statement_js_variant().unwrap();
        assert!(js.ends_with("(1) '9': 'x' for 'https://x.test'. (2) '10': 'x' for 'https://x.test'. (3) 'b': 'x' for 'https://x.test'."));
    }
}
