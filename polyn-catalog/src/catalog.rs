//! [`Catalog`]: the built site and AsyncAPI document, in memory until
//! written.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::Error;
use crate::model::Model;

/// An event catalog: a static site (`index.html`, one page per message
/// under `events/`, `style.css`, `search.js`) and its AsyncAPI 3.0.0
/// document (`asyncapi.json`), as relative paths and their contents.
///
/// Every page works from the file system: links are relative and nothing
/// is fetched from the network.
///
/// ```
/// let catalog = polyn_catalog::Sources::new("Acme events")
///     .schema("ping.v1", serde_json::json!({"type": "object"}))
///     .build()?;
/// let paths: Vec<&str> = catalog.files().keys().map(String::as_str).collect();
/// assert_eq!(paths, ["asyncapi.json", "events/ping.v1.html", "index.html", "search.js", "style.css"]);
/// assert_eq!(catalog.asyncapi()["asyncapi"], "3.0.0");
///
/// let dir = tempfile::tempdir()?;
/// catalog.write(&dir.path().join("site"))?;
/// assert!(dir.path().join("site/events/ping.v1.html").is_file());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Catalog {
    files: BTreeMap<String, String>,
    asyncapi: Value,
}

impl Catalog {
    /// Renders every file of the catalog.
    pub(crate) fn render(model: &Model) -> Catalog {
        let asyncapi = crate::asyncapi::document(model);
        let mut files = crate::site::files(model);
        for message in model.messages.values() {
            files.insert(
                crate::page::path(&message.name),
                crate::page::page(model, message),
            );
        }
        let text = serde_json::to_string_pretty(&asyncapi).unwrap_or_default();
        files.insert("asyncapi.json".to_owned(), format!("{text}\n"));
        Catalog { files, asyncapi }
    }

    /// Every file, by its path relative to the site folder (`/`-separated),
    /// including `index.html` and `asyncapi.json`.
    pub fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }

    /// The AsyncAPI 3.0.0 document, as written to `asyncapi.json`.
    pub fn asyncapi(&self) -> &Value {
        &self.asyncapi
    }

    /// Writes every file under `dir`, creating it and the folders inside it
    /// as needed; files already there with other names are left alone.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        for (relative, contents) in &self.files {
            let path = relative
                .split('/')
                .fold(dir.to_path_buf(), |path, part| path.join(part));
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Write {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, contents).map_err(|source| Error::Write { path, source })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Sources;

    #[test]
    fn writing_creates_the_folders_and_every_file() {
        let catalog = Sources::new("t")
            .schema("widgets.created.v1", serde_json::json!({"type": "object"}))
            .build()
            .expect("builds");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let site = dir.path().join("site");
        catalog.write(&site).expect("writes");
        for (relative, contents) in catalog.files() {
            let written = std::fs::read_to_string(site.join(relative)).expect("written");
            assert_eq!(&written, contents, "{relative}");
        }
    }

    #[test]
    fn odd_schemas_still_get_pages() {
        let odd = [
            serde_json::json!({}),
            serde_json::json!({"type": 12}),
            serde_json::json!({"type": "string", "format": "uuid"}),
            serde_json::json!({"properties": [], "required": "x", "items": true}),
            serde_json::json!({"properties": {"a": {"$ref": "#/nowhere"}, "b": {"$ref": "other.json"}}}),
            serde_json::json!({"properties": {"a": true, "b": false}, "required": ["a", "b"]}),
            serde_json::json!({"$ref": "#"}),
            serde_json::json!({"allOf": [{"$ref": "#"}], "oneOf": [], "enum": []}),
        ];
        let mut sources = Sources::new("odd");
        for (index, schema) in odd.iter().enumerate() {
            sources = sources.schema(format!("odd.v{}", index + 1), schema.clone());
        }
        let catalog = sources.build().expect("builds");
        for index in 1..=odd.len() {
            let page = &catalog.files()[&format!("events/odd.v{index}.html")];
            assert!(page.contains("<section id=\"schema\">"), "odd.v{index}");
        }
        let page = &catalog.files()["events/odd.v2.html"];
        assert!(page.contains("does not compile"), "{page}");
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_named() {
        let catalog = Sources::new("t").build().expect("builds");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let file = dir.path().join("plain-file");
        std::fs::write(&file, "x").expect("written");
        let err = catalog
            .write(&file.join("site"))
            .expect_err("a file is in the way");
        assert!(err.to_string().contains("plain-file"), "{err}");
    }
}
