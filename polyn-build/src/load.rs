//! Reading a schemas folder, with `polyn-build`'s [`Error`].

use std::path::Path;

use crate::{Error, SchemaFile};

/// Reads every `*.json` file under `dir`, at any depth, in sorted path
/// order, skipping hidden files and folders (see
/// `polyn_schemas::load_schemas`). Names and contents are checked by
/// [`generate`](crate::generate).
///
/// ```no_run
/// let files = polyn_build::load_schemas("schemas")?;
/// let code = polyn_build::generate(&files)?;
/// # Ok::<(), polyn_build::Error>(())
/// ```
pub fn load_schemas(dir: impl AsRef<Path>) -> Result<Vec<SchemaFile>, Error> {
    Ok(polyn_schemas::load_schemas(dir)?)
}
