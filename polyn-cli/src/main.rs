//! `polyn`: provisioning for Polyn for Rust services. Writes migrations
//! by the protocol's conventions, runs them, rolls them back and shows
//! which have run; writes new schemas; publishes and watches events; lists,
//! replays and purges dead letters.

mod catalog;
mod dlq;
mod generate;
mod operate;
mod schemas;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use polyn::Config;
use polyn::migration::{Migration, Migrations, Migrator};
use serde_json::json;

/// Provisioning for Polyn services: migrations of the streams and
/// consumers a service owns, recorded in the `POLYN_MIGRATIONS` bucket;
/// new schemas for the `schemas` codebase (`polyn gen schema`); and, for
/// operators, publishing one validated event (`polyn pub`), printing
/// the events of a message as they arrive (`polyn sub`), and the dead
/// letters consumers gave up on (`polyn dlq`).
///
/// Settings come from flags, else the environment (a `.env` file in the
/// current folder is read first): `NATS_URL`, `NATS_USER`/`NATS_PASSWORD`,
/// `NATS_TOKEN`, `NATS_NKEY_SEED`, `NATS_CREDS`, `NATS_TLS_*`,
/// `POLYN_DOMAIN`, `POLYN_SOURCE_ROOT`, `POLYN_MAX_REPLICAS`; the Polyn CLI's
/// `NATS_SERVERS`, `NATS_CREDENTIALS`, `NATS_CA_FILE` and `NATS_TLS` are read
/// too.
#[derive(Debug, Parser)]
#[command(name = "polyn", version)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Settings {
    /// The migrations folder.
    #[arg(
        long,
        global = true,
        default_value = "polyn/migrations",
        env = "POLYN_MIGRATIONS_DIR"
    )]
    dir: PathBuf,
    /// Print JSON, for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// The NATS server URL(s), comma-separated [env: NATS_URL].
    #[arg(long, global = true)]
    server: Option<String>,
    /// The service's domain, e.g. `com.acme` [env: POLYN_DOMAIN].
    #[arg(long, global = true)]
    domain: Option<String>,
    /// The service's source root, e.g. `user.backend`: the key its
    /// migrations are recorded under [env: POLYN_SOURCE_ROOT].
    #[arg(long, global = true)]
    source_root: Option<String>,
    /// Lower every `num_replicas` above this [env: POLYN_MAX_REPLICAS].
    #[arg(long, global = true)]
    max_replicas: Option<usize>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a new migration file, or a new schema.
    #[command(subcommand)]
    Gen(Gen),
    /// Run the pending migrations, in id order.
    ///
    /// Example: `polyn migrate --dry-run` prints what would run.
    Migrate {
        /// Print the plan; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Roll back the last migration run.
    ///
    /// Example: `polyn rollback --dry-run` prints what would be undone.
    Rollback {
        /// Print the plan; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Migrations and where they stand.
    #[command(subcommand)]
    Migrations(MigrationsCommand),
    /// The schemas of the `schemas` codebase.
    #[command(subcommand)]
    Schemas(schemas::SchemasCommand),
    /// Validate one event against the schema store and publish it to the
    /// stream capturing its subject; prints the acknowledgement.
    ///
    /// Example: `polyn pub widgets.created.v1 '{"id": "w1", "name": "Gear"}'`.
    Pub {
        /// The message name.
        name: String,
        /// The event's data, as JSON.
        #[arg(value_name = "JSON")]
        data: String,
        /// A source appended to the source root, e.g. `billing`.
        #[arg(long)]
        source: Option<String>,
    },
    /// Print the events of a message as they arrive on core NATS, each
    /// decoded and validated (an invalid one is flagged, not fatal), until
    /// Ctrl-C.
    ///
    /// Example: `polyn sub widgets.created.v1 --count 1 --json`.
    Sub {
        /// The message name; events with an identity token are heard too.
        name: String,
        /// Stop after this many messages, valid or not.
        #[arg(long)]
        count: Option<u64>,
    },
    /// The dead letters in `POLYN_DEAD_LETTERS`, the messages consumers
    /// gave up on: list, show, replay, purge.
    ///
    /// Example: `polyn dlq list`, then `polyn dlq replay 42`.
    #[command(subcommand)]
    Dlq(dlq::DlqCommand),
    /// Build the event catalog: a static site (every message, its
    /// properties, an example event, the streams, consumers and services
    /// that carry it, compatibility between versions, a search box) and an
    /// AsyncAPI 3 document, from the schemas, the migrations (`--dir`) and
    /// the services' manifests. No server needed, unless `--from-bucket`.
    ///
    /// Example: `polyn catalog --manifest quickstart.json --out catalog`,
    /// then open `catalog/index.html`.
    Catalog(catalog::CatalogArgs),
}

#[derive(Debug, Subcommand)]
enum Gen {
    /// A new schema for the `schemas` codebase, from the Polyn template.
    ///
    /// Example: `polyn gen schema billing/orders.placed.v1` writes
    /// `schemas/billing/orders.placed.v1.json`.
    Schema {
        /// The message name, ending in its version, after any sub-folders.
        name: String,
        /// The schemas folder.
        #[arg(long, default_value = "schemas")]
        schemas: PathBuf,
    },
    /// An empty migration to fill in.
    ///
    /// Example: `polyn gen migration add_orders_retention`.
    Migration {
        /// Its snake_case name.
        name: String,
    },
    /// A migration creating the conventional stream of a message.
    ///
    /// Example: `polyn gen stream user.created.v1` writes a stream
    /// `USER_CREATED_V1` on `user.created.v1` (or `user.created.v1.*` when
    /// its schema declares an `identity`).
    Stream {
        /// The message name.
        message: String,
        /// The schemas folder, for the message's `identity`.
        #[arg(long, default_value = "schemas")]
        schemas: PathBuf,
    },
    /// A migration creating the dead-letter stream `POLYN_DEAD_LETTERS`.
    ///
    /// On `polyn.deadletter.v1.>`, file storage, each dead letter kept 30
    /// days: where consumers put the messages they give up on (see
    /// `polyn dlq`).
    ///
    /// Example: `polyn gen dead-letters` writes
    /// `<timestamp>_create_polyn_dead_letters_stream.toml`.
    DeadLetters,
    /// A migration creating the conventional durable consumer of a message.
    ///
    /// Example: `polyn gen consumer user.created.v1 --source billing` writes
    /// the consumer `<source_root>_billing_user_created_v1`.
    Consumer {
        /// The message name.
        message: String,
        /// A source refining the consumer name, as the handler's `source`.
        #[arg(long)]
        source: Option<String>,
        /// The stream (default: the message's conventional stream).
        #[arg(long)]
        stream: Option<String>,
        /// The schemas folder, for the message's `identity`.
        #[arg(long, default_value = "schemas")]
        schemas: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum MigrationsCommand {
    /// Which migrations have run and which are pending.
    ///
    /// Example: `polyn migrations status --json`.
    Status,
}

fn main() -> ExitCode {
    // Settings from a `.env` file, under the environment's own.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return fail(&cli.settings, &format!("cannot start: {err}")),
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&cli.settings, &message),
    }
}

fn fail(settings: &Settings, message: &str) -> ExitCode {
    if settings.json {
        println!("{}", json!({ "error": message }));
    }
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

async fn run(cli: &Cli) -> Result<(), String> {
    let settings = &cli.settings;
    match &cli.command {
        Command::Gen(what) => generate(settings, what),
        Command::Migrate { dry_run } => migrate(settings, *dry_run).await,
        Command::Rollback { dry_run } => rollback(settings, *dry_run).await,
        Command::Migrations(MigrationsCommand::Status) => status(settings).await,
        Command::Schemas(command) => schemas::run(settings, command).await,
        Command::Pub { name, data, source } => {
            operate::publish(settings, name, data, source.as_deref()).await
        }
        Command::Sub { name, count } => operate::subscribe(settings, name, *count).await,
        Command::Dlq(command) => dlq::run(settings, command).await,
        Command::Catalog(args) => catalog::run(settings, args).await,
    }
}

/// A setting: the flag, else the environment.
fn setting(flag: Option<&String>, variable: &str) -> Option<String> {
    flag.cloned().or_else(|| {
        std::env::var(variable)
            .ok()
            .filter(|value| !value.is_empty())
    })
}

fn config(settings: &Settings) -> Result<Config, String> {
    let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    Config::from_lookup(|name| lookup(settings, &env, name)).map_err(|err| err.to_string())
}

/// A setting for the configuration: the flag, else the variable, else the
/// Polyn CLI's older name for it (`NATS_SERVERS`, `NATS_CREDENTIALS`,
/// `NATS_CA_FILE`, `NATS_TLS`).
fn lookup(settings: &Settings, env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    let flag = match name {
        "NATS_URL" => settings.server.clone(),
        "POLYN_DOMAIN" => settings.domain.clone(),
        "POLYN_SOURCE_ROOT" => settings.source_root.clone(),
        _ => None,
    };
    flag.or_else(|| env(name)).or_else(|| match name {
        "NATS_URL" => env("NATS_SERVERS"),
        "NATS_CREDS" => env("NATS_CREDENTIALS"),
        "NATS_TLS_CA" => env("NATS_CA_FILE"),
        // Any value turns TLS on, as the Polyn CLI has it.
        "NATS_TLS_REQUIRED" => env("NATS_TLS").map(|_| "true".to_owned()),
        _ => None,
    })
}

fn max_replicas(settings: &Settings) -> Result<Option<usize>, String> {
    match settings.max_replicas {
        Some(max) => Ok(Some(max)),
        None => match std::env::var("POLYN_MAX_REPLICAS") {
            Ok(value) if !value.is_empty() => value.parse().map(Some).map_err(|_| {
                format!("POLYN_MAX_REPLICAS must be a positive integer, got {value:?}")
            }),
            _ => Ok(None),
        },
    }
}

async fn migrator(settings: &Settings) -> Result<(Migrator, polyn::async_nats::Client), String> {
    let migrations = load(&settings.dir)?;
    let config = config(settings)?;
    let mut migrator = Migrator::new(migrations, config.source_root());
    if let Some(max) = max_replicas(settings)? {
        migrator = migrator.max_replicas(max);
    }
    let nats = config.connect_nats().await.map_err(|err| err.to_string())?;
    Ok((migrator, nats))
}

fn load(dir: &Path) -> Result<Migrations, String> {
    if !dir.is_dir() {
        return Err(format!(
            "no migrations folder at {}: write one with `polyn gen migration <name>`, or give \
             `--dir`",
            dir.display()
        ));
    }
    Migrations::from_dir(dir).map_err(|err| err.to_string())
}

fn operations(migration: &Migration, down: bool) -> Result<Vec<String>, String> {
    let operations = if down {
        migration.down().map_err(|err| err.to_string())?
    } else {
        migration.up().to_vec()
    };
    Ok(operations.iter().map(ToString::to_string).collect())
}

async fn migrate(settings: &Settings, dry_run: bool) -> Result<(), String> {
    let (migrator, nats) = migrator(settings).await?;
    if dry_run {
        let status = migrator
            .status(&nats)
            .await
            .map_err(|err| err.to_string())?;
        let mut plan = Vec::new();
        for id in &status.pending {
            if let Some(migration) = migrator.migrations().get(id) {
                plan.push((migration, operations(migration, false)?));
            }
        }
        if settings.json {
            let plan: Vec<_> = plan
                .iter()
                .map(|(m, ops)| json!({"id": m.id(), "file": m.file(), "operations": ops}))
                .collect();
            println!("{}", json!({ "dry_run": true, "would_run": plan }));
        } else if plan.is_empty() {
            println!("nothing to migrate: every migration has run");
        } else {
            for (migration, operations) in plan {
                print_plan("would run", migration, &operations);
            }
        }
        return Ok(());
    }
    let ran = migrator
        .migrate(&nats)
        .await
        .map_err(|err| err.to_string())?;
    if settings.json {
        println!("{}", json!({ "ran": ran }));
    } else if ran.is_empty() {
        println!("nothing to migrate: every migration has run");
    } else {
        for id in &ran {
            println!("ran {}", file_of(&migrator, id));
        }
    }
    Ok(())
}

/// A migration a dry run would run or roll back, and its operations.
fn print_plan(verb: &str, migration: &Migration, operations: &[String]) {
    println!("{verb} {}", migration.file());
    for operation in operations {
        println!("  {operation}");
    }
}

/// The file of the migration `id`, or the id when no file has it.
fn file_of<'a>(migrator: &'a Migrator, id: &'a str) -> &'a str {
    migrator.migrations().get(id).map_or(id, Migration::file)
}

async fn rollback(settings: &Settings, dry_run: bool) -> Result<(), String> {
    let (migrator, nats) = migrator(settings).await?;
    if dry_run {
        let status = migrator
            .status(&nats)
            .await
            .map_err(|err| err.to_string())?;
        let last = status
            .applied
            .last()
            .and_then(|id| migrator.migrations().get(id));
        let plan = match last {
            Some(migration) => Some((migration, operations(migration, true)?)),
            None => None,
        };
        match (settings.json, plan) {
            (true, Some((m, ops))) => println!(
                "{}",
                json!({"dry_run": true, "would_roll_back": {"id": m.id(), "file": m.file(), "operations": ops}})
            ),
            (true, None) => println!("{}", json!({ "dry_run": true, "would_roll_back": null })),
            (false, Some((migration, operations))) => {
                print_plan("would roll back", migration, &operations);
            }
            (false, None) => println!("nothing to roll back: no migration has run"),
        }
        return Ok(());
    }
    let rolled_back = migrator
        .rollback(&nats)
        .await
        .map_err(|err| err.to_string())?;
    if settings.json {
        println!("{}", json!({ "rolled_back": rolled_back }));
    } else {
        match rolled_back {
            Some(id) => println!("rolled back {}", file_of(&migrator, &id)),
            None => println!("nothing to roll back: no migration has run"),
        }
    }
    Ok(())
}

async fn status(settings: &Settings) -> Result<(), String> {
    let (migrator, nats) = migrator(settings).await?;
    let status = migrator
        .status(&nats)
        .await
        .map_err(|err| err.to_string())?;
    if settings.json {
        println!(
            "{}",
            json!({ "applied": status.applied, "pending": status.pending })
        );
        return Ok(());
    }
    for migration in migrator.migrations().iter() {
        let state = if status
            .applied
            .binary_search(&migration.id().to_owned())
            .is_ok()
        {
            "applied"
        } else {
            "pending"
        };
        println!("{state:8} {}", migration.file());
    }
    for id in &status.applied {
        if migrator.migrations().get(id).is_none() {
            println!("applied  {id} (no file has this id)");
        }
    }
    Ok(())
}

fn generate(settings: &Settings, what: &Gen) -> Result<(), String> {
    let (name, text) = match what {
        Gen::Schema { name, schemas } => return generate::schema(settings, name, schemas),
        Gen::Migration { name } => (name.clone(), generate::empty()),
        Gen::DeadLetters => (
            "create_polyn_dead_letters_stream".to_owned(),
            generate::dead_letters(),
        ),
        Gen::Stream { message, schemas } => {
            polyn::naming::validate_message_name(message).map_err(|err| err.to_string())?;
            let identity = generate::has_identity(schemas, message)?;
            let name = format!("create_{}_stream", message.replace('.', "_"));
            (name, generate::stream(message, identity))
        }
        Gen::Consumer {
            message,
            source,
            stream,
            schemas,
        } => {
            if let Some(stream) = stream {
                polyn::naming::validate_stream_name(stream).map_err(|err| err.to_string())?;
            }
            let source_root = setting(settings.source_root.as_ref(), "POLYN_SOURCE_ROOT").ok_or(
                "the consumer name starts with the service's source root: set \
                        POLYN_SOURCE_ROOT or give `--source-root`",
            )?;
            let domain = setting(settings.domain.as_ref(), "POLYN_DOMAIN").unwrap_or_default();
            let consumer =
                polyn::naming::consumer_name(&domain, &source_root, message, source.as_deref())
                    .map_err(|err| err.to_string())?;
            let identity = generate::has_identity(schemas, message)?;
            let stream = stream
                .clone()
                .unwrap_or_else(|| polyn::naming::stream_name(message));
            let filter = polyn::naming::stream_subject(message, identity);
            let name = format!("create_{consumer}_consumer");
            (
                name,
                generate::consumer(message, &stream, &consumer, &filter),
            )
        }
    };
    let dir = &settings.dir;
    generate::check_clash(dir, &name)?;
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create the folder {}: {err}", dir.display()))?;
    // One migration a second: a second one in the same second takes the next.
    let mut at = chrono::Utc::now();
    let path = loop {
        let timestamp = at.format("%Y%m%d%H%M%S").to_string();
        let taken = std::fs::read_dir(dir)
            .map_err(|err| format!("cannot read the folder {}: {err}", dir.display()))?
            .flatten()
            .any(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{timestamp}_"))
            });
        if !taken {
            break dir.join(generate::file_name(&timestamp, &name)?);
        }
        at += chrono::Duration::seconds(1);
    };
    std::fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    if settings.json {
        println!("{}", json!({ "created": path.display().to_string() }));
    } else {
        println!("created {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_then_variables_then_the_older_names() {
        let cli = Cli::parse_from(["polyn", "--domain", "com.flag", "migrate"]);
        let env = |name: &str| match name {
            "POLYN_DOMAIN" => Some("com.env".to_owned()),
            "NATS_SERVERS" => Some("nats://old:4222".to_owned()),
            "NATS_TLS" => Some("1".to_owned()),
            _ => None,
        };
        let get = |name| lookup(&cli.settings, &env, name);
        assert_eq!(get("POLYN_DOMAIN").as_deref(), Some("com.flag"));
        assert_eq!(get("NATS_URL").as_deref(), Some("nats://old:4222"));
        assert_eq!(get("NATS_TLS_REQUIRED").as_deref(), Some("true"));
        assert_eq!(get("NATS_CREDS"), None);
    }
}
