//! Everything a catalog shows, joined once from its sources; the site and
//! the AsyncAPI document both render this.

use std::collections::BTreeMap;

use polyn::manifest::Manifest;

use crate::message::Message;
use crate::topology::{Consumer, Stream, Topology};

/// The catalog's content.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub(crate) title: String,
    pub(crate) messages: BTreeMap<String, Message>,
    pub(crate) topology: Topology,
    /// Whether any migrations were given (so "no stream" means something).
    pub(crate) has_migrations: bool,
    pub(crate) manifests: Vec<Manifest>,
}

impl Model {
    /// The streams carrying `message`, with the consumers delivering it.
    pub(crate) fn carrying(&self, message: &Message) -> Vec<(&Stream, Vec<&Consumer>)> {
        self.topology.carrying(&message.name)
    }

    /// The messages a stream carries.
    pub(crate) fn carried_by(&self, stream: &Stream) -> Vec<&Message> {
        self.messages
            .values()
            .filter(|message| {
                self.carrying(message)
                    .iter()
                    .any(|(carrier, _)| carrier.name == stream.name)
            })
            .collect()
    }

    /// The stream holding a durable consumer named `name`, if any.
    pub(crate) fn stream_of_consumer(&self, name: &str) -> Option<&Stream> {
        self.topology
            .streams()
            .find(|stream| stream.consumers.contains_key(name))
    }

    /// The messages grouped by base name (`widgets.created`), each group's
    /// versions lowest first.
    pub(crate) fn groups(&self) -> Vec<(&str, Vec<&Message>)> {
        let mut groups: BTreeMap<&str, Vec<&Message>> = BTreeMap::new();
        for message in self.messages.values() {
            groups
                .entry(message.base.as_str())
                .or_default()
                .push(message);
        }
        groups
            .into_iter()
            .map(|(base, mut versions)| {
                versions.sort_by_key(|message| (message.version, message.name.clone()));
                (base, versions)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_hold_the_versions_of_a_base_name_in_order() {
        let object = json!({"type": "object"});
        let schemas: BTreeMap<String, serde_json::Value> = [
            ("orders.placed.v2", object.clone()),
            ("orders.placed.v1", object.clone()),
            ("money.amount.v1", object),
        ]
        .into_iter()
        .map(|(name, schema)| (name.to_owned(), schema))
        .collect();
        let model = Model {
            title: "t".to_owned(),
            messages: crate::message::messages(&schemas, &[]),
            topology: Topology::default(),
            has_migrations: false,
            manifests: Vec::new(),
        };
        let groups: Vec<(&str, Vec<&str>)> = model
            .groups()
            .into_iter()
            .map(|(base, versions)| (base, versions.iter().map(|m| m.name.as_str()).collect()))
            .collect();
        assert_eq!(
            groups,
            [
                ("money.amount", vec!["money.amount.v1"]),
                (
                    "orders.placed",
                    vec!["orders.placed.v1", "orders.placed.v2"]
                )
            ]
        );
    }
}
