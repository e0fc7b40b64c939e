//! [`Builder`]: the options of a build-script run, and the run itself.

use std::path::{Path, PathBuf};

use crate::generate::{Settings, generate_with};
use crate::module::Layout;
use crate::output::{
    modules_dir_name, remove_stale_modules, rerun_if_changed, schemas_dir_env, write_if_changed,
};
use crate::{Error, SchemaFile};
use polyn_schemas::schema_paths;

/// The file name the generated code is written to inside `OUT_DIR`, and
/// which `polyn::include_events!()` includes.
pub const DEFAULT_FILE_NAME: &str = "polyn_events.rs";

/// Generates the event types for a schemas folder, with options.
///
/// Made by [`configure`]; each option takes and returns the builder, and
/// [`Builder::compile`] runs it.
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     polyn_build::configure()
///         .emit_rerun_if_changed(true)
///         .skip("orders.legacy.v1")
///         .compile("schemas")?;
///     Ok(())
/// }
/// ```
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until `compile` or `generate` is called"]
pub struct Builder {
    out_dir: Option<PathBuf>,
    file_name: String,
    emit_rerun_if_changed: bool,
    runtime_path: String,
    skip: Vec<String>,
    non_zero_integers: bool,
}

/// A [`Builder`] with the default options: output to `OUT_DIR/polyn_events.rs`,
/// `cargo:rerun-if-changed` lines on, runtime crate `::polyn`, every schema
/// generated.
///
/// ```
/// let builder = polyn_build::configure().out_dir("target/generated");
/// ```
pub fn configure() -> Builder {
    Builder {
        out_dir: None,
        file_name: DEFAULT_FILE_NAME.to_owned(),
        emit_rerun_if_changed: true,
        runtime_path: "::polyn".to_owned(),
        skip: Vec::new(),
        non_zero_integers: false,
    }
}

impl Default for Builder {
    fn default() -> Self {
        configure()
    }
}

