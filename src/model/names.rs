//! What the administrator calls the pool's Front Ends. The model works on server numbers
//! (0-based indices into `Vec`s); names are for people: the scenario may list the servers'
//! FQDNs, and every message, report, CSV and chart labels a server through [`ServerNames`],
//! so that a pool written with names and the same pool written as a count simulate the same
//! numbers and differ only in their labels.

use std::sync::Arc;

/// The pool's server labels: FQDNs as the scenario lists them, or `FE 1`, `FE 2`… when it
/// gives a count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerNames(Option<Arc<[String]>>);

impl ServerNames {
    /// Servers known by number only: `FE 1`, `FE 2`…
    pub fn numbered() -> Self {
        ServerNames(None)
    }

    /// Servers known by these names, in pool order (server 0 is `names[0]`).
    pub fn named(names: Vec<String>) -> Self {
        ServerNames(Some(names.into()))
    }

    /// The names, when the scenario gives them.
    pub fn names(&self) -> Option<&[String]> {
        self.0.as_deref()
    }

    /// Whether the scenario names the servers.
    pub fn is_named(&self) -> bool {
        self.0.is_some()
    }

    /// The label of server `ix` (0-based): its name, or `FE {ix + 1}`.
    pub fn label(&self, ix: usize) -> String {
        match self.0.as_deref().and_then(|n| n.get(ix)) {
            Some(name) => name.clone(),
            None => format!("FE {}", ix + 1),
        }
    }

    /// The labels of `servers` (0-based), in their order.
    pub fn labels<I>(&self, servers: I) -> Vec<String>
    where
        I: IntoIterator,
        I::Item: Into<u64>,
    {
        servers
            .into_iter()
            .map(|s| self.label(usize::try_from(s.into()).unwrap_or(usize::MAX)))
            .collect()
    }

    /// Server `ix` in a CSV `server` column: its name, or its 1-based number when unnamed
    /// (so that numbered pools keep numeric columns).
    pub fn column(&self, ix: usize) -> String {
        match self.0.as_deref().and_then(|n| n.get(ix)) {
            Some(name) => name.clone(),
            None => (ix + 1).to_string(),
        }
    }

    /// The host name of server `ix`: its name up to the first dot (`fe01` of
    /// `fe01.contoso.com`), or `FE{ix + 1}` when unnamed (a stand-in the administrator
    /// replaces).
    pub fn host(&self, ix: usize) -> String {
        match self.0.as_deref().and_then(|n| n.get(ix)) {
            Some(name) => name.split('.').next().unwrap_or(name).to_string(),
            None => format!("FE{}", ix + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ServerNames;

    #[test]
    fn labels_are_names_when_given_and_numbers_otherwise() {
        let n = ServerNames::numbered();
        assert_eq!(n.label(0), "FE 1");
        assert_eq!(n.labels([2u32, 0]), ["FE 3", "FE 1"]);
        assert_eq!(n.host(1), "FE2");
        let n = ServerNames::named(vec!["fe01.contoso.com".into(), "fe02.contoso.com".into()]);
        assert_eq!(n.label(1), "fe02.contoso.com");
        assert_eq!(n.host(0), "fe01");
        // Beyond the list (never in a valid scenario) the number stands in.
        assert_eq!(n.label(5), "FE 6");
    }
}
