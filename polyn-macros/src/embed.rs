//! `polyn::migrations!("polyn/migrations")`: a service's migration files,
//! baked into the binary at compile time, so a release build migrates
//! itself with no files on the host.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitStr;

/// The default migrations folder, relative to the crate.
const DEFAULT_DIR: &str = "polyn/migrations";

/// Expands `migrations!(args)`, with the crate folder files are read from.
pub(crate) fn migrations(args: TokenStream, manifest_dir: Option<&Path>) -> TokenStream {
    match expand(args, manifest_dir) {
        Ok(tokens) => tokens,
        Err(error) => error.into_compile_error(),
    }
}

fn expand(args: TokenStream, manifest_dir: Option<&Path>) -> syn::Result<TokenStream> {
    let (relative, span) = if args.is_empty() {
        (DEFAULT_DIR.to_owned(), Span::call_site())
    } else {
        let lit: LitStr = syn::parse2(args).map_err(|err| {
            syn::Error::new(
                err.span(),
                "`migrations!` takes the migrations folder, relative to the crate's \
                 `Cargo.toml`, like `polyn::migrations!(\"polyn/migrations\")`",
            )
        })?;
        (lit.value(), lit.span())
    };
    let dir = manifest_dir
        .unwrap_or_else(|| Path::new("."))
        .join(&relative);
    let files = list(&dir).map_err(|message| syn::Error::new(span, message))?;
    let entries = files.iter().map(|(name, path)| {
        let path = path.to_string_lossy().into_owned();
        quote!((#name, ::core::include_str!(#path)))
    });
    // `include_str!` rebuilds the crate when a file changes; a new file is
    // seen at the next build of the crate (a build.rs with
    // `cargo:rerun-if-changed=polyn/migrations` makes that automatic).
    Ok(quote! {
        ::polyn::migration::Migrations::from_files([#(#entries),*])
    })
}

/// The `*.toml` files of `dir`, sorted, each checked for the file-name form.
pub(crate) fn list(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        format!(
            "cannot read the migrations folder {}: {err}; write a migration with `polyn gen \
             migration <name>`",
            dir.display()
        )
    })?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != "toml") {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let well_formed = polyn_naming::migration_file(&name).is_ok();
        if !well_formed {
            return Err(format!(
                "`{name}` in {} is not named `<14-digit UTC timestamp>_<snake_case_name>.toml`, \
                 like `20261202150000_create_widgets.toml`",
                dir.display()
            ));
        }
        files.push((name, path));
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_becomes_the_files_it_holds() {
        let dir = std::env::temp_dir().join(format!("polyn-embed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("20261202150001_b.toml"), "").expect("write");
        std::fs::write(dir.join("20261202150000_a.toml"), "").expect("write");
        std::fs::write(dir.join("README.md"), "").expect("write");
        let files: Vec<String> = list(&dir)
            .expect("list")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(files, ["20261202150000_a.toml", "20261202150001_b.toml"]);
        let out = migrations(quote!("."), Some(&dir)).to_string();
        assert!(out.contains("Migrations :: from_files"), "{out}");
        assert!(out.contains("include_str !"), "{out}");
        std::fs::write(dir.join("2026_bad.toml"), "").expect("write");
        assert!(
            list(&dir)
                .expect_err("bad name")
                .contains("`2026_bad.toml`")
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
        let out = migrations(quote!("nowhere"), Some(&dir)).to_string();
        assert!(out.contains("cannot read the migrations folder"), "{out}");
        let out = migrations(quote!(42), Some(&dir)).to_string();
        assert!(out.contains("takes the migrations folder"), "{out}");
    }
}