impl Builder {
    /// Writes the generated file into `dir` instead of `OUT_DIR`, e.g. to
    /// check generated code in, or outside a build script.
    ///
    /// ```
    /// # let schemas = tempfile::tempdir()?;
    /// # std::fs::write(schemas.path().join("ping.v1.json"), r#"{"type": "object"}"#)?;
    /// # let out = tempfile::tempdir()?;
    /// let path = polyn_build::configure()
    ///     .out_dir(out.path())
    ///     .emit_rerun_if_changed(false)
    ///     .compile(schemas.path())?;
    /// assert_eq!(path, out.path().join("polyn_events.rs"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Names the generated file (default [`DEFAULT_FILE_NAME`]). Include a
    /// file with another name with `polyn::include_events!("name.rs")`.
    ///
    /// ```no_run
    /// // build.rs
    /// polyn_build::configure().file_name("events.rs").compile("schemas")?;
    /// # Ok::<(), polyn_build::Error>(())
    /// ```
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = name.into();
        self
    }

    /// Whether [`compile`](Builder::compile) prints `cargo:rerun-if-changed`
    /// for the schemas folder and every schema file (default `true`), so
    /// that editing, adding or removing a schema reruns the build script and
    /// an unchanged tree does not.
    ///
    /// Turn it off only when the build script already watches a wider set
    /// of files itself:
    ///
    /// ```no_run
    /// // build.rs
    /// println!("cargo:rerun-if-changed=contracts");
    /// polyn_build::configure()
    ///     .emit_rerun_if_changed(false)
    ///     .compile("contracts/schemas")?;
    /// # Ok::<(), polyn_build::Error>(())
    /// ```
    pub fn emit_rerun_if_changed(mut self, emit: bool) -> Self {
        self.emit_rerun_if_changed = emit;
        self
    }

    /// The path generated code uses for the Polyn runtime crate (default
    /// `::polyn`), for crates that rename the dependency or reach it through
    /// a facade. Generated code uses `<path>::EventType` and
    /// `<path>::__private::{serde, serde_json, chrono, uuid}`.
    ///
    /// ```
    /// let builder = polyn_build::configure().runtime_path("::my_facade::polyn");
    /// ```
    pub fn runtime_path(mut self, path: impl Into<String>) -> Self {
        self.runtime_path = path.into();
        self
    }

    /// Leaves the schema of `message` out of the generated code, e.g. for an
    /// event written in Rust first (see [`export_schema`](crate::export_schema))
    /// or a schema typify cannot express. Its name is still checked; naming a
    /// message that has no schema is an error.
    ///
    /// ```
    /// use polyn_build::SchemaFile;
    /// let files = [SchemaFile::new("s/a.v1.json", r#"{"if": {}}"#)];
    /// assert_eq!(
    ///     polyn_build::configure().skip("a.v1").generate(&files)?,
    ///     polyn_build::generate(&[])?,
    /// );
    /// # Ok::<(), polyn_build::Error>(())
    /// ```
    pub fn skip(mut self, message: impl Into<String>) -> Self {
        self.skip.push(message.into());
        self
    }

    /// Generates `NonZeroU64` (and the smaller `NonZero*` types) for an
    /// integer whose least value is 1 (`minimum: 1`, `exclusiveMinimum: 0`).
    /// Off by default: such an integer is a plain `u64`, which literals and
    /// arithmetic fit, and the schema still rejects 0 when events are
    /// validated.
    ///
    /// ```
    /// let files = [polyn_build::SchemaFile::new(
    ///     "schemas/cart.v1.json",
    ///     r#"{"type": "object", "properties": {"quantity": {"type": "integer", "minimum": 1}}}"#,
    /// )];
    /// let plain = polyn_build::generate(&files)?;
    /// assert!(plain.contains("pub quantity: Option<u64>"));
    /// let non_zero = polyn_build::configure().non_zero_integers(true).generate(&files)?;
    /// assert!(non_zero.contains("pub quantity: Option<::std::num::NonZeroU64>"));
    /// # Ok::<(), polyn_build::Error>(())
    /// ```
    pub fn non_zero_integers(mut self, non_zero: bool) -> Self {
        self.non_zero_integers = non_zero;
        self
    }

    /// Generates the code for `files` with these options, without touching
    /// the file system. The output directory and rerun options do not apply.
    ///
    /// ```
    /// let files = [polyn_build::SchemaFile::new("schemas/ping.v1.json", r#"{"type": "object"}"#)];
    /// let code = polyn_build::configure().runtime_path("::polyn2").generate(&files)?;
    /// assert!(code.contains("impl ::polyn2::EventType for PingV1"));
    /// # Ok::<(), polyn_build::Error>(())
    /// ```
    pub fn generate(&self, files: &[SchemaFile]) -> Result<String, Error> {
        generate_with(
            files,
            &Settings {
                runtime: &self.runtime_path,
                skip: &self.skip,
                layout: Layout::Inline,
                non_zero_integers: self.non_zero_integers,
            },
        )
        .map(|generated| generated.main)
    }

    /// Reads every `*.json` under `schemas_dir` (any depth), generates the
    /// event types, and writes them to `<out dir>/<file name>` when they
    /// changed. Returns the path of the generated file.
    ///
    /// The file declares one module per schema, and each module includes its
    /// items from a file of its own in a folder named after the file
    /// (`polyn_events/user_created_v1.rs` next to `polyn_events.rs`): the
    /// same code as [`generate`](Builder::generate) returns, but editing one
    /// schema rewrites one small file, and the compiler reuses what it
    /// cached for the others. Files in that folder that no schema generates
    /// any more are removed.
    ///
    /// Relative paths are relative to the package being built, which is
    /// where cargo runs build scripts.
    ///
    /// ```no_run
    /// // build.rs
    /// let generated = polyn_build::configure().compile("../schemas")?;
    /// # Ok::<(), polyn_build::Error>(())
    /// ```
    pub fn compile(self, schemas_dir: impl AsRef<Path>) -> Result<PathBuf, Error> {
        let schemas_dir = schemas_dir.as_ref();
        let out_dir = match &self.out_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::OutDirNotSet)?,
        };
        // Before reading anything: if reading fails, cargo still knows what
        // to watch for the fix.
        let watched = match schema_paths(schemas_dir) {
            Ok(paths) => paths,
            Err(err) => {
                if self.emit_rerun_if_changed {
                    print!("{}", rerun_if_changed(schemas_dir, &[]));
                }
                return Err(err.into());
            }
        };
        if self.emit_rerun_if_changed {
            print!("{}", rerun_if_changed(schemas_dir, &watched));
        }
        // In a build script, the handler macro of this crate reads the
        // folder compiled here (`#[polyn::handler(event = "...")]`).
        if std::env::var_os("OUT_DIR").is_some() {
            print!("{}", schemas_dir_env(schemas_dir));
        }
        let files = watched
            .iter()
            .map(SchemaFile::read)
            .collect::<Result<Vec<_>, _>>()?;
        let dir = modules_dir_name(&self.file_name);
        let generated = generate_with(
            &files,
            &Settings {
                runtime: &self.runtime_path,
                skip: &self.skip,
                layout: Layout::Split { dir: dir.clone() },
                non_zero_integers: self.non_zero_integers,
            },
        )?;
        let target = out_dir.join(&self.file_name);
        let modules_dir = target.with_file_name(&dir);
        for (module, code) in &generated.modules {
            write_if_changed(&modules_dir.join(format!("{module}.rs")), code)?;
        }
        write_if_changed(&target, &generated.main)?;
        remove_stale_modules(&modules_dir, generated.modules.iter().map(|(name, _)| name))?;
        Ok(target)
    }
}

/// Generates the event types for every schema under `schemas_dir` into
/// `OUT_DIR/polyn_events.rs`, printing `cargo:rerun-if-changed` for the
/// folder and each file. The one-liner for `build.rs`; see [`configure`]
/// for options.
///
/// ```no_run
/// // build.rs: `fn main` of the build script
/// polyn_build::compile_schemas("schemas").unwrap_or_else(|err| panic!("{err}"));
/// ```
///
/// Then, in the crate:
///
/// ```ignore
/// polyn::include_events!();
///
/// let event = WidgetsCreatedV1 { id: "w1".into(), name: "Sprocket".into() };
/// ```
pub fn compile_schemas(schemas_dir: impl AsRef<Path>) -> Result<(), Error> {
    configure().compile(schemas_dir).map(|_| ())
}
